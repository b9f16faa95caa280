#!/usr/bin/env python3
"""Builds models/data/anger/{train,test}.jsonl from hand-written text.

Rows: {"text": ..., "label": 1 | 0, "lang": ...}. Label 1 means the message
is angry or escalating (fury, insults, threats: lawyer, chargeback, 12315,
consumer agency, public shaming); 0 means neutral, positive or only mildly
annoyed.

Sources, all written by the Kefu authors (CC0):

  train/<lang>.txt  templates under "# 1" and "# 0" headings, with the
                    intent set's slots ({product}, {n}, {order}).
  test/<lang>.txt   literal sentences under "# 1" / "# 0", written
                    separately from the templates; they enter test.jsonl
                    verbatim.

train.jsonl adds, as label 0, rows of ../intent/train.jsonl from calm
intents; test.jsonl adds label-0 rows of ../intent/test.jsonl the same way
(the intent test file is itself independent of the intent train file).
Angry training rows get intensity noise (caps, "!!!", "??", angry emoji);
calm rows get some too ("THANK YOU!!!", "wow!!!") so punctuation alone does
not decide the label.

Usage: python3 gen.py  (deterministic, seed 7)
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(OUT, "..", "intent", "gen"))
import gen as intentgen  # noqa: E402  (slot values shared with the intent set)

SEED = 7
LANGS = ["zh", "en", "de", "fr", "es", "ja", "ko", "ru"]
MAJOR = {"zh", "en"}
CALM_INTENTS = {"order_status", "shipping_time", "shipping_cost", "return_policy", "product_info",
                "size_guide", "greeting", "thanks_bye", "payment_methods", "invoice", "promotion",
                "stock_availability", "membership_points", "exchange_size"}
# Train and dev borrow from every intent but complaint: refund, payment,
# cancel and human-agent requests are calm too, and are what the router sees
# most from shoppers who are not angry.
# Rows per (lang, label) from templates, and calm rows borrowed from the intent set.
TEMPLATE_TARGET = {True: {"1": 260, "0": 160}, False: {"1": 150, "0": 100}}
BORROW_TRAIN = {True: 300, False: 160}
BORROW_DEV = {True: 20, False: 10}
BORROW_TEST = {True: 15, False: 6}
ANGRY_EMOJI = ["😡", "🤬", "😤", "👎", "💢"]
CALM_EMOJI = ["😊", "🙏", "👍", "😅", "❤️"]
CJK = {"zh", "ja", "ko"}


def parse(path):
    out, cur = {"0": [], "1": []}, None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            if line in ("# 0", "# 1"):
                cur = line[2:]
                continue
            if cur is None:
                sys.exit(f"{path}:{n}: text before '# 0' or '# 1'")
            out[cur].append(line)
    return out


def angry_noise(s, lang, rng):
    r = rng.random
    if r() < 0.25 and lang not in CJK:
        s = s.upper()
    if r() < 0.4:
        marks = ["!!!", "!!!!!", "?!?!", "??", "!!!!!!!!"] + (["！！！", "？？"] if lang in CJK else [])
        s = s.rstrip("!?！？.。") + rng.choice(marks)
    if r() < 0.2:
        s = s + " " + rng.choice(ANGRY_EMOJI) * rng.randint(1, 3)
    if r() < 0.1 and lang == "en":
        s = s.replace("so ", "sooo ").replace("now", "NOWWW")
    return s


def calm_noise(s, lang, rng):
    r = rng.random
    if r() < 0.2:
        s = s.rstrip("!?！？.。") + rng.choice(["!!", "!!!", "~", "?", "…"])
    if r() < 0.15:
        s = s + " " + rng.choice(CALM_EMOJI)
    if r() < 0.15 and lang not in CJK:
        s = s.lower()
    return s


def expand(tpls, lang, label, target, rng, seen, blocked):
    rows, tries = [], 0
    while len(rows) < target and tries < target * 50:
        for t in tpls:
            tries += 1
            s = intentgen.fill(t, lang, rng)
            if s in seen or rng.random() < 0.6:
                s = angry_noise(s, lang, rng) if label == "1" else calm_noise(s, lang, rng)
            s = s.strip()
            if s and s not in seen and intentgen.norm(s) not in blocked:
                seen.add(s)
                rows.append(s)
            if len(rows) >= target:
                break
    return rows


def borrow(path, lang, n, rng, seen, blocked=frozenset(), everything=False):
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
    calm = (lambda i: i != "complaint") if everything else (lambda i: i in CALM_INTENTS)
    pool = [r["text"] for r in rows if r["lang"] == lang and calm(r["intent"])
            and r["text"] not in seen and intentgen.norm(r["text"]) not in blocked]
    rng.shuffle(pool)
    out = pool[:n]
    seen.update(out)
    return out


def main():
    rng = random.Random(SEED)
    test, dev, train = [], [], []
    seen = set()
    for lang in LANGS:
        p = os.path.join(HERE, "test", lang + ".txt")
        for label, lines in parse(p).items():
            for s in lines:
                if s in seen:
                    sys.exit(f"{p}: duplicate test text {s!r}")
                seen.add(s)
                test.append({"text": s, "label": int(label), "lang": lang})
        for s in borrow(os.path.join(OUT, "..", "intent", "test.jsonl"), lang, BORROW_TEST[lang in MAJOR], rng, seen):
            test.append({"text": s, "label": 0, "lang": lang})
    # Dev rows may not equal a test row, nor training rows a test or dev row,
    # even after intentgen.norm().
    blocked = {intentgen.norm(r["text"]) for r in test}
    intent_train = os.path.join(OUT, "..", "intent", "train.jsonl")
    for lang in LANGS:
        p = os.path.join(HERE, "dev", lang + ".txt")
        for label, lines in parse(p).items():
            for s in lines:
                if s in seen or intentgen.norm(s) in blocked:
                    sys.exit(f"{p}: text {s!r} is already in test or dev")
                seen.add(s)
                dev.append({"text": s, "label": int(label), "lang": lang})
        for s in borrow(intent_train, lang, BORROW_DEV[lang in MAJOR], rng, seen, blocked, everything=True):
            dev.append({"text": s, "label": 0, "lang": lang})
    blocked |= {intentgen.norm(r["text"]) for r in dev}
    for lang in LANGS:
        p = os.path.join(HERE, "train", lang + ".txt")
        sec = parse(p)
        for label in ("1", "0"):
            for s in expand(sec[label], lang, label, TEMPLATE_TARGET[lang in MAJOR][label], rng, seen, blocked):
                train.append({"text": s, "label": int(label), "lang": lang})
        for s in borrow(intent_train, lang, BORROW_TRAIN[lang in MAJOR], rng, seen, blocked, everything=True):
            train.append({"text": s, "label": 0, "lang": lang})
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        with open(os.path.join(OUT, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
