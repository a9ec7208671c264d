"""Keyword matching: slang, affixes, typos; precision and recall of the default labels."""

from __future__ import annotations

from collections import Counter

import pytest

from niaga.automation.defaults import LABELS
from niaga.automation.matching import matched_keywords
from tests.automation.labelled_messages import HELD_OUT, LABELLED


@pytest.mark.parametrize(
    ("text", "keywords", "expected"),
    [
        ("psnan sy blm smpe", ["belum sampai", "pesanan"], ["belum sampai", "pesanan"]),
        ("sudah dikirim?", ["kirim"], ["kirim"]),  # a root keyword matches derivations
        ("sudah dikirim?", ["pengiriman"], []),  # a derived keyword does not
        ("pembayran lewat apa", ["pembayaran"], ["pembayaran"]),  # typo
        ("brp hrg nya", ["harga", "berapa"], ["harga", "berapa"]),  # abbreviations
        ("barangnya rusakkkk", ["rusak"], ["rusak"]),  # elongation
        ("I want to order this", ["want to order"], ["want to order"]),
        ("belum juga sampai", ["belum sampai"], ["belum sampai"]),  # one word between
        ("belum tentu bisa sampai", ["belum sampai"], []),
        ("", ["apa"], []),
    ],
)
def test_matched_keywords(text: str, keywords: list[str], expected: list[str]) -> None:
    assert matched_keywords(text, keywords) == expected


def classify(text: str) -> set[str]:
    found = set()
    for label, (_color, _team, _prio, keywords, exclude) in LABELS.items():
        if matched_keywords(text, keywords) and not (exclude and matched_keywords(text, exclude)):
            found.add(label)
    return found


def scores(data: list[tuple[str, set[str]]]) -> dict[str, tuple[float, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for text, expected in data:
        got = classify(text)
        tp.update(got & expected)
        fp.update(got - expected)
        fn.update(expected - got)
    out = {}
    for label in [*LABELS, "micro"]:
        t, p, n = (
            (sum(tp.values()), sum(fp.values()), sum(fn.values()))
            if label == "micro"
            else (tp[label], fp[label], fn[label])
        )
        out[label] = (t / (t + p) if t + p else 1.0, t / (t + n) if t + n else 1.0)
    return out


def report(name: str, result: dict[str, tuple[float, float]]) -> None:
    print(f"\n{name}:")
    for label, (precision, recall) in result.items():
        print(f"  {label:18} precision {precision:.2f}  recall {recall:.2f}")


def test_labelled_set_is_large_and_realistic() -> None:
    assert len(LABELLED) >= 60
    assert sum(1 for _, labels in LABELLED if not labels) >= 8  # chit-chat gets no label


def test_precision_and_recall_per_label_on_the_tuning_set() -> None:
    result = scores(LABELLED)
    report(f"tuning set ({len(LABELLED)} messages)", result)
    for label, (precision, recall) in result.items():
        assert precision >= 0.9, (label, precision)
        assert recall >= 0.9, (label, recall)


def test_precision_and_recall_on_held_out_messages() -> None:
    """Messages written after the keyword lists were tuned: lower, and reported as such."""
    result = scores(HELD_OUT)
    report(f"held-out set ({len(HELD_OUT)} messages)", result)
    precision, recall = result["micro"]
    assert precision >= 0.85
    assert recall >= 0.6
