#!/usr/bin/env python3
"""Builds models/data/intent/bitext/train.jsonl: English rows of the Bitext
customer-support sample (CDLA-Sharing-1.0, see bitext/README.md) whose intent
maps to exactly one Kefu intent.

Only the Bitext *train* split is read. Rows whose text equals a row of our
dev or test split after norm() (case, spaces, punctuation, emoji removed)
are dropped; at most CAP rows per Kefu intent are kept, picked with a seeded
shuffle. Deterministic.

Usage: python3 bitext.py [path/to/shared/datasets/intent-en/bitext-cs]
"""
import json
import os
import random
import sys

from gen import norm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "bitext")
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "..", "..", "shared", "datasets", "intent-en", "bitext-cs")
CAP = 60
SEED = 5

# Bitext intent -> Kefu intent, only where the Bitext intent means the same
# thing. Left out as ambiguous under our rules: delivery_period (mixes
# "how long does delivery take" with "when will my order come"),
# delivery_options, get_refund and check_refund_policy (return vs refund),
# registration_problems; and everything with no Kefu intent (accounts,
# newsletter, place/change order, cancellation fee, review).
MAP = {
    "track_order": "order_status",
    "track_refund": "refund_status",
    "cancel_order": "cancel_order",
    "change_shipping_address": "change_address",
    "check_payment_methods": "payment_methods",
    "payment_issue": "payment_failed",
    "check_invoice": "invoice",
    "get_invoice": "invoice",
    "complaint": "complaint",
    "contact_human_agent": "human_agent",
    "contact_customer_service": "human_agent",
    "recover_password": "account_login",
}


def main():
    blocked = set()
    for split in ("dev", "test"):
        with open(os.path.join(os.path.dirname(HERE), split + ".jsonl"), encoding="utf-8") as f:
            blocked |= {norm(json.loads(l)["text"]) for l in f}
    by = {}
    with open(os.path.join(SRC, "train.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            k = MAP.get(r["intent"])
            if k is None:
                continue
            t = " ".join(r["text"].split())
            if not t or norm(t) in blocked:
                continue
            by.setdefault(k, []).append(t)
    rng = random.Random(SEED)
    rows, seen = [], set()
    for k in sorted(by):
        texts = sorted(set(by[k]))
        rng.shuffle(texts)
        n = 0
        for t in texts:
            if norm(t) in seen:
                continue
            seen.add(norm(t))
            rows.append({"text": t, "intent": k, "lang": "en"})
            n += 1
            if n >= CAP:
                break
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "train.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("bitext train", len(rows))


if __name__ == "__main__":
    main()
