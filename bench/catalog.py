"""Catalog search benchmark: 100,000 products, a mixed query load, p50/p95/p99 latency.

    .venv/bin/python bench/catalog.py                   # SQLite in a temp dir, 100,000 products
    .venv/bin/python bench/catalog.py --products 20000  # smaller
    .venv/bin/python bench/catalog.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Products are synthetic but shaped like an Indonesian shop's: a product type, colour, material,
style and size in the name, a 15-40 word description (with suffixed forms such as "bahannya"),
one or two collections, and a generated brand word, so the vocabulary is large (tens of
thousands of terms). Queries mix Indonesian and English, single and multiple words, typos,
suffixed forms, SKUs and prefixes. Each query is timed through :func:`search_ids` on one
session (what the API and the public page call). Target: p95 < 20 ms on SQLite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from niaga.catalog.models import (
    Collection,
    Product,
    ProductCollection,
    SearchTerm,
    SearchToken,
)
from niaga.catalog.search import search_ids, tokens_for
from niaga.core.db import make_engine, make_sessionmaker
from niaga.core.migrate import upgrade


def _split(text: str) -> list[str]:
    return text.split()


TYPES = _split(
    "kemeja gamis kaos celana rok jilbab kerudung mukena sepatu sandal tas dompet jaket topi "
    "sarung koko tunik blus daster piyama kopi teh keripik sambal madu sabun lilin kue roti "
    "bantal sprei handuk"
)
COLOURS = _split("merah biru hijau hitam putih kuning coklat navy maroon krem abu ungu pink")
MATERIALS = _split("katun linen sutra rayon denim wol kulit kanvas satin jersey spandek")
STYLES = _split("polos motif batik bordir premium casual formal syari oversize slim lebaran")
SIZES = _split("S M L XL XXL")
FILLER = _split(
    "bahannya nyaman dipakai sehari hari cocok untuk acara santai maupun resmi jahitannya rapi "
    "warnanya tidak mudah pudar dikirim dari bandung tersedia berbagai ukuran kualitas terbaik "
    "harga terjangkau pengiriman cepat garansi uang kembali produk lokal buatan tangan ringan "
    "adem menyerap keringat elegan modern klasik sangat lembut tebal tipis pas di badan "
    "soft comfortable breathable handmade local product fast shipping best quality"
)
COLLECTIONS = (
    "Baju Muslim",
    "Promo Lebaran",
    "Pakaian Pria",
    "Pakaian Wanita",
    "Anak",
    "Aksesoris",
    "Makanan",
    "Minuman",
    "Perawatan Diri",
    "Rumah Tangga",
    "Best Seller",
    "Koleksi Baru",
)
SYLLABLES = _split("ka ri mu sa to na be la di go ra ne si pu wa ya ko ta ma je ha lo")


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_products(n: int, rng: random.Random) -> list[dict[str, object]]:
    out = []
    for i in range(1, n + 1):
        kind = rng.choice(TYPES)
        name = " ".join(
            [
                kind.capitalize(),
                rng.choice(STYLES),
                rng.choice(MATERIALS),
                rng.choice(COLOURS),
                brand(rng).capitalize(),
                rng.choice(SIZES),
            ]
        )
        desc_words = [rng.choice(FILLER) for _ in range(rng.randint(15, 40))]
        desc_words.insert(rng.randint(0, len(desc_words)), f"{kind}nya")
        desc_words.insert(rng.randint(0, len(desc_words)), brand(rng))
        out.append(
            {
                "id": i,
                "sku": f"{kind[:3].upper()}-{i:06d}",
                "name": name,
                "description": " ".join(desc_words),
                "price": rng.randrange(10_000, 1_000_000, 500),
                "collections": rng.sample(range(len(COLLECTIONS)), k=rng.randint(1, 2)),
            }
        )
    return out


def load(url: str, products: list[dict[str, object]]) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    now = time.perf_counter()
    with factory() as s, s.begin():
        s.execute(
            insert(Collection),
            [
                {"id": i + 1, "name": name, "slug": name.lower().replace(" ", "-"), "position": i}
                for i, name in enumerate(COLLECTIONS)
            ],
        )
    terms: set[str] = set()
    batch = 5000
    for start in range(0, len(products), batch):
        chunk = products[start : start + batch]
        postings = []
        links = []
        for p in chunk:
            names = [COLLECTIONS[c] for c in p["collections"]]  # type: ignore[attr-defined]
            for token, weight in tokens_for(p["sku"], p["name"], p["description"], names).items():  # type: ignore[arg-type]
                postings.append({"token": token, "product_id": p["id"], "weight": weight})
                terms.add(token)
            links += [{"product_id": p["id"], "collection_id": c + 1} for c in p["collections"]]  # type: ignore[attr-defined]
        with factory() as s, s.begin():
            s.execute(
                insert(Product),
                [{k: v for k, v in p.items() if k != "collections"} for p in chunk],
            )
            s.execute(insert(ProductCollection), links)
            s.execute(insert(SearchToken), postings)
    with factory() as s, s.begin():
        s.execute(insert(SearchTerm), [{"term": t} for t in sorted(terms)])
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that
        # lets the postings be read by index-only scans.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(
        f"loaded {len(products):,} products, {len(terms):,} terms in "
        f"{time.perf_counter() - now:.1f} s"
    )


def queries(products: list[dict[str, object]], rng: random.Random, n: int) -> list[str]:
    fixed = [
        "kemeja",
        "kemejanya",
        "kemeja batik",
        "gamis hitam",
        "kemja",  # typo
        "gamsi navy",  # typo
        "sepatu kulit coklat",
        "shirt",
        "blue dress",
        "leather shoes",
        "kerudung syari",
        "baju muslim",
        "promo lebaran",
        "kopi",
        "kripik pedas",
        "madu",
        "bantal katun putih",
        "jaket denim",
        "keme",  # prefix
        "bahannya nyaman",
        "premium",
        "tas kanvas",
    ]
    out = []
    for i in range(n):
        if i % 4 == 0:
            p = rng.choice(products)
            out.append(str(p["sku"]))
        elif i % 4 == 1:
            p = rng.choice(products)
            words = str(p["name"]).split()
            out.append(" ".join(rng.sample(words, k=2)).lower())
        else:
            out.append(rng.choice(fixed))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse", action="store_true", help="the database at --database-url is already loaded"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="niaga-bench-catalog-")
    url = args.database_url or f"sqlite:///{tmp}/catalog.db"
    products = make_products(args.products, rng)
    if not args.reuse:
        upgrade(url)
        load(url, products)

    engine = make_engine(url)
    factory = make_sessionmaker(engine, read_only=True)
    qs = queries(products, rng, args.queries)
    timings: list[float] = []
    empty = 0
    with factory() as session:
        for q in ("warm up", "kemeja batik", "kemja"):  # vocabulary and statement caches,
            search_ids(session, q)  # as in a running server
        for q in qs:
            started = time.perf_counter()
            hits = search_ids(session, q, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
            empty += not hits
            session.rollback()  # a fresh read transaction per query, like a request
        sample = {q: [h.product_id for h in search_ids(session, q, limit=3)] for q in qs[:3]}
    engine.dispose()
    timings.sort()
    pct = statistics.quantiles(timings, n=100)
    print(f"database: {engine.dialect.name}, products: {args.products:,}, queries: {len(qs):,}")
    print(
        f"search latency ms: p50 {pct[49]:.2f}  p95 {pct[94]:.2f}  p99 {pct[98]:.2f}  "
        f"max {timings[-1]:.2f}  mean {statistics.fmean(timings):.2f}"
    )
    print(f"queries with no hit: {empty}; sample: {sample}")
    verdict = "PASS" if pct[94] < 20 else "MISS"
    print(f"target p95 < 20 ms: {verdict}")


if __name__ == "__main__":
    main()
