"""Keyword and intent matching for Indonesian and English customer messages.

A message is read twice: as written, and normalised with indoNLP (slang and elongated words:
"sy blm dtg" → "saya belum datang", "rusakkkk" → "rusak"). Every word is compared with the
words of a keyword in several forms: as is, its Sastrawi stem ("pengiriman" → "kirim"),
with Indonesian clitics and affixes stripped ("ongkirnya" → "ongkir"), by its consonant
skeleton for abbreviations ("psnan" ~ "pesanan", "hrg" ~ "harga"), and with rapidfuzz for
typos ("pembayran" ~ "pembayaran"). A keyword of several words ("belum sampai") matches when its
words appear in order with at most one other word between them. Sastrawi's stop-word list is
not used (it drops "belum", which carries the meaning of a complaint).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

WORD_RE = re.compile(r"[0-9a-zA-Z\u00C0-\u024F]+(?:'[a-z]+)?")
VOWELS = set("aeiou")
SUFFIXES = ("nya", "lah", "kah", "pun", "kan", "an", "ku", "mu", "in", "i")
PREFIXES = ("meng", "peng", "mem", "men", "pem", "pen", "ber", "ter", "per", "me", "pe", "di", "ke")
MAX_GAP = 1


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    """Sastrawi's stemmer over its root-word dictionary held in a set.

    Sastrawi 1.0's ``ArrayDictionary`` keeps its ~30,000 root words in a list, so every lookup
    scans it (measured: 15-80 ms per new word); a set makes a word take well under 1 ms.
    """
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    dictionary = ArrayDictionary()
    dictionary.words = set(StemmerFactory().get_words())
    return Stemmer(dictionary)


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Sastrawi's stem of one lower-case word (cached)."""
    return _stemmer().stem(word) or word


REDUPLICATED = re.compile(r"\b([a-z]{3,})2\b")


def _normalise_text(text: str) -> str:
    from indoNLP.preprocessing import replace_slang, replace_word_elongation

    # "sampe2", "kata2": the plural or "again and again" shorthand, written out.
    lowered = REDUPLICATED.sub(r"\1 \1", text.lower())
    return replace_slang(replace_word_elongation(lowered))


def words(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return [w.lower() for w in WORD_RE.findall(text)]


def skeleton(word: str) -> str:
    """The word without vowels: ``pesanan`` → ``psnn``."""
    return "".join(c for c in word if c not in VOWELS)


@lru_cache(maxsize=50_000)
def forms(word: str) -> frozenset[str]:
    """Every form a word may match by: itself, its stem, without clitics and affixes."""
    found = {word, stem(word)}
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            found.add(word[: -len(suffix)])
    for form in list(found):
        for prefix in PREFIXES:
            if form.startswith(prefix) and len(form) - len(prefix) >= 3:
                found.add(form[len(prefix) :])
    return frozenset(found)


def _abbreviated(word: str) -> bool:
    """Written without most vowels (``psnan``, ``hrg``, ``brp``)."""
    return len(word) >= 3 and sum(c in VOWELS for c in word) <= max(1, len(word) // 4)


@lru_cache(maxsize=200_000)
def word_matches(token: str, keyword_word: str) -> bool:
    """Does one written word match one keyword word?

    A root keyword ("kirim") matches every derivation ("dikirim", "pengiriman"); a derived one
    ("pengiriman") matches itself with clitics ("pengirimannya"), abbreviated, or mistyped.
    """
    if token == keyword_word:
        return True
    if len(keyword_word) <= 2 or len(token) <= 1:
        return False
    token_forms = forms(token)
    if keyword_word in token_forms:
        return True
    if _abbreviated(token):
        sk = skeleton(token)
        if len(sk) >= 3 and sk == skeleton(keyword_word):
            return True
    if len(keyword_word) >= 5 and len(token) >= 4:
        allowed = 1 if len(keyword_word) < 9 else 2
        for form in token_forms:
            if (
                len(form) >= 4
                and Levenshtein.distance(form, keyword_word, score_cutoff=allowed) <= allowed
            ):
                return True
    return False


@dataclass(frozen=True)
class Analysed:
    """A message's words as written and as normalised."""

    written: tuple[str, ...]
    normalised: tuple[str, ...]

    def variants(self) -> Iterable[tuple[str, ...]]:
        yield self.written
        if self.normalised != self.written:
            yield self.normalised


@lru_cache(maxsize=4096)
def analyse(text: str) -> Analysed:
    """Read ``text`` as written and normalised (cached: rules share one analysis)."""
    return Analysed(tuple(words(text)), tuple(words(_normalise_text(text))))


def _phrase_in(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    for start, token in enumerate(tokens):
        if not word_matches(token, phrase[0]):
            continue
        pos, ok = start, True
        for part in phrase[1:]:
            window = tokens[pos + 1 : pos + 2 + MAX_GAP]
            found = next((i for i, t in enumerate(window) if word_matches(t, part)), None)
            if found is None:
                ok = False
                break
            pos += 1 + found
        if ok:
            return True
    return False


@lru_cache(maxsize=10_000)
def keyword_words(keyword: str) -> tuple[str, ...]:
    """The words of a keyword, lower-case."""
    return tuple(words(keyword))


def matched_keywords(text: str, keywords: Iterable[str]) -> list[str]:
    """The keywords that ``text`` contains (tolerant of slang, affixes and typos)."""
    if not text:
        return []
    analysed = analyse(text)
    found = []
    for keyword in keywords:
        phrase = keyword_words(keyword)
        if phrase and any(_phrase_in(v, phrase) for v in analysed.variants()):
            found.append(keyword)
    return found


def warm_up() -> None:
    """Load Sastrawi's dictionary and indoNLP's tables now, not on the first message."""
    matched_keywords("pesanan saya belum sampai kak", ["kirim"])


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def contains(
    text: str,
    keywords: Sequence[str],
    exclude: Sequence[str] = (),
    patterns: Sequence[str] = (),
) -> bool:
    """A keyword (or one of the regular ``patterns``) is in ``text`` and no ``exclude`` is."""
    if not text:
        return False
    hit = bool(matched_keywords(text, keywords)) or any(_compiled(p).search(text) for p in patterns)
    return hit and not (exclude and matched_keywords(text, exclude))
