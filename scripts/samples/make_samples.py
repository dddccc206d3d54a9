"""Sample streams for the three shipped topologies (synthetic: no real people).

Builds on scripts/scoring/generate_data.py (the records the shipped models were trained on) and
adds what the pipeline needs: an id, an event time (one record every 2 s from 2026-11-29T08:00Z),
a sensitive attribute, the person who wrote or clicked (`customer_id`, `author_id`, `user_id`: the
privacy unit), and, for chats, personal data in the text (Faker-free so it needs nothing beyond the
standard library). A few malformed lines go in too, so the dead-letter path shows.

People are drawn from a heavy-tailed population (Zipf, exponent 1.1, over 500 people), so a few
write dozens of records per window, as real customers and authors do; their ids come from a random
generator of their own, so every other field is what it was before the ids were added.

Usage: python scripts/samples/make_samples.py  (writes Topologies/samples/{chats,finance,clicks}.jsonl)
"""
import datetime
import json
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "scoring"))
import generate_data  # noqa: E402

START = datetime.datetime(2026, 11, 29, 8, 0, tzinfo=datetime.timezone.utc)
NAMES = ["Jane Doe", "Max Mustermann", "Marie Dupont", "Yuki Tanaka", "Ayşe Yılmaz"]
BAD = ['{"broken json', '[1,2,3]', '{"ts":"2026-11-29T08:00:00Z"}']


USERS = 500
USER_FIELDS = {"chats": ("customer_id", "cust"), "finance": ("author_id", "auth"), "clicks": ("user_id", "user")}


def people(seed):
    """An endless stream of person numbers, Zipf-distributed over USERS people."""
    rng = random.Random(seed)
    weights = [1 / (k + 1) ** 1.1 for k in range(USERS)]
    while True:
        yield from rng.choices(range(USERS), weights=weights, k=1000)


def stamp(i):
    return (START + datetime.timedelta(seconds=2 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def chats(rng, n):
    for i in range(n):
        r = generate_data.chat(rng)
        if rng.random() < 0.3:
            name = rng.choice(NAMES)
            email = name.lower().replace(" ", ".").encode("ascii", "ignore").decode() + "@example.com"
            r["message"] += rng.choice([f" — {name}, {email}", f" call me on +44 20 7946 {rng.randint(1000, 9999)}",
                                        f" card 4111 1111 1111 1111 was charged"])
        r.update(id=r.pop("chat_id"), ts=stamp(i), region=rng.choice(["north", "south", "east", "west"]))
        yield r


def finance(rng, n):
    for i in range(n):
        r = generate_data.finance(rng)
        r.update(id=r.pop("post_id"), ts=stamp(i), language=rng.choice(["en", "de", "fr"]))
        yield r


def clicks(rng, n):
    for i in range(n):
        r = generate_data.click(rng)
        r.update(id=r.pop("impression_id"), ts=stamp(i))
        yield r


def main():
    out = ROOT / "Topologies" / "samples"
    for name, make in {"chats": chats, "finance": finance, "clicks": clicks}.items():
        rng = random.Random(7)
        field, prefix = USER_FIELDS[name]
        who = people(26)
        records = [dict(r, **{field: f"{prefix}{next(who):04d}"}) for r in make(rng, 3000)]
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        for k, bad in enumerate(BAD):
            lines.insert(100 + 700 * k, bad)
        (out / f"{name}.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
