"""The tone of a customer's message, in Indonesian or English, slang and emoji included: the
guide's qualitative reading, done for every message.

A lexicon with rules, not a trained model: it runs on the shop's own machine with nothing to
download, explains itself (the words that decided are returned), and is measured against a
labelled set that ships with the tests (see the README for its accuracy). The text is read
after indoNLP's normalisation ("bgt" → "banget", "bagusss" → "bagus"); each word is compared as
written and by its Sastrawi stem ("mengecewakan" → "kecewa"). A negation within the two words
before flips a word ("tidak sesuai", "gak jelek", "not good"); "kurang" turns a good word bad;
"banget", "sekali", "very" make it count more. Emoji count as words (😍 👍 🙏 good, 😡 👎 😭 bad).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Label = Literal["positive", "neutral", "negative"]
THRESHOLD = 0.75

POSITIVE = {
    # Indonesian and its slang
    "bagus": 1.0,
    "mantap": 1.5,
    "mantul": 1.5,
    "mantab": 1.5,
    "keren": 1.0,
    "kece": 1.0,
    "cakep": 1.0,
    "cantik": 1.0,
    "puas": 1.5,
    "memuaskan": 1.5,
    "suka": 1.0,
    "senang": 1.0,
    "seneng": 1.0,
    "happy": 1.0,
    "makasih": 1.0,
    "terima kasih": 1.0,
    "terimakasih": 1.0,
    "thanks": 1.0,
    "thx": 1.0,
    "ramah": 1.0,
    "cepat": 0.75,
    "cepet": 0.75,
    "gercep": 1.5,
    "rapi": 1.0,
    "rapih": 1.0,
    "sesuai": 0.75,
    "recommended": 1.5,
    "rekomen": 1.5,
    "amanah": 1.5,
    "terpercaya": 1.5,
    "oke": 0.5,
    "ok": 0.5,
    "sip": 1.0,
    "sippp": 1.0,
    "top": 1.0,
    "markotop": 1.5,
    "terbaik": 1.5,
    "sukses": 1.0,
    "nyaman": 1.0,
    "lembut": 0.75,
    "adem": 0.75,
    "wangi": 0.75,
    "murah": 0.75,
    "pas": 0.5,
    "alhamdulillah": 1.0,
    "lancar": 1.0,
    "aman": 0.75,
    "selamat": 0.5,
    "membantu": 1.0,
    "dibantu": 1.0,
    "order lagi": 1.5,
    "beli lagi": 1.5,
    "langganan": 1.0,
    "mantep": 1.5,
    "bagusss": 1.0,
    "matur nuwun": 1.0,
    "nuwun": 1.0,
    "jos": 1.0,
    "ajib": 1.0,
    "juara": 1.5,
    "lucu": 0.75,
    "worth": 1.0,
    "berkat": 0.5,
    # English
    "good": 1.0,
    "great": 1.5,
    "nice": 1.0,
    "love": 1.5,
    "beautiful": 1.5,
    "perfect": 1.5,
    "awesome": 1.5,
    "amazing": 1.5,
    "excellent": 1.5,
    "thank": 1.0,
    "fast": 0.75,
    "friendly": 1.0,
    "satisfied": 1.5,
    "best": 1.5,
    "helpful": 1.0,
    "quality": 0.25,
    "buy again": 1.5,
    "cool": 1.0,
    "glad": 1.0,
    "pleased": 1.0,
}
NEGATIVE = {
    "kecewa": 2.0,
    "mengecewakan": 2.0,
    "rusak": 1.5,
    "cacat": 1.5,
    "jelek": 1.5,
    "buruk": 1.5,
    "lama": 0.75,
    "lambat": 1.0,
    "lemot": 1.5,
    "komplain": 1.5,
    "komplen": 1.5,
    "parah": 1.0,
    "zonk": 2.0,
    "penipu": 2.5,
    "tipu": 2.0,
    "nipu": 2.0,
    "bohong": 2.0,
    "mahal": 0.75,
    "tipis": 0.75,
    "nerawang": 1.0,
    "kasar": 1.0,
    "penyok": 1.5,
    "kotor": 1.0,
    "nyesel": 2.0,
    "menyesal": 2.0,
    "refund": 1.5,
    "salah": 1.0,
    "kesal": 1.5,
    "kesel": 1.5,
    "bau": 1.0,
    "apek": 1.0,
    "lecet": 1.5,
    "bolong": 1.5,
    "rugi": 1.5,
    "marah": 1.5,
    "sebel": 1.5,
    "sebal": 1.5,
    "robek": 1.5,
    "hilang": 1.0,
    "telat": 1.0,
    "terlambat": 1.0,
    "kekecilan": 1.0,
    "kebesaran": 1.0,
    "luntur": 1.5,
    "sobek": 1.5,
    "dibatalin": 1.0,
    "sepihak": 1.5,
    "pecah": 1.5,
    "belum sampai": 1.5,
    "belum dikirim": 1.5,
    "belum datang": 1.5,
    "tidak dikirim": 2.0,
    "ga ada kabar": 1.5,
    "tidak ada kabar": 1.5,
    "gak dibales": 1.5,
    "tidak dibalas": 1.5,
    "tidak sampai": 1.5,
    "lama banget": 1.5,
    "nunggu lama": 1.5,
    "beda": 1.0,
    "kapok": 2.0,
    "kw": 1.5,
    "palsu": 2.0,
    "nyasar": 1.5,
    "gak dibalas": 1.5,
    # English
    "bad": 1.5,
    "worst": 2.5,
    "terrible": 2.5,
    "disappointed": 2.0,
    "disappointing": 2.0,
    "broken": 1.5,
    "damaged": 1.5,
    "late": 1.0,
    "slow": 1.0,
    "wrong": 1.0,
    "never": 0.5,
    "scam": 2.5,
    "angry": 1.5,
    "money back": 2.0,
    "poor": 1.5,
    "awful": 2.5,
    "hate": 2.0,
    "not delivered": 2.0,
    "still not": 1.0,
    "not what": 1.5,
}
EMOJI = {
    "😍": 1.5,
    "🥰": 1.5,
    "❤": 1.5,
    "♥": 1.0,
    "💕": 1.0,
    "👍": 1.0,
    "🙏": 0.75,
    "😊": 1.0,
    "🙂": 0.5,
    "😁": 1.0,
    "😀": 1.0,
    "😃": 1.0,
    "😄": 1.0,
    "🤩": 1.5,
    "🔥": 1.0,
    "👌": 1.0,
    "💯": 1.0,
    "✨": 0.5,
    "🎉": 1.0,
    "😘": 1.0,
    "🤗": 1.0,
    "👏": 1.0,
    ":)": 0.75,
    ":D": 1.0,
    "😡": -2.0,
    "😠": -1.5,
    "🤬": -2.5,
    "👎": -1.5,
    "😭": -1.0,
    "😢": -1.0,
    "😤": -1.5,
    "😞": -1.5,
    "😔": -1.0,
    "💔": -1.5,
    "😒": -1.0,
    "🙄": -1.0,
    "😩": -1.0,
    "😫": -1.0,
    ":(": -1.0,
}
NEGATORS = {
    "tidak",
    "tak",
    "ga",
    "gak",
    "nggak",
    "enggak",
    "engga",
    "ngga",
    "gk",
    "tdk",
    "bukan",
    "belum",
    "jangan",
    "not",
    "no",
    "never",
    "dont",
    "don't",
    "isn't",
    "wasn't",
    "didn't",
}
SOFTENERS = {"kurang"}  # "kurang puas": a good word turned bad, a bad one left bad
BOOSTERS = {
    "banget": 1.5,
    "sekali": 1.5,
    "sangat": 1.5,
    "parah": 1.3,
    "very": 1.5,
    "so": 1.3,
    "really": 1.5,
    "super": 1.5,
    "amat": 1.5,
    "bener": 1.3,
}
WORD_RE = re.compile(r"[a-z0-9']+")
REPEAT_RE = re.compile(r"(?<=[a-z])2$")  # "dibales2": Indonesian's written reduplication
KEEP = {"kw"}  # shop words the slang dictionary reads otherwise ("kw" is a fake, not "kau")


@dataclass(frozen=True)
class Sentiment:
    """A message's tone: its label, the score it comes from, and the words that decided."""

    label: Label
    score: float
    hits: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _slang() -> dict[str, str]:
    """indoNLP's slang dictionary (Kamus Alay), looked up word by word: its own regex over
    4,000 alternatives costs about 0.3 ms a message."""
    from indoNLP.preprocessing import SLANG_DATA

    return dict(SLANG_DATA)


def _normalised(text: str) -> list[str]:
    """The message's words, elongations shortened and slang written out."""
    from indoNLP.preprocessing import replace_word_elongation

    slang = _slang()
    out: list[str] = []
    for word in WORD_RE.findall(replace_word_elongation(text.lower())):
        word = REPEAT_RE.sub("", word)
        out.extend((word if word in KEEP else slang.get(word, word)).split())
    return out


@lru_cache(maxsize=1)
def _phrases() -> list[tuple[str, float]]:
    """The lexicon's phrases as the normalised text has them ("gak dibales" → "enggak
    dibales"), longest first, with their weights."""
    found = {}
    for lexicon, sign in ((POSITIVE, 1.0), (NEGATIVE, -1.0)):
        for phrase, weight in lexicon.items():
            if " " in phrase:
                found[" ".join(_normalised(phrase))] = sign * weight
    return sorted(found.items(), key=lambda item: len(item[0]), reverse=True)


@lru_cache(maxsize=20_000)
def _weight(word: str) -> tuple[float, str] | None:
    """A single word's weight (positive or negative), as written or by its stem."""
    from niaga.automation.matching import stem

    for form in (word, stem(word)):
        if form in POSITIVE:
            return POSITIVE[form], form
        if form in NEGATIVE:
            return -NEGATIVE[form], form
    return None


@lru_cache(maxsize=50_000)
def score(text: str | None) -> Sentiment:
    """The tone of one message (neutral when it carries none)."""
    if not text:
        return Sentiment("neutral", 0.0)
    total, hits = 0.0, []
    for symbol, weight in EMOJI.items():
        if symbol in text:
            total += weight * min(text.count(symbol), 2)
            hits.append(symbol)
    plain = " ".join(_normalised(text))
    for phrase, weight in _phrases():  # words that mean together: "belum sampai", "order lagi"
        if f" {phrase} " in f" {plain} ":
            before = f" {plain} ".split(f" {phrase} ")[0].split()[-2:]
            total += -weight if _negated(before) and weight > 0 else weight
            hits.append(phrase)
            plain = f" {plain} ".replace(f" {phrase} ", " ").strip()
    words = plain.split()
    negation = 0  # words left in which a negator still applies to the next tone word
    previous = 0.0
    for i, word in enumerate(words):
        found = _weight(word)
        if found is None or (word in BOOSTERS and previous > 0):  # "kece parah": very nice
            negation = 2 if word in NEGATORS else max(0, negation - 1)
            previous = 0.0 if found is None else previous
            continue
        weight, form = found
        before = words[max(0, i - 2) : i]
        if any(w in SOFTENERS for w in before):
            weight = -abs(weight)
        elif negation:
            weight = -weight * (0.75 if weight < 0 else 1.0)  # "gak jelek" is mild praise
            negation = 0
        after = words[i + 1 : i + 2]
        boost = max([BOOSTERS.get(w, 1.0) for w in before[-1:] + after] or [1.0])
        total += weight * boost
        previous = weight
        hits.append(form)
    label: Label = (
        "positive" if total >= THRESHOLD else "negative" if total <= -THRESHOLD else "neutral"
    )
    return Sentiment(label, round(total, 2), tuple(hits))


def _negated(before: list[str]) -> bool:
    return any(w in NEGATORS for w in before)


def label(text: str | None) -> Label:
    """Only the label."""
    return score(text).label
