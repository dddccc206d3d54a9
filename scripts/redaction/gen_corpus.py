#!/usr/bin/env python3
"""Generate a labelled PII corpus with Faker: realistic chat and finance sentences in several locales,
every Steward entity type, and hard negatives (order numbers, tracking codes, prices, timestamps,
version strings, UUIDs, SKUs) that carry no gold span.

Output: JSON lines {"text": str, "spans": [{"type", "start", "end"}], "locale": str, "kind": str}
with code-point offsets (Python str indices, end exclusive) — the same convention as
`steward redact --emit entities`.

    python scripts/redaction/gen_corpus.py --n 5000 --seed 7 > corpus.jsonl
"""
import argparse
import hashlib
import ipaddress
import json
import random
import sys

from faker import Faker

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "en_IN", "nl_NL"]
PHONE_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "ja_JP"]

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}

WORLD_CITIES = ["London", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Amsterdam", "Zurich", "Munich", "Hamburg",
                "Dublin", "Edinburgh", "Manchester", "Lisbon", "Barcelona", "Milan", "Lyon", "Copenhagen", "Stockholm",
                "Prague", "Warsaw", "New York", "Los Angeles", "San Francisco", "Chicago", "Seattle", "Boston",
                "Toronto", "Tokyo", "Osaka", "Singapore", "Mumbai", "Bangalore", "Rio de Janeiro", "Buenos Aires",
                "Hong Kong", "Cape Town"]


# ---------------------------------------------------------------- checksummed identifiers

def luhn_complete(prefix, length, rng):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randrange(10))
    s = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    digits.append((10 - s % 10) % 10)
    return "".join(map(str, digits))


def card(fake, rng):
    kind = rng.choice(["visa", "visa", "mc", "mc2", "amex", "discover", "jcb", "diners", "visa19", "unionpay"])
    if kind == "visa":
        num = luhn_complete("4", 16, rng)
    elif kind == "visa19":
        num = luhn_complete("4", 19, rng)
    elif kind == "mc":
        num = luhn_complete(str(rng.randint(51, 55)), 16, rng)
    elif kind == "mc2":
        num = luhn_complete(str(rng.randint(2221, 2720)), 16, rng)
    elif kind == "amex":
        num = luhn_complete(rng.choice(["34", "37"]), 15, rng)
    elif kind == "discover":
        num = luhn_complete(rng.choice(["6011", "65", "644"]), 16, rng)
    elif kind == "jcb":
        num = luhn_complete(str(rng.randint(3528, 3589)), 16, rng)
    elif kind == "diners":
        num = luhn_complete(rng.choice(["36", "300", "305", "38"]), 14, rng)
    else:
        num = luhn_complete("62" + str(rng.randint(2126, 2925)), 16, rng)
    style = rng.random()
    if style < 0.45:
        return num
    sep = " " if style < 0.8 else "-"
    if len(num) == 15:
        groups = [num[:4], num[4:10], num[10:]]
    elif len(num) == 14:
        groups = [num[:4], num[4:10], num[10:]]
    else:
        groups = [num[i:i + 4] for i in range(0, len(num), 4)]
    return sep.join(groups)


IBAN_SPECS = {  # country: (length, bban alphabet per position: 'n' digit, 'a' upper letter, 'c' alnum)
    "AT": "n" * 16, "BE": "n" * 12, "BG": "aaaa" + "n" * 6 + "c" * 8, "CH": "n" * 5 + "c" * 12,
    "CY": "n" * 8 + "c" * 16, "CZ": "n" * 20, "DE": "n" * 18, "DK": "n" * 14, "EE": "n" * 16, "ES": "n" * 20,
    "FI": "n" * 14, "FR": "n" * 10 + "c" * 11 + "nn", "GB": "aaaa" + "n" * 14, "GR": "n" * 7 + "c" * 16,
    "HR": "n" * 17, "HU": "n" * 24, "IE": "aaaa" + "n" * 14, "IS": "n" * 22, "IT": "a" + "n" * 10 + "c" * 12,
    "LI": "n" * 5 + "c" * 12, "LT": "n" * 16, "LU": "nnn" + "c" * 13, "LV": "aaaa" + "c" * 13,
    "MC": "n" * 10 + "c" * 11 + "nn", "MT": "aaaa" + "n" * 5 + "c" * 18, "NL": "aaaa" + "n" * 10, "NO": "n" * 11,
    "PL": "n" * 24, "PT": "n" * 21, "RO": "aaaa" + "c" * 16, "SE": "n" * 20, "SI": "n" * 15, "SK": "n" * 20,
    "SM": "a" + "n" * 10 + "c" * 12, "VA": "n" * 18, "AD": "n" * 8 + "c" * 12, "GI": "aaaa" + "c" * 15,
}


def iban(fake, rng):
    cc = rng.choice(sorted(IBAN_SPECS))
    spec = IBAN_SPECS[cc]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    bban = "".join(rng.choice("0123456789") if k == "n" else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if k == "a"
                   else rng.choice(alnum) for k in spec)
    rearranged = bban + cc + "00"
    num = int("".join(str(int(ch, 36)) for ch in rearranged))
    check = 98 - num % 97
    code = f"{cc}{check:02d}{bban}"
    if rng.random() < 0.5:
        code = " ".join(code[i:i + 4] for i in range(0, len(code), 4))
    return code


def ssn(fake, rng):
    while True:
        area, group, serial = rng.randint(1, 899), rng.randint(1, 99), rng.randint(1, 9999)
        if area != 666:
            break
    sep = rng.choice(["-", "-", "-", " "])
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"


def itin(fake, rng):
    group = rng.choice(list(range(50, 66)) + list(range(70, 89)) + [90, 91, 92] + list(range(94, 100)))
    return f"9{rng.randint(0, 99):02d}-{group:02d}-{rng.randint(0, 9999):04d}"


def nhs(fake, rng):
    while True:
        d = [rng.choice([4, 6, 7])] + [rng.randrange(10) for _ in range(8)]
        check = 11 - sum(x * (10 - i) for i, x in enumerate(d)) % 11
        if check == 11:
            check = 0
        if check != 10:
            break
    s = "".join(map(str, d + [check]))
    return rng.choice([f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"])


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58check(payload):
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def bech32_address(rng, bech32m=False):
    hrp = "bc"
    prog = [rng.randrange(32) for _ in range(32 if not bech32m else 52)]
    data = [0 if not bech32m else 1] + prog
    const = 0x2bc830a3 if bech32m else 1
    values = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data
    polymod = bech32_polymod(values + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + checksum)


def crypto(fake, rng):
    r = rng.random()
    if r < 0.4:
        version = rng.choice([b"\x00", b"\x05"])
        return b58check(version + bytes(rng.randrange(256) for _ in range(20)))
    if r < 0.7:
        return bech32_address(rng, bech32m=rng.random() < 0.3)
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


_FAKERS = {}


def faker_for(loc, rng):
    f = _FAKERS.get(loc)
    if f is None:
        f = _FAKERS[loc] = Faker(loc)
    f.seed_instance(rng.randrange(1 << 30))
    return f


def phone(rng):
    loc = rng.choice(PHONE_LOCALES)
    f = faker_for(loc, rng)
    p = f.phone_number()
    if loc == "en_US" and rng.random() < 0.25:
        area = rng.choice(["800", "555", "229", "659", "983", "341", "447", "572"])  # unusual area codes too
        p = rng.choice([f"({area}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                        f"+1 {area} {rng.randint(200, 999)} {rng.randint(0, 9999):04d}",
                        f"{area}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d} ext. {rng.randint(1, 999)}"])
    return p


def ip(fake, rng):
    r = rng.random()
    if r < 0.45:
        return fake.ipv4()
    if r < 0.75:
        return str(ipaddress.IPv6Address(fake.ipv6()))
    if r < 0.85:
        return f"::ffff:{fake.ipv4()}"
    if r < 0.93:
        return rng.choice(["::1", f"fe80::{rng.randrange(1 << 16):x}:{rng.randrange(1 << 16):x}",
                           f"2001:db8::{rng.randrange(1 << 16):x}"])
    return ipaddress.IPv6Address(fake.ipv6()).exploded


def mac(fake, rng):
    m = fake.mac_address()
    r = rng.random()
    if r < 0.3:
        return m.upper()
    if r < 0.55:
        return m.replace(":", "-").upper()
    if r < 0.65:
        h = m.replace(":", "")
        return f"{h[:4]}.{h[4:8]}.{h[8:]}"
    return m


def date(fake, rng):
    d = fake.date_between(start_date="-80y", end_date="+2y")
    lang = rng.choice(["en", "en", "en", "de", "fr", "es"])
    m = MONTHS[lang][d.month - 1]
    fmt = rng.randrange(10)
    if lang == "en":
        return [f"{m} {d.day}, {d.year}", f"{d.day} {m} {d.year}", f"{m[:3]} {d.day} {d.year}", f"{d.isoformat()}",
                f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}",
                f"{d.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
                f"{m} {d.year}", f"{d.day}th of {m}, {d.year}" if d.day not in (1, 2, 3, 21, 22, 23, 31) else f"{m} {d.day}, {d.year}",
                f"{d.day:02d}/{d.month:02d}/{d.year}"][fmt]
    if lang == "de":
        return [f"{d.day}. {m} {d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}"][fmt % 2]
    if lang == "fr":
        return f"{d.day} {m} {d.year}"
    return f"{d.day} de {m} de {d.year}"


def person(fake, rng):
    loc = rng.choice(LOCALES)
    f = faker_for(loc, rng)
    return f"{f.first_name()} {f.last_name()}", f.first_name()


GAZ_LOCATIONS = None


def location(fake, rng):
    global GAZ_LOCATIONS
    if GAZ_LOCATIONS is None:
        import faker.providers.address.de_DE as de
        import faker.providers.address.en_IN as ind
        import faker.providers.address.en_US as us
        GAZ_LOCATIONS = (WORLD_CITIES * 8 + list(us.Provider.states) + list(de.Provider.cities)[:150]
                         + list(ind.Provider.cities)[:80] + ["France", "Germany", "Spain", "Italy", "Japan",
                                                             "Canada", "Brazil", "India", "Mexico", "Portugal"] * 3)
    return rng.choice(GAZ_LOCATIONS)


# ---------------------------------------------------------------- sentences

TEMPLATES = {
    "EMAIL_ADDRESS": ["pls send the invoice to {X} asap", "my email is {X}", "cc {X} on the thread",
                      "Contact: {X}", "you can reach me at {X}, thanks!", "forwarding from {X} (see below)"],
    "PHONE_NUMBER": ["call me at {X}", "my number is {X}", "phone: {X}", "reach me on {X} after 5pm",
                     "Tel. {X}", "text me at {X} when you land", "mobile {X} (whatsapp too)"],
    "CREDIT_CARD": ["card number {X} exp 09/27", "charged to {X}", "please refund card {X}",
                    "my card is {X}, cvv on the back", "Payment method: {X}"],
    "IBAN_CODE": ["IBAN: {X}", "please wire it to {X}", "bank details {X} (BIC on request)",
                  "Überweisung an {X} bitte", "virement sur {X}"],
    "US_SSN": ["my ssn is {X}", "SSN {X}", "social security number: {X}", "SSN on file: {X}."],
    "US_ITIN": ["ITIN {X}", "my itin is {X}", "taxpayer id (ITIN): {X}"],
    "UK_NHS": ["NHS number {X}", "my NHS no. is {X}", "patient NHS: {X}", "nhs number: {X}, GP surgery"],
    "IP_ADDRESS": ["login from {X} failed", "client ip {X}", "blocked {X} after 5 attempts", "ssh to {X} please"],
    "MAC_ADDRESS": ["device mac {X} is not registered", "MAC: {X}", "whitelist {X} on the router"],
    "URL": ["check {X} for details", "docs: {X}", "the link {X} is broken", "see {X}."],
    "CRYPTO": ["send btc to {X}", "wallet: {X}", "my eth address {X}", "payout address {X}."],
    "DATE_TIME": ["born on {X}", "DOB: {X}", "appointment on {X}", "the contract started {X}",
                  "signed {X} in the office", "date of birth {X}"],
    "PERSON": ["I spoke with {X} yesterday", "{X} will handle the refund", "Regards, {X}",
               "please ask {X} about it", "meeting with {X} at noon", "Customer name: {X}"],
    "PERSON_FIRST": ["Hi {X}, thanks for the quick reply", "thanks {X}!", "Dear {X},", "hello {X}, any update?"],
    "LOCATION": ["I live in {X}", "moving to {X} next month", "flight from {X} was delayed",
                 "our office in {X} is closed", "shipping to {X} takes 3 days"],
}

PLAIN = ["ok sounds good", "lol no way", "can you check the build?", "see you tomorrow", "thanks, that fixed it",
         "the app crashes when I open settings", "any update on my ticket?", "running late, sorry",
         "Great work on the release everyone", "Please reset my password", "I was charged twice this month",
         "The meeting moved to the afternoon", "where do I find the export button", "my order arrived damaged"]


def make_record(rng, fake):
    kind_roll = rng.random()
    spans = []
    if kind_roll < 0.2:
        text = rng.choice(negatives_list(rng, fake))
        return {"text": text, "spans": [], "locale": "en_US", "kind": "negative"}
    if kind_roll < 0.28:
        return {"text": rng.choice(PLAIN), "spans": [], "locale": "en_US", "kind": "plain"}
    etype = rng.choice(list(TEMPLATES))
    template = rng.choice(TEMPLATES[etype])
    gold = etype
    if etype == "EMAIL_ADDRESS":
        value = rng.choice([fake.email, fake.free_email, fake.company_email])()
    elif etype == "PHONE_NUMBER":
        value = phone(rng)
    elif etype == "CREDIT_CARD":
        value = card(fake, rng)
    elif etype == "IBAN_CODE":
        value = iban(fake, rng)
    elif etype == "US_SSN":
        value = ssn(fake, rng)
    elif etype == "US_ITIN":
        value = itin(fake, rng)
    elif etype == "UK_NHS":
        value = nhs(fake, rng)
    elif etype == "IP_ADDRESS":
        value = ip(fake, rng)
    elif etype == "MAC_ADDRESS":
        value = mac(fake, rng)
    elif etype == "URL":
        value = rng.choice([fake.url, fake.uri])()
    elif etype == "CRYPTO":
        value = crypto(fake, rng)
    elif etype == "DATE_TIME":
        value = date(fake, rng)
    elif etype == "PERSON":
        value = person(fake, rng)[0]
    elif etype == "PERSON_FIRST":
        value = person(fake, rng)[1]
        gold = "PERSON"
    else:
        value = location(fake, rng)
    pre, post = template.split("{X}")
    if rng.random() < 0.3:
        lead = rng.choice(PLAIN)
        pre = lead + ("" if lead[-1] in "?!." else ".") + " " + pre
    text = pre + value + post
    spans.append({"type": gold, "start": len(pre), "end": len(pre) + len(value)})
    if rng.random() < 0.25:
        extra = rng.choice(negatives_list(rng, fake))
        text = text + " — " + extra
    return {"text": text, "spans": spans, "locale": "mixed", "kind": "pii"}


def negatives_list(rng, fake):
    return [
        f"order #{rng.randint(100000, 99999999)} shipped",
        f"Order {rng.randint(10000000, 99999999)} is on its way",
        f"tracking 1Z{rng.randint(100, 999)}AA1{rng.randint(10**13, 10**14 - 1)}",
        f"total ${rng.randint(1, 9)},{rng.randint(100, 999)}.{rng.randint(10, 99)} incl. tax",
        f"price: €{rng.randint(1, 999)}.{rng.randint(10, 99)}",
        f"ts={rng.randint(1500000000, 1800000000)} level=info",
        f"[{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}] worker started",
        f"upgraded to v{rng.randint(1, 20)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
        f"version {rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} is out",
        f"request id {fake.uuid4()} timed out",
        f"SKU-{rng.randint(10000, 99999)}-XL is back in stock",
        f"ticket INC{rng.randint(1000000, 9999999)} was closed",
        f"commit {fake.sha1()[:7]} broke the tests",
        f"took {rng.randint(1, 59)}:{rng.randint(10, 59)} min, {rng.randint(2, 99)}% done",
    ]


def generate(n, seed):
    rng = random.Random(seed)
    fake = Faker(LOCALES)
    Faker.seed(seed)
    fake.seed_instance(seed)
    return [make_record(rng, fake) for _ in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    out = sys.stdout
    for rec in generate(args.n, args.seed):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
