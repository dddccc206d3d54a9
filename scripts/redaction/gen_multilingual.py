#!/usr/bin/env python3
"""A multilingual test corpus for redaction boundaries (issue #23), generated with Faker.

Each line holds one entity (an e-mail address, URL, IPv4/IPv6 address, MAC address, IBAN, card
number, phone number, ISO date or US SSN) in text of one locale, placed one of three ways:

- `spaced`: spaces on both sides ("… 山田太郎 james@example.com 東京都 …", "Notice soon james@… as");
- `glued_one`: glued to the text on one side, a space on the other;
- `glued_both`: glued on both sides, to letters or to CJK / full-width punctuation
  ("連絡先：james@example.com。ありがとう", "메일james@example.com으로", "IPアドレス135.60.156.49です").

Script groups: `cjk` (ja_JP, zh_CN, ko_KR, th_TH: scripts written without spaces, or with particles
glued to words) and `latin` (en_US, de_DE, fr_FR, with spaces). Latin lines are only `spaced`, with
ASCII punctuation after the entity now and then. Phone numbers are the locale's own national forms
(Faker's `phone_number`); the other entities are ASCII forms that do not depend on the locale.

    python scripts/redaction/gen_multilingual.py --lines 4000 --seed 23 > /tmp/ml.jsonl

Each line: {"text", "locale", "group", "placement", "spans": [{"type", "start", "end"}]} with
code-point offsets.
"""
import argparse
import json
import random

from faker import Faker

CJK = ["ja_JP", "zh_CN", "ko_KR", "th_TH"]
LATIN = ["en_US", "de_DE", "fr_FR"]
TYPES = ["EMAIL_ADDRESS", "URL", "IP_ADDRESS", "MAC_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "PHONE_NUMBER",
         "DATE_TIME", "US_SSN"]

# Labels written before an entity, per locale and type group.
LABELS = {
    "ja_JP": {"contact": ["連絡先", "メール", "問い合わせ先"], "net": ["IPアドレス", "サイト", "機器"],
              "money": ["口座", "カード番号", "振込先"], "phone": ["電話番号", "携帯", "TEL："], "date": ["日付", "予約日"],
              "id": ["番号", "社会保障番号"]},
    "zh_CN": {"contact": ["联系方式", "邮箱", "请联系"], "net": ["IP地址", "网址", "设备"],
              "money": ["账户", "卡号", "收款账号"], "phone": ["电话", "手机号", "联系电话"], "date": ["日期", "预约日期"],
              "id": ["编号", "社保号"]},
    "ko_KR": {"contact": ["연락처", "이메일", "문의"], "net": ["IP주소", "사이트", "장비"],
              "money": ["계좌", "카드번호", "입금계좌"], "phone": ["전화번호", "휴대폰", "연락처"], "date": ["날짜", "예약일"],
              "id": ["번호", "사회보장번호"]},
    "th_TH": {"contact": ["ติดต่อ", "อีเมล", "สอบถาม"], "net": ["ที่อยู่ไอพี", "เว็บไซต์", "อุปกรณ์"],
              "money": ["บัญชี", "หมายเลขบัตร", "โอนเงินไปที่"], "phone": ["โทร", "เบอร์โทรศัพท์", "มือถือ"],
              "date": ["วันที่", "วันนัด"], "id": ["หมายเลข", "เลขประกันสังคม"]},
}
GROUP = {"EMAIL_ADDRESS": "contact", "URL": "net", "IP_ADDRESS": "net", "MAC_ADDRESS": "net", "IBAN_CODE": "money",
         "CREDIT_CARD": "money", "PHONE_NUMBER": "phone", "DATE_TIME": "date", "US_SSN": "id"}
# What may follow an entity glued to the text: CJK / full-width punctuation, or letters and particles.
AFTER = {
    "ja_JP": ["。", "、", "）", "」", "です。", "まで。", "にご連絡ください", "でした", "！"],
    "zh_CN": ["。", "，", "）", "」", "联系我", "谢谢", "！", "。请查收"],
    "ko_KR": ["으로 연락주세요", "입니다.", "。", "에서", "로", "）", "이에요"],
    "th_TH": ["ครับ", "ค่ะ", "นะ", "）", "。", "ขอบคุณ"],
}
BEFORE = ["：", "（", "「", "、", "", "", "は", "は："]


def phrase(fake, locale, rng):
    """A few words of the locale's own script, without spaces (Thai and CJK write none between words)."""
    if locale in ("ja_JP", "zh_CN", "th_TH"):
        s = fake.sentence(nb_words=rng.randint(3, 6))
    else:  # Faker's ko_KR sentences are Latin placeholder text; use Hangul names, places and companies
        s = rng.choice([fake.name, fake.city, fake.company, fake.address])()
    s = "".join(s.split())
    return s.rstrip(".。")


def latin_phrase(fake, rng):
    return fake.sentence(nb_words=rng.randint(3, 7)).rstrip(".")


def entity(fake, etype, rng, ascii_fake):
    if etype == "EMAIL_ADDRESS":
        return ascii_fake.ascii_free_email() if rng.random() < 0.5 else ascii_fake.ascii_company_email()
    if etype == "URL":
        return ascii_fake.url().rstrip("/") + rng.choice(["", "", "/" + ascii_fake.uri_path()])
    if etype == "IP_ADDRESS":
        return ascii_fake.ipv4_public() if rng.random() < 0.7 else ascii_fake.ipv6()
    if etype == "MAC_ADDRESS":
        return ascii_fake.mac_address()
    if etype == "IBAN_CODE":
        return Faker(rng.choice(["de_DE", "fr_FR", "en_GB", "it_IT", "es_ES", "nl_NL"])).iban()
    if etype == "CREDIT_CARD":
        # Steward reads 13–19 digits; Faker's 12-digit Maestro numbers are left out (a Luhn check on
        # twelve digits without context is too weak to call a number a card).
        # Faker draws JCB numbers from all of 35xx; JCB's range is 3528–3589.
        while True:
            number = ascii_fake.credit_card_number()
            if len(number) >= 13 and not (number.startswith("35") and not 3528 <= int(number[:4]) <= 3589):
                return number
    if etype == "PHONE_NUMBER":
        number = fake.phone_number()
        # Faker's ja_JP "##-####-####" drops the trunk 0 that every Japanese national number has.
        if fake.locales[0] == "ja_JP" and number[0] not in "0+":
            number = "0" + number
        return number
    if etype == "DATE_TIME":
        return ascii_fake.date()
    if etype == "US_SSN":
        return ascii_fake.ssn()
    raise ValueError(etype)


def line(rng, locale, placement, etype, fakes, ascii_fake):
    fake = fakes[locale]
    value = entity(fake, etype, rng, ascii_fake)
    if locale in LATIN:
        before = latin_phrase(fake, rng) + " "
        after = rng.choice([" ", ", ", ". ", "; "]) + latin_phrase(fake, rng) + "."
    else:
        label = rng.choice(LABELS[locale][GROUP[etype]])
        head = phrase(fake, locale, rng) + rng.choice(["。", "、", ""]) + label
        tail = phrase(fake, locale, rng) + "。"
        glued_before = head + rng.choice(BEFORE)
        glued_after = rng.choice(AFTER[locale]) + tail
        spaced_before = head + rng.choice(["：", ""]) + " "
        spaced_after = " " + tail
        if placement == "spaced":
            before, after = spaced_before, spaced_after
        elif placement == "glued_both":
            before, after = glued_before, glued_after
        elif rng.random() < 0.5:
            before, after = glued_before, spaced_after
        else:
            before, after = spaced_before, glued_after
    text = before + value + after
    return {"text": text, "locale": locale, "group": "latin" if locale in LATIN else "cjk", "placement": placement,
            "spans": [{"type": etype, "start": len(before), "end": len(before) + len(value)}]}


def generate(lines, seed):
    rng = random.Random(seed)
    Faker.seed(seed)
    fakes = {loc: Faker(loc) for loc in CJK + LATIN}
    for k, f in enumerate(fakes.values()):
        f.seed_instance(seed + k)
    ascii_fake = Faker("en_US")
    ascii_fake.seed_instance(seed + 100)
    out = []
    for k in range(lines):
        etype = TYPES[k % len(TYPES)]
        if rng.random() < 0.25:
            locale, placement = rng.choice(LATIN), "spaced"
        else:
            locale = rng.choice(CJK)
            placement = rng.choice(["spaced", "glued_one", "glued_both"])
        out.append(line(rng, locale, placement, etype, fakes, ascii_fake))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=23)
    a = ap.parse_args()
    for rec in generate(a.lines, a.seed):
        print(json.dumps(rec, ensure_ascii=False))
