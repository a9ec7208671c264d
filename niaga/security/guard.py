"""The sensitive-data guard: card numbers, NIK, bank accounts and passwords in what an agent
is about to send (warn or block, as the owner chooses) or in what a customer sent (masked in
storage if the owner wants), and suspicious links in customers' messages.

Pure functions over text: no database, no network (a link is judged by its shape only and
never followed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz.distance import Levenshtein


@dataclass(frozen=True)
class Finding:
    kind: str  # card | nik | bank_account | password
    start: int
    end: int


KINDS = {
    "card": "a payment card number",
    "nik": "an NIK (identity number)",
    "bank_account": "a bank account number",
    "password": "a password, PIN or OTP",
}
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_BANK = re.compile(
    r"(?i)\b(?:no\.?\s*)?(?:rek(?:ening)?|norek|acc(?:ount)?(?:\s*(?:no|number))?|a/c)"
    r"\.?\s*(?:[a-z]{2,10}\s*)?[:.]?\s*((?:\d[ -]?){7,15}\d)"
)
_SECRET = re.compile(
    r"(?i)\b(?:password|passwd|kata\s*sandi|sandi|pin|otp|kode\s*otp|kode\s*verifikasi)"
    r"\s*(?:nya|anda|kamu)?\s*(?:adalah|is|:|=)\s*(\S{4,64})"
)


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _nik_like(digits: str) -> bool:
    """16 digits shaped like an NIK: province 11–94, a birth date (day + 40 for women)."""
    province, day, month = int(digits[:2]), int(digits[6:8]), int(digits[8:10])
    return 11 <= province <= 94 and 1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 71)


def findings(text: str) -> list[Finding]:
    """Every sensitive value in ``text``."""
    found: list[Finding] = []
    taken: set[int] = set()

    def add(kind: str, start: int, end: int) -> None:
        if not taken & set(range(start, end)):
            found.append(Finding(kind, start, end))
            taken.update(range(start, end))

    for m in _SECRET.finditer(text):
        add("password", m.start(1), m.end(1))
    for m in _NIK.finditer(text):
        if _nik_like(m.group()):
            add("nik", m.start(), m.end())
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn(digits) and not digits.startswith("0"):
            add("card", m.start(), m.end())
    for m in _BANK.finditer(text):
        add("bank_account", m.start(1), m.end(1))
    return sorted(found, key=lambda f: f.start)


def masked(text: str) -> str:
    """``text`` with each sensitive value hidden but its last four characters."""
    out, last = [], 0
    for f in findings(text):
        value = text[f.start : f.end]
        keep = re.sub(r"\D", "", value)[-4:] if f.kind != "password" else ""
        out.append(text[last : f.start] + "•" * 4 + keep)
        last = f.end
    return "".join(out) + text[last:]


# ------------------------------------------------------------------------- links

SHORTENERS = frozenset(
    {
        "bit.ly",
        "s.id",
        "tinyurl.com",
        "cutt.ly",
        "shorturl.at",
        "rb.gy",
        "t.ly",
        "is.gd",
        "ow.ly",
        "goo.gl",
        "tiny.cc",
        "v.gd",
        "rebrand.ly",
        "shorte.st",
        "adf.ly",
        "bitly.com",
    }
)
# Names people are lured with in Indonesia: banks, wallets, marketplaces, couriers, WhatsApp.
BRANDS = (
    "whatsapp",
    "facebook",
    "instagram",
    "google",
    "bca",
    "klikbca",
    "mandiri",
    "bri",
    "bni",
    "btn",
    "cimb",
    "danamon",
    "permata",
    "jenius",
    "dana",
    "ovo",
    "gopay",
    "gojek",
    "grab",
    "shopee",
    "tokopedia",
    "lazada",
    "bukalapak",
    "blibli",
    "tiktok",
    "jne",
    "jnt",
    "sicepat",
    "anteraja",
    "posindonesia",
    "pajak",
    "bpjs",
    "paypal",
)
OFFICIAL = frozenset(
    {
        "whatsapp.com",
        "wa.me",
        "facebook.com",
        "instagram.com",
        "google.com",
        "bca.co.id",
        "klikbca.com",
        "bankmandiri.co.id",
        "bri.co.id",
        "bni.co.id",
        "btn.co.id",
        "cimbniaga.co.id",
        "danamon.co.id",
        "permatabank.com",
        "jenius.com",
        "dana.id",
        "ovo.id",
        "gojek.com",
        "grab.com",
        "shopee.co.id",
        "tokopedia.com",
        "lazada.co.id",
        "bukalapak.com",
        "blibli.com",
        "tiktok.com",
        "jne.co.id",
        "jet.co.id",
        "sicepat.com",
        "anteraja.id",
        "posindonesia.co.id",
        "pajak.go.id",
        "bpjs-kesehatan.go.id",
        "paypal.com",
    }
)
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9.-]+\.[a-z]{2,}/[^\s<>\"']*")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class SuspiciousLink:
    url: str
    reason: str  # ip_address | shortener | lookalike | punycode


def _registered(host: str) -> str:
    parts = host.split(".")
    if len(parts) >= 3 and parts[-2] in ("co", "go", "ac", "or", "web", "my", "sch", "com"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def suspicious_links(text: str) -> list[SuspiciousLink]:
    """Links in ``text`` that deserve a warning, with why."""
    out = []
    for m in _URL.finditer(text or ""):
        url = m.group().rstrip(".,)!?")
        host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
        if not host:
            continue
        registered = _registered(host)
        label = registered.split(".")[0]
        if _IP.match(host):
            reason = "ip_address"
        elif "xn--" in host:
            reason = "punycode"
        elif registered in SHORTENERS or host in SHORTENERS:
            reason = "shortener"
        elif registered in OFFICIAL:
            continue
        elif _looks_like_brand(label, host):
            reason = "lookalike"
        else:
            continue
        out.append(SuspiciousLink(url, reason))
    return out


def _looks_like_brand(label: str, host: str) -> bool:
    """A brand's name bent a little (``whatsaap``, ``sh0pee``) or worn by another domain
    (``bca-secure-login.com``, ``promo-shopee.xyz``)."""
    plain = label.replace("0", "o").replace("1", "l").replace("3", "e").replace("5", "s")
    for brand in BRANDS:
        if len(brand) >= 4 and brand != label and Levenshtein.distance(plain, brand) <= 1:
            return True
        words = re.split(r"[-.]", host)
        if brand in words[:-1] and len(brand) >= 3:
            return True
    return False
