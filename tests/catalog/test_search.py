"""Search relevance in Indonesian and English: stems, typos, SKUs, collections, prefixes."""

from __future__ import annotations

from typing import Any

import pytest

from niaga.catalog import search
from niaga.catalog import service as catalog
from niaga.catalog.schemas import ProductCreate, ProductUpdate
from niaga.catalog.text import forms, stem_en, stem_id
from niaga.core.db import transaction

PRODUCTS = [
    (
        "KMJ-BTK-01",
        "Kemeja Batik Pria Lengan Panjang",
        "Bahan katun halus, adem dipakai.",
        ["Pakaian Pria"],
    ),
    (
        "GMS-NAVY-L",
        "Gamis Syari Navy",
        "Gamisnya longgar dan nyaman untuk Lebaran.",
        ["Baju Muslim", "Promo Lebaran"],
    ),
    ("SPT-KLT-42", "Sepatu Kulit Coklat", "Sepatunya dari kulit sapi asli.", ["Sepatu"]),
    ("TAS-ANY-01", "Tas Anyaman Rotan", "Handmade woven bag from Lombok.", ["Aksesoris"]),
    ("KOPI-GAYO", "Kopi Arabika Gayo 250 g", "Roasted coffee beans, fruity.", ["Minuman"]),
    ("DRS-BLU-M", "Blue Summer Dress", "Light cotton dress for women.", ["Pakaian Wanita"]),
    ("KRP-PDS", "Keripik Singkong Pedas", "Keripiknya renyah dan pedas manis.", ["Makanan"]),
    ("MKN-PTH", "Mukena Putih Bordir", "Mukena dengan bordir halus, kain adem.", ["Baju Muslim"]),
]


@pytest.fixture
def shop(factory: Any) -> dict[str, int]:
    ids = {}
    with transaction(factory) as s:
        for sku, name, description, collections in PRODUCTS:
            product = catalog.do_create_product(
                s,
                ProductCreate(
                    sku=sku,
                    name=name,
                    description=description,
                    price=100_000,
                    collections=collections,
                ),
            )
            ids[sku] = product.id
    return ids


def find(factory: Any, query: str, **kw: Any) -> list[str]:
    with factory() as s:
        return [p.sku for p in search.search(s, query, **kw)]


def test_stemmers() -> None:
    assert stem_id("kemejanya") == "kemeja"
    assert stem_id("minuman") == "minum"
    assert stem_en("dresses") == "dress"
    assert stem_en("shoes") == "shoe"
    assert "sepatu" in forms("shoes")  # the small bilingual lexicon
    assert "kemeja" in forms("shirts")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("kemeja", "KMJ-BTK-01"),
        ("kemejanya", "KMJ-BTK-01"),  # stemmed
        ("kemja batik", "KMJ-BTK-01"),  # typo
        ("gamis", "GMS-NAVY-L"),
        ("gamsi navy", "GMS-NAVY-L"),  # typo
        ("GMS-NAVY-L", "GMS-NAVY-L"),  # SKU
        ("gms navy", "GMS-NAVY-L"),  # SKU parts
        ("sepatunya", "SPT-KLT-42"),
        ("leather shoes", "SPT-KLT-42"),  # English to Indonesian words
        ("shirt", "KMJ-BTK-01"),
        ("coffee", "KOPI-GAYO"),  # English description
        ("kopi", "KOPI-GAYO"),
        ("dresses", "DRS-BLU-M"),  # English plural
        ("bag", "TAS-ANY-01"),
        ("kripik pedas", "KRP-PDS"),  # typo + word
        ("promo lebaran", "GMS-NAVY-L"),
        ("muken", "MKN-PTH"),  # prefix while typing
        ("white", "MKN-PTH"),
    ],
)
def test_relevance(shop: dict[str, int], factory: Any, query: str, first: str) -> None:
    found = find(factory, query)
    assert found, query
    assert found[0] == first, (query, found)


def test_collection_names(shop: dict[str, int], factory: Any) -> None:
    assert set(find(factory, "baju muslim")[:2]) == {"GMS-NAVY-L", "MKN-PTH"}


def test_and_before_or_and_unknown_words(shop: dict[str, int], factory: Any) -> None:
    # Products matching both words come before those matching one.
    found = find(factory, "mukena bordir")
    assert found[0] == "MKN-PTH"
    assert find(factory, "xyzzyqq") == []


def test_visible_only_and_reindex(shop: dict[str, int], factory: Any) -> None:
    with transaction(factory) as s:
        product = catalog.get_product(s, shop["KOPI-GAYO"])
        catalog.do_update_product(s, product, ProductUpdate(visible=False, name="Teh Melati"))
    assert find(factory, "arabika") == []  # the old name is gone from the index
    assert "KOPI-GAYO" in find(factory, "teh melati")
    assert "KOPI-GAYO" not in find(factory, "teh melati", visible_only=True)
    with transaction(factory) as s:
        catalog.do_delete_product(s, catalog.get_product(s, shop["KOPI-GAYO"]))
    assert "KOPI-GAYO" not in find(factory, "teh melati")


def test_paging(shop: dict[str, int], factory: Any) -> None:
    everything = find(factory, "adem", limit=10)
    assert len(everything) >= 2
    assert find(factory, "adem", limit=1, offset=1) == everything[1:2]
