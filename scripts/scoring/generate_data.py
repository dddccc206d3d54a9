"""Synthetic records for Steward's three shipped topologies (no real people, no real chats).

Usage: python scripts/scoring/generate_data.py {chats|finance|clicks} N [--seed S]  > out.jsonl

Each record carries its generated ground truth ("escalated", "sentiment", "clicked") so that models
can be trained and evaluated. Texts mix English with accented Latin, Greek, Turkish, German, CJK and
emoji so that non-ASCII tokenization is exercised end to end.
"""
import argparse
import json
import random

CHAT_CALM = [
    "thanks for the quick help", "my order arrived today", "how do I change my address",
    "can you resend the invoice", "great service as always", "merci beaucoup pour l'aide",
    "danke für die schnelle Antwort", "the café voucher worked", "just checking the delivery date",
    "please update my email", "ありがとうございます", "all good now 👍",
]
CHAT_ANGRY = [
    "this is the third time I am asking", "I want to speak to a manager", "cancel my subscription now",
    "you charged me twice", "unacceptable delay again", "I will file a complaint", "refund immediately",
    "worst support ever", "ΑΠΑΡΆΔΕΚΤΟ ΣΦΆΛΜΑ ΣΤΟΝ ΛΟΓΑΡΙΑΣΜΌ", "İADE İSTİYORUM", "Straße ist falsch, ÄRGERLICH",
    "nobody answers 😡", "my lawyer will contact you",
]
FILLER = ["hello", "hi", "order", "account", "today", "please", "again", "naïve question", "über", "ok", "id", "x"]

FIN_POS = ["beats estimates", "record revenue", "strong guidance", "upgrade to buy", "dividend raised",
           "bullish breakout", "all-time high 🚀", "croissance solide", "Gewinn übertrifft Erwartungen"]
FIN_NEG = ["misses estimates", "profit warning", "downgrade to sell", "guidance cut", "bearish divergence",
           "lawsuit filed", "bankruptcy risk 📉", "chute des ventes", "Verlust ausgeweitet"]
TICKERS = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "ΑΛΦΑ", "東京電力"]
SOURCES = ["forum", "newswire", "microblog", "blog"]

COUNTRIES = ["de", "fr", "us", "jp", "tr", "gr", "br"]
DEVICES = ["mobile", "desktop", "tablet"]
CATEGORIES = ["shoes", "books", "games", "garden", "music", "toys"]
SLOTS = ["top", "side", "feed", "footer"]


def chat(rng):
    escalated = rng.random() < 0.3
    pool = CHAT_ANGRY if escalated else CHAT_CALM
    parts = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.25:  # label noise: calm words in an escalated chat and vice versa
        parts.append(rng.choice(CHAT_CALM if escalated else CHAT_ANGRY))
    parts += rng.sample(FILLER, rng.randint(1, 4))
    rng.shuffle(parts)
    text = " ".join(parts)
    if rng.random() < 0.3:
        text = text.upper()
    return {"chat_id": f"c{rng.randrange(10**9)}", "channel": rng.choice(["web", "app", "email"]),
            "message": text, "escalated": int(escalated)}


def finance(rng):
    positive = rng.random() < 0.5
    pool = FIN_POS if positive else FIN_NEG
    words = [rng.choice(TICKERS)] + [rng.choice(pool) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.2:
        words.append(rng.choice(FIN_NEG if positive else FIN_POS))
    words += rng.sample(["today", "Q3", "shares", "stock", "market", "$", "news", "après", "morgen"], 2)
    rng.shuffle(words)
    return {"post_id": f"p{rng.randrange(10**9)}", "source": rng.choice(SOURCES), "text": " ".join(words),
            "sentiment": int(positive)}


def click(rng):
    r = {"impression_id": f"i{rng.randrange(10**9)}", "country": rng.choice(COUNTRIES),
         "device": rng.choice(DEVICES), "category": rng.choice(CATEGORIES), "slot": rng.choice(SLOTS),
         "position": rng.randint(1, 10), "price": round(rng.lognormvariate(3, 1), 2),
         "user_age_days": rng.randint(0, 2000), "hour": rng.randint(0, 23)}
    logit = -1.5 - 0.25 * r["position"] + (0.8 if r["slot"] == "top" else 0) + (0.5 if r["device"] == "mobile" else 0)
    logit += 0.6 if r["category"] in ("games", "toys") and r["hour"] >= 18 else 0
    logit -= 0.004 * min(r["price"], 300) - 0.0003 * r["user_age_days"]
    p = 1 / (1 + 2.718281828 ** -logit)
    r["clicked"] = int(rng.random() < p)
    return r


GENERATORS = {"chats": chat, "finance": finance, "clicks": click}


def generate(kind, n, seed=0):
    rng = random.Random(f"{kind}-{seed}")
    return [GENERATORS[kind](rng) for _ in range(n)]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=sorted(GENERATORS))
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for rec in generate(a.kind, a.n, a.seed):
        print(json.dumps(rec, ensure_ascii=False))
