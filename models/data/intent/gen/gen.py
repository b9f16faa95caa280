#!/usr/bin/env python3
"""Builds models/data/intent/{train,dev,test}.jsonl from hand-written text.

Sources (all written by the Kefu authors for this data set, CC0):

  train/<lang>.txt  templates, one per line, under "# <intent>" headings
  (+ <lang>.r3.txt, the third round, appended after them; a heading may repeat).
                    Slots such as {order}, {product}, {size}, {color},
                    {coupon}, {n} are filled from SLOTS below. Within each
                    intent, every 5th template (the 5th, 10th, ...) is held
                    out for dev.jsonl; the rest expand into train.jsonl.
  test/<lang>.txt   literal test sentences (no slots, no augmentation),
                    written separately from the templates, under the same
                    "# <intent>" headings. They become test.jsonl verbatim.
  dev2/<lang>.txt   literal dev sentences written like test (independently
                    of the templates, without reading test), for choosing
                    between models on unseen phrasings. They become
                    dev2.jsonl verbatim, less any row equal (after norm())
                    to a train, dev or test row.

Train and dev rows are the templates with slots filled and light,
deterministic noise (case, dropped punctuation, a greeting prefix, an
emoji, one typo) so that a model sees the variation real shoppers type.
Any row whose text also occurs in test is dropped from train and dev, and
dev drops rows present in train.

Usage: python3 gen.py  (from any directory; deterministic, seed 5)
"""
import json
import math
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
SEED = 5

LANGS = ["zh", "zh-TW", "en", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"]
MAJOR = {"zh", "en"}
INTENTS = [
    "order_status", "shipping_time", "shipping_cost", "return_policy", "refund_status",
    "exchange_size", "cancel_order", "change_address", "payment_methods", "payment_failed",
    "invoice", "stock_availability", "promotion", "coupon", "price_match", "product_info",
    "size_guide", "warranty", "account_login", "membership_points", "complaint",
    "human_agent", "greeting", "thanks_bye", "oos",
]
# Rows per (lang, intent): major languages / the others.
TRAIN_TARGET = {True: 200, False: 120}
DEV_TARGET = {True: 16, False: 10}
FAQ = os.path.join(HERE, "..", "..", "..", "..", "assets", "faq", "default.json")

ORDERS = ["KD20240611-0042", "KD20240923-1187", "KD-558201", "#KD773914", "KD20250102-0007",
          "kd20241111-3321", "KD2024 0812 4410", "558812", "KD20240305-2290", "#771203"]
COUPONS = ["SAVE10", "WELCOME15", "SUMMER20", "VIP30", "NEWUSER", "BF2024", "FREESHIP", "KEFU5"]
SIZES = ["S", "M", "L", "XL", "XS", "XXL", "38", "40", "42", "44", "36", "9.5", "27"]
NUMS = ["2", "3", "5", "7", "10", "14", "20"]

PRODUCTS = {
    "zh": ["羽绒服", "连衣裙", "牛仔裤", "AirPods Pro", "蓝牙耳机", "小米手环8", "卫衣", "运动鞋", "Nike Air Max 90",
           "iPhone 15 手机壳", "充电宝", "机械键盘", "Kindle", "羊毛大衣", "T恤", "Switch 游戏机", "双肩包", "智能手表"],
    "zh-TW": ["羽絨外套", "洋裝", "牛仔褲", "AirPods Pro", "藍牙耳機", "帽T", "球鞋", "行動電源", "機械鍵盤", "手機殼", "後背包", "智慧手錶"],
    "en": ["hoodie", "puffer jacket", "AirPods Pro", "Galaxy Buds", "jeans", "summer dress", "running shoes", "Nike Air Max 90",
           "iPhone 15 case", "power bank", "mechanical keyboard", "Kindle Paperwhite", "wool coat", "smartwatch", "backpack", "Levi's 501"],
    "de": ["Daunenjacke", "Kleid", "Jeans", "AirPods Pro", "Kopfhörer", "Sneaker", "Powerbank", "Hoodie", "Wintermantel", "Smartwatch", "Rucksack"],
    "fr": ["doudoune", "robe", "jean", "AirPods Pro", "casque", "baskets", "batterie externe", "sweat", "manteau", "montre connectée", "sac à dos"],
    "es": ["chaqueta", "vestido", "vaqueros", "AirPods Pro", "auriculares", "zapatillas", "batería externa", "sudadera", "abrigo", "reloj inteligente", "mochila"],
    "ja": ["ダウンジャケット", "ワンピース", "ジーンズ", "AirPods Pro", "ワイヤレスイヤホン", "スニーカー", "モバイルバッテリー", "パーカー", "コート", "スマートウォッチ", "リュック"],
    "ko": ["패딩", "원피스", "청바지", "에어팟 프로", "블루투스 이어폰", "운동화", "보조배터리", "후드티", "코트", "스마트워치", "백팩"],
    "ar": ["الجاكيت", "الفستان", "الجينز", "سماعات AirPods Pro", "السماعة", "الحذاء الرياضي", "الباور بانك", "الهودي", "المعطف", "الساعة الذكية", "الحقيبة"],
    "ru": ["пуховик", "платье", "джинсы", "AirPods Pro", "наушники", "кроссовки", "пауэрбанк", "худи", "пальто", "смарт-часы", "рюкзак"],
    "pt": ["jaqueta", "vestido", "calça jeans", "AirPods Pro", "fone de ouvido", "tênis", "carregador portátil", "moletom", "casaco", "smartwatch", "mochila"],
    "it": ["piumino", "vestito", "jeans", "AirPods Pro", "cuffie", "sneakers", "powerbank", "felpa", "cappotto", "smartwatch", "zaino"],
}
COLORS = {
    "zh": ["黑色", "白色", "红色", "蓝色", "灰色", "粉色", "米色"],
    "zh-TW": ["黑色", "白色", "紅色", "藍色", "灰色", "粉紅色"],
    "en": ["black", "white", "red", "navy", "grey", "pink", "beige"],
    "de": ["schwarz", "weiß", "rot", "blau", "grau", "beige"],
    "fr": ["noir", "blanc", "rouge", "bleu", "gris", "rose"],
    "es": ["negro", "blanco", "rojo", "azul", "gris", "rosa"],
    "ja": ["黒", "白", "赤", "ネイビー", "グレー", "ピンク"],
    "ko": ["블랙", "화이트", "레드", "네이비", "그레이", "핑크"],
    "ar": ["الأسود", "الأبيض", "الأحمر", "الأزرق", "الرمادي", "الوردي"],
    "ru": ["чёрный", "белый", "красный", "синий", "серый", "розовый"],
    "pt": ["preto", "branco", "vermelho", "azul", "cinza", "rosa"],
    "it": ["nero", "bianco", "rosso", "blu", "grigio", "rosa"],
}
PREFIX = {
    "zh": ["你好,", "亲,", "在吗 ", "客服,", "请问", "hi ", "您好 "],
    "zh-TW": ["你好,", "請問", "哈囉 ", "不好意思,"],
    "en": ["hi ", "hello, ", "hey ", "quick question: ", "excuse me, ", "um "],
    "de": ["Hallo, ", "Hi ", "Guten Tag, ", "kurze Frage: "],
    "fr": ["Bonjour, ", "Salut ", "bonsoir, ", "petite question : "],
    "es": ["Hola, ", "buenas, ", "oye ", "una pregunta: "],
    "ja": ["すみません、", "こんにちは。", "あの、", "質問です。"],
    "ko": ["안녕하세요 ", "저기요 ", "문의드려요 ", "혹시 "],
    "ar": ["مرحبا، ", "السلام عليكم، ", "لو سمحت ", "سؤال: "],
    "ru": ["Здравствуйте, ", "привет, ", "подскажите, ", "добрый день, "],
    "pt": ["Olá, ", "oi ", "boa tarde, ", "uma dúvida: "],
    "it": ["Ciao, ", "Salve, ", "buongiorno, ", "una domanda: "],
}
EMOJI = ["🙏", "😊", "😭", "🤔", "😅", "👍", "❓", "🥺", "!!"]
LATIN = {"en", "de", "fr", "es", "pt", "it"}
# Intents whose rows should not get a greeting prefix (it would change the meaning).
NO_PREFIX = {"greeting", "thanks_bye"}


def parse(path):
    """Returns {intent: [line, ...]} from a "# intent" sectioned file."""
    out, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("# "):
                cur = line[2:].strip()
                if cur not in INTENTS:
                    sys.exit(f"{path}:{n}: unknown intent {cur!r}")
                out.setdefault(cur, [])
                continue
            if cur is None:
                sys.exit(f"{path}:{n}: text before the first '# intent' heading")
            out[cur].append(line)
    return out


def fill(tpl, lang, rng):
    def rep(m):
        k = m.group(1)
        if k == "order":
            return rng.choice(ORDERS)
        if k == "coupon":
            return rng.choice(COUPONS)
        if k == "size":
            return rng.choice(SIZES)
        if k == "n":
            return rng.choice(NUMS)
        if k == "product":
            return rng.choice(PRODUCTS[lang])
        if k == "color":
            return rng.choice(COLORS[lang])
        sys.exit(f"unknown slot {{{k}}} in {tpl!r}")
    return re.sub(r"\{(\w+)\}", rep, tpl)


def typo(s, rng):
    words = [i for i, w in enumerate(s.split(" ")) if len(w) > 4 and w.isalpha()]
    if not words:
        return s
    ws = s.split(" ")
    i = rng.choice(words)
    w = ws[i]
    j = rng.randrange(1, len(w) - 1)
    if rng.random() < 0.5:
        w = w[:j] + w[j + 1:]  # drop a letter
    else:
        w = w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]  # swap two letters
    ws[i] = w
    return " ".join(ws)


def noise(s, lang, intent, rng):
    r = rng.random
    if lang in LATIN or lang == "ru":
        if r() < 0.3:
            s = s.lower()
        if r() < 0.25:
            s = typo(s, rng)
    if r() < 0.3:
        s = s.rstrip("?？!！.。")
    if intent not in NO_PREFIX and r() < 0.2:
        p = rng.choice(PREFIX[lang])
        if lang in LATIN and not p[0].isupper():
            s = s[0].lower() + s[1:] if s[:1].isupper() and not s[:2].isupper() else s
        s = p + s
    if r() < 0.12:
        s = s + " " + rng.choice(EMOJI) if lang in LATIN or lang in {"ru", "ar", "ko"} else s + rng.choice(EMOJI)
    if lang in {"zh", "zh-TW"} and r() < 0.15:
        s = s.replace("?", "？").replace(",", "，")
    return s.strip()


def norm(s):
    """The text without case, spaces, punctuation or emoji: rows of different
    splits must differ in this form, not just in a trailing "?"."""
    return re.sub(r"[\W_]+", "", s.lower())


def expand(templates, lang, intent, target, rng, seen, blocked=frozenset()):
    rows = []
    if not templates:
        return rows
    tries = 0
    per = max(1, math.ceil(target / len(templates)))
    while len(rows) < target and tries < target * 40:
        for t in templates:
            for _ in range(per):
                tries += 1
                s = fill(t, lang, rng)
                # The first rendering of a template stays clean, later ones get noise.
                if (s in seen) or rng.random() < 0.6:
                    s = noise(s, lang, intent, rng)
                if s and s not in seen and norm(s) not in blocked:
                    seen.add(s)
                    rows.append(s)
                if len(rows) >= target:
                    return rows
    return rows


def main():
    rng = random.Random(SEED)
    test, train, dev = [], [], []
    test_texts = set()
    for lang in LANGS:
        p = os.path.join(HERE, "test", lang + ".txt")
        for intent, lines in parse(p).items():
            for s in lines:
                if s in test_texts:
                    sys.exit(f"{p}: duplicate test text {s!r}")
                test_texts.add(s)
                test.append({"text": s, "intent": intent, "lang": lang})
    splits = {}
    for lang in LANGS:
        p = os.path.join(HERE, "train", lang + ".txt")
        sections = parse(p)
        # The third round of templates (train/<lang>.r3.txt) is appended
        # after the first two, so the first two rounds keep their split.
        p3 = os.path.join(HERE, "train", lang + ".r3.txt")
        if os.path.exists(p3):
            for intent, lines in parse(p3).items():
                sections.setdefault(intent, []).extend(lines)
        for intent in INTENTS:
            tpls = sections.get(intent, [])
            if len(tpls) < 5:
                sys.exit(f"{p}: {intent} needs at least 5 templates, has {len(tpls)}")
            splits[lang, intent] = ([t for i, t in enumerate(tpls) if i % 5 != 4],
                                    [t for i, t in enumerate(tpls) if i % 5 == 4])
    # One seen-set for everything: a text lands in one split, one intent and
    # one language only (train first, then dev).
    # The question paraphrases of the default FAQ pack (also CC0, written by
    # the Kefu authors) are extra training templates of their entry's intent.
    with open(FAQ, encoding="utf-8") as f:
        pack = json.load(f)
    for e in pack["entries"]:
        if not e.get("intent"):
            continue
        for lang, qs in e["questions"].items():
            splits[lang, e["intent"]][0].extend(qs)
    # Train may not match a test row even after norm(); dev may match neither.
    seen = set(test_texts)
    blocked = {norm(s) for s in test_texts}
    for which, out, target in ((0, train, TRAIN_TARGET), (1, dev, DEV_TARGET)):
        if which == 1:
            blocked |= {norm(r["text"]) for r in train}
        for lang in LANGS:
            for intent in INTENTS:
                for s in expand(splits[lang, intent][which], lang, intent, target[lang in MAJOR], rng, seen, blocked):
                    out.append({"text": s, "intent": intent, "lang": lang})
    # dev2: literal sentences, after everything else so that the other
    # splits stay byte-for-byte what they were.
    dev2 = []
    blocked |= {norm(r["text"]) for r in dev}
    for lang in LANGS:
        p = os.path.join(HERE, "dev2", lang + ".txt")
        for intent, lines in parse(p).items():
            for s in lines:
                if norm(s) in blocked:
                    print(f"dev2: dropped {lang} {intent} row equal to another split's", file=sys.stderr)
                    continue
                blocked.add(norm(s))
                dev2.append({"text": s, "intent": intent, "lang": lang})
    for name, rows in (("train", train), ("dev", dev), ("test", test), ("dev2", dev2)):
        with open(os.path.join(OUT, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
