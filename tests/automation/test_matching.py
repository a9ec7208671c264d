"""Keyword matching: slang, affixes, typos; precision and recall of the default labels."""

from __future__ import annotations

from collections import Counter

import pytest

from niaga.automation.defaults import LABELS
from niaga.automation.matching import matched_keywords
from tests.automation.labelled_messages import FRESH, HELD, TUNING


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


from niaga.automation.intents import classify  # noqa: E402


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
    everything = TUNING + HELD + FRESH
    assert len(everything) >= 300 and len(HELD) >= 100
    assert len({text for text, _ in everything}) == len(everything)  # no message twice
    assert sum(1 for _, labels in everything if not labels) >= 40  # chit-chat gets no label
    for label in LABELS:  # every label is measured on enough messages of its own
        assert sum(1 for _, labels in HELD if label in labels) >= 8, label


def test_precision_and_recall_per_label_on_the_tuning_set() -> None:
    result = scores(TUNING)
    report(f"tuning set ({len(TUNING)} messages)", result)
    for label, (precision, recall) in result.items():
        assert precision >= 0.9, (label, precision)
        assert recall >= 0.9, (label, recall)


def test_precision_and_recall_per_label_on_held_out_messages() -> None:
    """The issue's bar: every label at least 0.9 precision and recall on the held-out set."""
    result = scores(HELD)
    report(f"held-out set ({len(HELD)} messages)", result)
    for label, (precision, recall) in result.items():
        assert precision >= 0.9, (label, precision)
        assert recall >= 0.9, (label, recall)


def test_fresh_messages_are_reported_honestly() -> None:
    """Written after tuning and never tuned on: what keyword rules really generalise to
    (measured 0.85 precision, 0.64 recall). Guarded against getting worse, not dressed up."""
    result = scores(FRESH)
    report(f"fresh set ({len(FRESH)} messages)", result)
    precision, recall = result["micro"]
    assert precision >= 0.8 and recall >= 0.6
