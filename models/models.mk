# models/models.mk — retrain every shipped text model (issue 5).
# Included by the top-level Makefile; run `make models`. Each step trains in
# well under 10 minutes on 2 cores, single-threaded (GOMAXPROCS=1, which
# also makes the bytes reproducible). Commands and numbers: models/RESULTS.md.

KMODEL   ?= nice go run ./models/internal/kmodel
DATASETS ?= ../shared/datasets
# the widget's models are trained here at full precision, then compacted
# into models/artifacts (format 4)
WEBTMP   ?= $(or $(TMPDIR),/tmp)

.PHONY: models models-langid models-langid-web models-intent models-intent-web models-intent-web-lang models-intent-web-int8 models-intent-web-family models-intent-web-pair models-intent-langid-web models-sentiment models-anger

models: models-langid models-langid-web models-intent models-intent-web models-intent-web-pair models-sentiment models-anger

# Language id: lingua test data (dev split) + the product's chat utterances
# (11 languages incl. ko) + extra zh reviews and en utterances.
models-langid:
	$(KMODEL) train langid --quiet --epochs 10 --emb-lr 0.3 \
		--data $(DATASETS)/langid --data models/data/langid-chat \
		--data $(DATASETS)/sentiment-zh@zh:3000 --data $(DATASETS)/intent-en/clinc150@en:3000 \
		--out models/artifacts/langid.kmod

# The widget's language id (artifacts/langid-web.kmod): the same data and
# settings as langid.kmod in 8,192 buckets × 8 dimensions, then compacted
# (format 4). Pruning × bits are chosen on held-out language-id rows: a
# selection model is trained the same way without every 5th row of the
# lingua/xSID file, and the smallest candidate on the wire whose accuracy on
# those rows is no lower than the selection model's own wins (4 bits, 75% of
# the rows); the same choice is applied to the model trained on every row.
LANGID_SEL = $(WEBTMP)/kefu-langid-sel
models-langid-web:
	mkdir -p $(LANGID_SEL)/train $(LANGID_SEL)/dev
	awk 'NR%5!=0' $(DATASETS)/langid/dev.jsonl > $(LANGID_SEL)/train/dev.jsonl
	awk 'NR%5==0' $(DATASETS)/langid/dev.jsonl > $(LANGID_SEL)/dev/dev.jsonl
	$(KMODEL) train langid --quiet --epochs 10 --emb-lr 0.3 --buckets 8192 --dim 8 \
		--data $(DATASETS)/langid --data models/data/langid-chat \
		--data $(DATASETS)/sentiment-zh@zh:3000 --data $(DATASETS)/intent-en/clinc150@en:3000 \
		--out $(LANGID_SEL)/full.kmod
	$(KMODEL) train langid --quiet --epochs 10 --emb-lr 0.3 --buckets 8192 --dim 8 \
		--data $(LANGID_SEL)/train --data models/data/langid-chat \
		--data $(DATASETS)/sentiment-zh@zh:3000 --data $(DATASETS)/intent-en/clinc150@en:3000 \
		--out $(LANGID_SEL)/selection.kmod
	$(KMODEL) compact langid --model $(LANGID_SEL)/full.kmod --choose-with $(LANGID_SEL)/selection.kmod \
		--data $(LANGID_SEL)/dev --out models/artifacts/langid-web.kmod

# Shopper intents: the product's own CC0 set (12 languages, 25 intents) plus
# 600 English rows relabelled from the Bitext sample (CDLA-Sharing-1.0,
# models/data/intent/bitext); settings and the oos threshold are chosen on the
# CC0 dev split, then the model is refitted on train+dev (more phrasings)
# keeping that threshold.
models-intent:
	$(KMODEL) train intent --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 --refit-with-dev \
		--data models/data/intent --data models/data/intent/bitext --out models/artifacts/intent.kmod

# The widget's intent model (artifacts/intent-web.kmod): the same data,
# features and settings as intent.kmod in 8,192 buckets × 32 dimensions,
# every row kept, retrained 5 epochs through 2-bit (ternary) weights,
# format 4, refitted on train+dev: 148,845 bytes, 41,494 brotli (the int8
# 8,192 × 24 model it replaced: 230,554 and 219,567). Size and bits were
# chosen on dev2 (models/data/intent/dev2.jsonl, written like test); the
# out-of-scope threshold 0.33 by a rule fixed before measuring on test
# (intent-web.md): the best dev2 accuracy whose dev2 oos recall is not below
# the int8 model's. Test: 82.60% (int8: 81.20%). Central keeps intent.kmod.
models-intent-web:
	$(KMODEL) train intent --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 \
		--buckets 8192 --dim 32 --keep-rows 8192 --retrain-epochs 5 --bits 2 --threshold 0.33 --refit-with-dev \
		--data models/data/intent --data models/data/intent/bitext --out models/artifacts/intent-web.kmod

# Per-language intent models, one model a language (session 15, not served
# since the pairs below replaced them): intent-web's recipe on one language's
# rows (--lang; zh.kmod: zh and zh-TW, which the language model calls zh), in
# 4,096 buckets × 32 dimensions at 2 bits, 22–26 KB brotli each, threshold
# 0.18 chosen on dev2 routed by langid-web (intent-web.md, "Per-language
# models"): on test 85.33%, 12 wrong local answers. To $(WEBTMP).
INTENT_WEB_LANGS ?= ar de en es fr it ja ko pt ru
models-intent-web-lang:
	@mkdir -p $(WEBTMP)/intent-web-lang
	set -e; for l in $(INTENT_WEB_LANGS) zh; do \
		langs="--lang $$l"; [ $$l = zh ] && langs="--lang zh --lang zh-TW"; \
		$(KMODEL) train intent --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 \
			--buckets 4096 --dim 32 --keep-rows 4096 --retrain-epochs 5 --bits 2 --threshold 0.18 --refit-with-dev $$langs \
			--data models/data/intent --data models/data/intent/bitext --out $(WEBTMP)/intent-web-lang/$$l.kmod; \
	done

# Per-language intent models with language families (issue 13), NOT served
# and NOT in models/artifacts: on test 85.27% routed by langid-web (85.33%
# by the gold language) and 13 wrong local answers in the widget where
# intent-web answers 9 (intent-web.md, "Language families"). As
# models-intent-web-lang, but es+pt+it+fr and ja+zh (with zh-TW) each share
# one 8,192 × 32 model trained on the family's rows, written under each of
# its names (44,077 and 48,863 B brotli); ar, de, en, ko, ru stay 4,096 × 32
# on their own rows; one threshold, 0.22. Families, buckets and threshold
# chosen on dev2 with each row routed by langid-web (`kefu model eval intent
# --data models/data/intent --split dev2 --model-dir DIR --choose-threshold
# 0.8824`): 91.88% (the per-language models 91.32%, intent.kmod 91.72%).
INTENT_WEB_SOLO     ?= ar de en ko ru
INTENT_WEB_FAMILIES ?= es+pt+it+fr ja+zh
INTENT_WEB_FAMILY_DIR = $(WEBTMP)/intent-web-family
INTENT_WEB_LANG_TRAIN = $(KMODEL) train intent --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 \
	--retrain-epochs 5 --bits 2 --threshold 0.22 --refit-with-dev --data models/data/intent --data models/data/intent/bitext
models-intent-web-family:
	@mkdir -p $(INTENT_WEB_FAMILY_DIR)
	set -e; for l in $(INTENT_WEB_SOLO); do \
		$(INTENT_WEB_LANG_TRAIN) --buckets 4096 --dim 32 --keep-rows 4096 --lang $$l --out $(INTENT_WEB_FAMILY_DIR)/$$l.kmod; \
	done
	set -e; for f in $(INTENT_WEB_FAMILIES); do \
		ls=$$(echo $$f | tr + ' '); first=$${ls%% *}; langs=; \
		for l in $$ls; do langs="$$langs --lang $$l"; [ $$l = zh ] && langs="$$langs --lang zh-TW"; done; \
		$(INTENT_WEB_LANG_TRAIN) --buckets 8192 --dim 32 --keep-rows 8192 $$langs --out $(INTENT_WEB_FAMILY_DIR)/$$first.kmod; \
		for l in $$ls; do [ $$l = $$first ] || cp $(INTENT_WEB_FAMILY_DIR)/$$first.kmod $(INTENT_WEB_FAMILY_DIR)/$$l.kmod; done; \
	done

# The widget's intent models (artifacts/intent-web/<lang>.kmod and
# <lang>.2.kmod; the widget fetches the pair of the shopper's language and
# averages the two models' probabilities): models-intent-web-lang's recipe
# trained twice on each language's rows, with training seeds 1 and 2, 4,096
# buckets × 32 dimensions at 2 bits; the second model of ja, ko and zh has 24
# dimensions, so that no pair is over 47,500 B brotli (what the wire budget
# leaves an intent model). 40.9–47.3 KB brotli a pair. Pairs, byte cap and
# threshold (0.17, one for every language) chosen on dev2 with each row routed
# by langid-web: 92.36% (one model a language 91.32%, intent.kmod 91.72%);
# on test 86.20% (intent.kmod 86.20%), 8 wrong local answers (intent-web.md,
# "Per-language model pairs").
INTENT_WEB_PAIR_DIR    = models/artifacts/intent-web
INTENT_WEB_PAIR_NARROW ?= ja ko zh
models-intent-web-pair:
	@mkdir -p $(INTENT_WEB_PAIR_DIR)
	set -e; for l in $(INTENT_WEB_LANGS) zh; do \
		langs="--lang $$l"; [ $$l = zh ] && langs="--lang zh --lang zh-TW"; \
		dim2=32; case " $(INTENT_WEB_PAIR_NARROW) " in *" $$l "*) dim2=24;; esac; \
		$(INTENT_WEB_LANG_TRAIN) --threshold 0.17 --buckets 4096 --dim 32 --keep-rows 4096 --seed 1 $$langs --out $(INTENT_WEB_PAIR_DIR)/$$l.kmod; \
		$(INTENT_WEB_LANG_TRAIN) --threshold 0.17 --buckets 4096 --dim $$dim2 --keep-rows 4096 --seed 2 $$langs --out $(INTENT_WEB_PAIR_DIR)/$$l.2.kmod; \
	done

# The int8 model intent-web.kmod was until 4 December, for comparison: its
# size chosen on the dev split among those within 240,000 bytes (--search
# size; 8,192 × 24).
models-intent-web-int8:
	$(KMODEL) train intent --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 --search size --max-bytes 240000 --refit-with-dev \
		--data models/data/intent --data models/data/intent/bitext --out $(WEBTMP)/intent-web-int8.kmod

# One model for the widget's intent and language id (issue 13), NOT shipped:
# intent-web's data, features and settings plus langid-web's data as a second
# task (kefu model train intent+langid: the language rows shuffled in with the
# intent rows, one 16,384 × 32 embedding at 2 bits, two softmax heads, the
# compact format's second head). 296,801 bytes, 76,609 brotli (the two files
# it would replace: 41,494 + 27,715). Chosen on dev2 and on held-out
# language-id rows; measured once on test: intent 82.33% (intent-web
# 82.60%), language id on sentences 99.34% (floor 99.5%), short utterances
# 97.36%; the widget answers 53.8% locally with 11 wrong (today 52.4%, 9).
# Written to $(WEBTMP), not models/artifacts (intent-web.md).
models-intent-langid-web:
	$(KMODEL) train intent+langid --quiet --epochs 10 --wordngrams 1 --minn 2 --maxn 4 --dropout 0.5 \
		--buckets 16384 --dim 32 --keep-rows 16384 --retrain-epochs 5 --bits 2 --threshold 0.33 --refit-with-dev \
		--data models/data/intent --data models/data/intent/bitext \
		--data2 $(DATASETS)/langid --data2 models/data/langid-chat \
		--data2 $(DATASETS)/sentiment-zh@zh:3000 --data2 $(DATASETS)/intent-en/clinc150@en:3000 \
		--out $(WEBTMP)/intent-langid-web.kmod

# Sentiment: Chinese shopping reviews (see models/artifacts/sentiment.md for
# the licence note). A wide linear model (format version 2): one int8 weight
# per hashed feature (990,000 buckets → 990 KB), each distinct feature once,
# sum/√n; epochs chosen on dev.
models-sentiment:
	$(KMODEL) train sentiment --quiet --linear --unique --sqrtpool --buckets 990000 --cjkn 4 --epochs 8 \
		--data $(DATASETS)/sentiment-zh --out models/artifacts/sentiment.kmod

# Anger: train the anger text model (artifacts/anger.kmod: a wide linear
# model, 500,000 one-byte weights, chosen on dev), fit the combination weights
# on the anger training set (out-of-fold model probabilities, the sentiment
# model just trained, the cues) and move the threshold chosen on the anger
# dev split to anger.Threshold; writes Go source.
models-anger: models-sentiment
	$(KMODEL) train anger --linear --unique --sqrtpool --buckets 500000 \
		--data models/data/anger --model-out models/artifacts/anger.kmod \
		--sentiment models/artifacts/sentiment.kmod --out models/anger/weights.go
