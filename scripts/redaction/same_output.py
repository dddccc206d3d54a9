#!/usr/bin/env python3
"""Check that two `steward` binaries redact identically: detected entities (`--emit entities`) and
redacted text, with the default policy and with user patterns and dictionaries, over the bench
corpus, the Faker quality corpus and fuzzed lines built from every trigger class; and redacted JSON
records (`--input-format jsonl`) built from those lines, under field rules of every kind (drop, keep,
keyed operators, rules on containers, on booleans and nulls, on array items), with every string
scanned, and with scan paths only (the walk that follows them alone).

    python scripts/redaction/same_output.py --old /tmp/steward-before --new .build/release/steward

Exits 1 and names the first differing line of each run when they differ.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# The first keeps every trigger byte in the vector set (the bitmask loop runs); the second adds
# patterns and terms that start lowercase or with '.', so the byte-table loop runs.
TOPOLOGIES = {
    "user-vector": """\
redaction:
  entities: all
  patterns:
    - {name: EMPLOYEE_ID, pattern: "EMP-\\\\d{6}", score: 0.9}
  dictionaries:
    - {name: PROJECT, terms: [Blue Heron, Nightjar], case_insensitive: false}
""",
    "user-table": """\
redaction:
  entities: all
  patterns:
    - {name: EMPLOYEE_ID, pattern: "EMP-\\\\d{6}", score: 0.9}
    - {name: TICKET, pattern: "tk[0-9]{4,}", score: 0.8}
    - {name: DOTTED, pattern: "\\\\.env[a-z]*", score: 0.7}
  dictionaries:
    - {name: PROJECT, terms: [Blue Heron, Nightjar, kestrel], case_insensitive: true}
""",
}

# Field rules on the records `json_records` builds. Keyed operators use the fixed test key below.
RECORD_TOPOLOGY = """\
redaction:
  entities: all
  operators:
    default: replace
    CREDIT_CARD: {type: mask, keep_last: 4, char: "*"}
    DATE_TIME: {type: generalize, to: year}
    EMAIL_ADDRESS: pseudonym
  fields:
    - {path: "$.customer.email", operator: pseudonym, entity: EMAIL_ADDRESS}
    - {path: "$.customer.age", operator: {type: generalize, to: age_band, width: 10}}
    - {path: "$.customer.ssn", operator: drop}
    - {path: "$.customer.tags", operator: {type: mask, keep_last: 2}}
    - {path: "$.customer.vip", operator: replace}
    - {path: "$.customer.closed", operator: drop}
    - {path: "$.amount", operator: {type: noise, scale: 5, distribution: laplace}}
    - {path: "$.items[1]", operator: drop}
    - {path: "$.items[*].sku", operator: encrypt, entity: SKU}
    - {path: "$.raw", operator: keep}
  scan: ["$.message", "$.notes[*].text", "$.items[*].text"]
"""
RECORD_KEY = "hex:" + "0f" * 32

# Scan paths only (keys, indices, `*`), no field rules: the walk that follows the scan paths alone.
SCAN_ONLY_TOPOLOGY = """\
redaction:
  entities: all
  operators: {default: replace, CREDIT_CARD: {type: mask, keep_last: 4}}
  scan: ["$.message", "$.notes[*].text", "$.items[0].text", "$.*.email", "$.customer.tags[*]"]
"""

PIECES = [
    "the", "and", "Hi", "Anna", "Maria Garcia", "Dr. Alvarez", "London", "New York", "Nice", "in Nice",
    "call", "phone:", "+1 415 555 0134", "(555) 123-4567", "+44 20 7946 0958", "00 49 30 1234567",
    "4111 1111 1111 1111", "4242424242424242", "5555-5555-5555-4444", "378282246310005",
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "gb82west12345698765432",
    "078-05-1120", "123-45-6789", "ssn 123456789", "912-70-1234", "NHS 943 476 5919", "9434765919",
    "192.168.1.1", "10.0.0.256", "::1", "fe80::1%eth0", "2001:db8::ff00:42:8329", "::ffff:1.2.3.4",
    "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "https://example.com/a?b=c", "www.example.org",
    "(see https://x.io/y)", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "tb1", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "1982-07-15", "07/15/1982", "15.07.1982", "2020-01-02T03:04:05Z", "July 15, 1982", "Jul 15th 1982",
    "15 July 1982", "15th of July, 1982", "3. März 2020", "15 juillet 1982", "15 de julio de 1982",
    "March 1982", "May I", "10 minutes", "v2.3.1", "version 1.2.3.4", "#4521", "x123", "ext. 12",
    "Ünal", "Zoë", "naïve", "日本語", "€100", "Straße", "École", "ann@example.com", "a.b+tag@sub.example.co.uk",
    "jörg@example.de", "@", ":", "::", ".", "-", "+", "(", ")", "'", "_", "EMP-123456", "tk12345",
    ".envrc", "Blue Heron", "nightjar", "KESTREL", "Berlin192.168.1.1", "AB12", "DB8:", "Will", "Grace",
    "van der Berg", "O'Brien", "Jean-Luc", "A1", "BC1", "TB1Q", "DEADBEEF", "Fe80", "12:30", "order 12345678",
    "\t", "  ", ",", ";", "!", "?", "\"", "0", "9", "99", "1999", "2099", "31", "00",
]


def fuzz_lines(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randrange(1, 12)
        parts = []
        for _ in range(k):
            p = rng.choice(PIECES)
            r = rng.random()
            if r < 0.1:
                p = p.upper()
            elif r < 0.2:
                p = p.lower()
            elif r < 0.25 and len(p) > 2:
                cut = rng.randrange(1, len(p))
                p = p[:cut] + rng.choice(["", " ", "x", "1", ".", "-", "é"]) + p[cut:]
            parts.append(p)
            parts.append(rng.choice([" ", " ", " ", "", ", ", ". ", "-", ":", "/", "\u00a0"]))
        out.append("".join(parts).replace("\n", " ").rstrip("\r"))
    return out


def json_records(lines, seed):
    """One JSON record per line, the line and its neighbours placed in scanned and unscanned fields."""
    rng = random.Random(seed)
    out = []
    for k, line in enumerate(lines):
        other = lines[(k * 7 + 3) % len(lines)]
        rec = {
            "id": f"r-{k}",
            "message": line,
            "notes": [{"text": other, "private": rng.random() < 0.5}, None, 3.5],
            "customer": {
                "email": f"user{k}@example.com", "age": rng.randrange(0, 100), "ssn": "078-05-1120",
                "tags": ["x", other[:20], ["nested", 42, True]], "vip": rng.random() < 0.5, "closed": None,
            },
            "amount": round(rng.uniform(0, 1000), 2),
            "items": [{"sku": f"SKU-{k}", "text": line[:40]}, {"sku": "gone"}, {"sku": f"S{k % 7}", "qty": 2}],
            "raw": other,
            "unscanned": line,
        }
        if rng.random() < 0.2:
            del rec["customer"]
        out.append(json.dumps(rec, ensure_ascii=rng.random() < 0.5))
    return out


def run(binary, args, data):
    env = dict(os.environ, STEWARD_REDACTION_KEY=RECORD_KEY)
    r = subprocess.run([binary, "redact", *args], input=data, capture_output=True, env=env)
    return r.returncode, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--bench-mb", type=int, default=20)
    ap.add_argument("--faker", type=int, default=26000)
    ap.add_argument("--fuzz", type=int, default=60000)
    ap.add_argument("--work", default=None, help="keep corpora here between runs")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="same-output-")
    os.makedirs(work, exist_ok=True)
    corpora = {}
    for name, seed in (("bench42", 42), ("bench7", 7)):
        path = os.path.join(work, name + ".txt")
        if not os.path.exists(path):
            subprocess.run([a.old, "bench", "redact", "--mb", str(a.bench_mb), "--seed", str(seed),
                            "--write-corpus", path], check=True, capture_output=True)
        corpora[name] = path
    faker = os.path.join(work, "faker.txt")
    if not os.path.exists(faker):
        sys.path.insert(0, HERE)
        import gen_corpus
        with open(faker, "w", encoding="utf-8") as f:
            for rec in gen_corpus.generate(a.faker, 2024):
                f.write(rec["text"].replace("\n", " ") + "\n")
    corpora["faker"] = faker
    fuzz = os.path.join(work, "fuzz.txt")
    if not os.path.exists(fuzz):
        with open(fuzz, "w", encoding="utf-8") as f:
            for line in fuzz_lines(a.fuzz, 11):
                f.write(line + "\n")
    corpora["fuzz"] = fuzz
    records = os.path.join(work, "records.jsonl")
    if not os.path.exists(records):
        lines = []
        for name in ("fuzz", "faker", "bench7"):
            with open(corpora[name], encoding="utf-8") as f:
                lines += f.read().split("\n")[:20000]
        with open(records, "w", encoding="utf-8") as f:
            for rec in json_records([l for l in lines if l], 5):
                f.write(rec + "\n")
    policies = [[]]
    for tname, text in TOPOLOGIES.items():
        topo = os.path.join(work, tname + ".yaml")
        with open(topo, "w") as f:
            f.write(text)
        policies.append(["--topology", topo])
    record_topo = os.path.join(work, "records.yaml")
    with open(record_topo, "w") as f:
        f.write(RECORD_TOPOLOGY)
    runs = [(name, policy + emit) for name in corpora for policy in policies
            for emit in (["--emit", "entities"], ["--emit", "redacted"])]
    scan_topo = os.path.join(work, "scan-only.yaml")
    with open(scan_topo, "w") as f:
        f.write(SCAN_ONLY_TOPOLOGY)
    for policy in ([], ["--topology", record_topo], ["--topology", scan_topo]):
        runs.append(("records", policy + ["--input-format", "jsonl", "--emit", "redacted"]))
    corpora["records"] = records
    failed = False
    for name, args in runs:
        path = corpora[name]
        data = open(path, "rb").read()
        old, new = run(a.old, args, data), run(a.new, args, data)
        label = f"{name} {' '.join(args)}"
        if old == new and old[0] == 0 and old[1]:
            print(f"same      {label} ({len(old[1])} bytes out)")
            continue
        failed = True
        ol, nl = old[1].split(b"\n"), new[1].split(b"\n")
        k = next((i for i in range(min(len(ol), len(nl))) if ol[i] != nl[i]), min(len(ol), len(nl)))
        src = data.split(b"\n")
        print(f"DIFFERENT {label}: exit {old[0]} vs {new[0]}, first at line {k + 1}")
        print("  in: ", src[k][:300] if k < len(src) else b"")
        print("  old:", ol[k][:300] if k < len(ol) else b"")
        print("  new:", nl[k][:300] if k < len(nl) else b"")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
