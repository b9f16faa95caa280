#!/usr/bin/env python3
"""Builds models/data/langid-chat/{train,dev}.jsonl: short chat-style
utterances labelled with their language, for the langid model.

Rows: {"text": ..., "lang": ...} with lang one of zh, en, de, fr, es, ja,
ko, ar, ru, pt, it (zh-TW rows of the sources count as zh).

Everything comes from the project's own CC0 text:
  train: ../intent/train.jsonl, ../anger/train.jsonl and the question
         paraphrases of assets/faq/default.json;
  dev:   ../intent/dev.jsonl and ../anger/test.jsonl.
The intent test file is not used, so it stays unseen by every model.

Filters: a row is dropped when it has no letter of its language's script
(e.g. "hi" in the zh data, "ok"), has fewer than 2 letters, is keyboard
mash or laughter that belongs to no language (asdfghjkl, kkkkkk, lol), or
its text occurs under two languages. A text kept in train is not repeated
in dev.

Usage: python3 gen.py  (deterministic; no randomness)
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
DATA = os.path.dirname(OUT)
ROOT = os.path.dirname(os.path.dirname(DATA))
LANGS = ["zh", "en", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"]

SCRIPT = {
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "ko": re.compile(r"[\uac00-\ud7af\u3130-\u318f]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
}
LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
MASH = {"asdfghjkl", "qwertyuiop", "jkdfhgkjdf", "azertyuiop", "asdfasdf", "ываыва",
        "kkkkkkkk", "ahahahah", "lol", "hahaha", "zzzzzz"}


def norm_lang(l):
    return "zh" if l == "zh-TW" else l


def keep(text, lang):
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    core = re.sub(r"[^\w]", "", text.lower())
    if core in MASH:
        return False
    script = SCRIPT.get(lang, LATIN)
    return bool(script.search(text))


def norm(s):
    return re.sub(r"[\W_]+", "", s.lower())


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def faq_questions():
    pack = json.load(open(os.path.join(ROOT, "assets", "faq", "default.json"), encoding="utf-8"))
    for e in pack["entries"]:
        for lang, qs in e["questions"].items():
            for q in qs:
                yield q, norm_lang(lang)


def collect(sources):
    rows = []
    for text, lang in sources:
        if lang not in LANGS:
            sys.exit(f"unknown lang {lang!r}")
        if keep(text, lang):
            rows.append((text, lang))
    return rows


def main():
    train_src = [(r["text"], norm_lang(r["lang"])) for r in jsonl(os.path.join(DATA, "intent", "train.jsonl"))]
    train_src += [(r["text"], r["lang"]) for r in jsonl(os.path.join(DATA, "anger", "train.jsonl"))]
    train_src += list(faq_questions())
    dev_src = [(r["text"], norm_lang(r["lang"])) for r in jsonl(os.path.join(DATA, "intent", "dev.jsonl"))]
    dev_src += [(r["text"], r["lang"]) for r in jsonl(os.path.join(DATA, "anger", "test.jsonl"))]
    train, dev = collect(train_src), collect(dev_src)
    langs_of = {}
    for text, lang in train + dev:
        langs_of.setdefault(text, set()).add(lang)
    ambiguous = {t for t, ls in langs_of.items() if len(ls) > 1}
    out = {}
    seen = set()
    train_norm = set()
    for name, rows in (("train", train), ("dev", dev)):
        kept = []
        for text, lang in rows:
            if text in ambiguous or text in seen:
                continue
            # dev may not repeat a train text even up to case and punctuation
            if name == "dev" and norm(text) in train_norm:
                continue
            seen.add(text)
            if name == "train":
                train_norm.add(norm(text))
            kept.append({"text": text, "lang": lang})
        out[name] = kept
    for name, rows in out.items():
        with open(os.path.join(OUT, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows), "ambiguous dropped:", len(ambiguous))


if __name__ == "__main__":
    main()
