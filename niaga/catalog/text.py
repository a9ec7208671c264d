"""Words for catalog search: tokens, Indonesian and English stems, a small bilingual lexicon.

A query may be Indonesian or English (or both, as people type), so nothing guesses the
language: every word is indexed and searched as itself plus its Indonesian stem (Sastrawi)
and its English stem (a light suffix stripper), and a few shop words are linked across the two
languages ("shirt" finds "kemeja").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

MAX_TOKEN = 64
_WORD = re.compile(r"[0-9a-z]+")
_SKU_SPLIT = re.compile(r"[^0-9a-z]+")


class _SetDictionary(ArrayDictionary):
    """Sastrawi's dictionary with set lookups (its own list makes one stem take ~0.1 s)."""

    def __init__(self, words: list[str]) -> None:
        super().__init__()
        self.words = set(words)  # type: ignore[assignment]

    def contains(self, word: str) -> bool:
        return word in self.words


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer:
    words = StemmerFactory().get_words()
    return Stemmer(_SetDictionary(words))


def fold(text: str) -> str:
    """Lower case without accents (``Café`` → ``cafe``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The lower-case words (letters and digits) of ``text``."""
    return [w[:MAX_TOKEN] for w in _WORD.findall(fold(text))]


@lru_cache(maxsize=200_000)
def stem_id(word: str) -> str:
    """Indonesian stem (``kemejanya`` → ``kemeja``, ``minuman`` → ``minum``)."""
    if len(word) < 4 or not word.isalpha():
        return word
    return _stemmer().stem_word(word) or word


_EN_RULES = (
    ("ies", "y"),
    ("sses", "ss"),
    ("shes", "sh"),
    ("ches", "ch"),
    ("xes", "x"),
    ("ing", ""),
    ("ed", ""),
    ("s", ""),
)


@lru_cache(maxsize=200_000)
def stem_en(word: str) -> str:
    """A light English stem: plurals, -ing and -ed (``dresses`` → ``dress``)."""
    if len(word) < 5 or not word.isalpha():
        return word
    for suffix, repl in _EN_RULES:
        if word.endswith(suffix) and not word.endswith("ss"):
            base = word[: -len(suffix)] + repl
            if len(base) >= 3:
                if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2]:
                    base = base[:-1]  # running → run
                return base
    return word


# Shop words people search in the other language; both sides are indexed as the left one.
_LEXICON: dict[str, tuple[str, ...]] = {
    "baju": ("clothes", "clothing", "apparel"),
    "kemeja": ("shirt",),
    "kaos": ("tshirt", "tee"),
    "celana": ("pants", "trousers"),
    "rok": ("skirt",),
    "gaun": ("dress", "gown"),
    "jaket": ("jacket",),
    "sepatu": ("shoe", "shoes", "sneaker", "sneakers"),
    "sandal": ("sandals", "slipper", "slippers"),
    "tas": ("bag", "bags", "handbag"),
    "dompet": ("wallet", "purse"),
    "topi": ("hat", "cap"),
    "kerudung": ("hijab", "veil", "headscarf"),
    "jilbab": ("hijab",),
    "mukena": ("prayer",),
    "anak": ("kid", "kids", "child", "children"),
    "wanita": ("women", "woman", "ladies"),
    "pria": ("men", "man"),
    "merah": ("red",),
    "biru": ("blue",),
    "hijau": ("green",),
    "hitam": ("black",),
    "putih": ("white",),
    "kuning": ("yellow",),
    "coklat": ("brown", "chocolate"),
    "kopi": ("coffee",),
    "teh": ("tea",),
    "kue": ("cake", "cookie", "cookies"),
    "roti": ("bread",),
    "minum": ("drink", "beverage"),
    "makan": ("food", "meal"),
    "pedas": ("spicy",),
    "manis": ("sweet",),
    "madu": ("honey",),
    "sabun": ("soap",),
    "kecil": ("small",),
    "besar": ("large", "big"),
    "murah": ("cheap",),
    "baru": ("new",),
}
_TO_ID: dict[str, str] = {en: id_ for id_, ens in _LEXICON.items() for en in ens}


def forms(word: str) -> set[str]:
    """Every token a word is indexed or searched as: itself, its stems, its lexicon entry."""
    out = {word, stem_id(word), stem_en(word)}
    for form in list(out):
        linked = _TO_ID.get(form)
        if linked:
            out.add(linked)
    return {f for f in out if f}


def sku_tokens(sku: str) -> set[str]:
    """A SKU as a whole (folded) and in its parts (``GMS-NAVY-L`` → ``gms-navy-l``, ``gms``…)."""
    folded = fold(sku).strip()[:MAX_TOKEN]
    parts = {p for p in _SKU_SPLIT.split(folded) if p}
    return {folded, folded.replace("-", "").replace("_", ""), *parts} - {""}
