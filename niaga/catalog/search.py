"""Catalog search: our own inverted index in the database, typo correction in memory.

Index: :class:`SearchToken` rows ``(token, product_id, weight)``; each word of a product's
name, SKU, collections and description is stored as itself and as its Indonesian and English
stems (see :mod:`niaga.catalog.text`), weighted by field (name and SKU count most).

Query: each query word becomes a group of tokens (its forms; if none is a known term, the
closest known terms by rapidfuzz; the last word also matches as a prefix, for search as you
type). Products that match every group come first, ranked by summed weight; when fewer than
asked for match all, products matching some groups follow. The vocabulary for typo correction
is :class:`SearchTerm` (append-only), cached per process and refreshed by its highest id.

The same SQL runs on SQLite and PostgreSQL; ``bench/catalog.py`` measures it.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from niaga.catalog.models import Product, SearchTerm, SearchToken
from niaga.catalog.text import fold, forms, sku_tokens, words
from niaga.core.text import clean_query

# Field weights: a word itself, and its derived forms (stems, lexicon).
W_SKU = 12
W_NAME, W_NAME_FORM = 8, 5
W_COLLECTION, W_COLLECTION_FORM = 4, 3
W_DESCRIPTION, W_DESCRIPTION_FORM = 2, 1
# How much a query token counts: typed as is, a form of it, a typo correction or a prefix.
F_EXACT, F_FORM, F_FUZZY, F_PREFIX = 4, 3, 2, 2
FUZZY_CUTOFF = 80.0
FUZZY_PER_WORD = 3
PREFIX_PER_WORD = 8
CANDIDATES = 500
COUNT_CAP = 5_000
MIN_PREFIX = 3
STOP_WORDS = frozenset(
    {"dan", "atau", "yang", "di", "ke", "dari", "untuk", "dengan", "the", "and", "or", "of"}
    | {"for", "with", "a", "an", "in", "to"}
)


def product_tokens(product: Product) -> dict[str, int]:
    """Every token of ``product`` with its weight (the highest where a token repeats)."""
    return tokens_for(
        product.sku, product.name, product.description or "", [c.name for c in product.collections]
    )


def tokens_for(sku: str, name: str, description: str, collections: list[str]) -> dict[str, int]:
    """Tokens and weights of a product given as plain values (bulk indexing, benchmarks)."""
    out: dict[str, int] = {}

    def put(token: str, weight: int) -> None:
        if (len(token) >= 2 or token.isdigit()) and out.get(token, 0) < weight:
            out[token] = weight

    for token in sku_tokens(sku):
        put(token, W_SKU)

    def add_text(value: str, weight: int, form_weight: int) -> None:
        for word in words(value):
            put(word, weight)
            for form in forms(word) - {word}:
                put(form, form_weight)

    add_text(name, W_NAME, W_NAME_FORM)
    for collection in collections:
        add_text(collection, W_COLLECTION, W_COLLECTION_FORM)
    add_text(description, W_DESCRIPTION, W_DESCRIPTION_FORM)
    return out


def _insert_ignore(session: Session, table: object, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(make(table).on_conflict_do_nothing(), rows)  # type: ignore[arg-type]


def index_products(session: Session, products: list[Product]) -> None:
    """(Re)build the postings of ``products`` (call after flush, in the same transaction)."""
    if not products:
        return
    ids = [p.id for p in products]
    session.execute(delete(SearchToken).where(SearchToken.product_id.in_(ids)))
    postings: list[dict[str, object]] = []
    terms: set[str] = set()
    for product in products:
        for token, weight in product_tokens(product).items():
            postings.append({"token": token, "product_id": product.id, "weight": weight})
            terms.add(token)
    if postings:
        session.execute(SearchToken.__table__.insert(), postings)
    known = vocabulary(session).terms
    _insert_ignore(
        session, SearchTerm.__table__, [{"term": t} for t in sorted(terms) if t not in known]
    )


def unindex_product(session: Session, product_id: int) -> None:
    """Remove a product's postings (its terms stay in the vocabulary, harmlessly)."""
    session.execute(delete(SearchToken).where(SearchToken.product_id == product_id))


# --------------------------------------------------------------------------- vocabulary


@dataclass
class Vocabulary:
    """Known terms: a set, a sorted list for prefixes, lists by length for typo matching."""

    last_id: int = 0
    last_term: str | None = None
    terms: set[str] = field(default_factory=set)
    ordered: list[str] = field(default_factory=list)
    # Alphabetic terms by (first letter, length): typos rarely change the first letter.
    by_shape: dict[tuple[str, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    url: str = ""

    def add(self, new: list[str]) -> None:
        fresh = [t for t in new if t not in self.terms]
        if not fresh:
            return
        self.terms.update(fresh)
        self.ordered = sorted(self.terms)
        for term in fresh:
            if term.isalpha():
                self.by_shape[(term[0], len(term))].append(term)

    def prefixed(self, prefix: str, limit: int) -> list[str]:
        start = bisect.bisect_left(self.ordered, prefix)
        out: list[str] = []
        for i in range(start, min(start + limit, len(self.ordered))):
            if not self.ordered[i].startswith(prefix):
                break
            out.append(self.ordered[i])
        return out

    def closest(self, word: str, limit: int) -> list[str]:
        """Known words within a typo or two of ``word`` (same first letter, length ± 2)."""
        if len(word) < 3 or not word.isalpha():
            return []
        candidates: list[str] = []
        for n in range(max(2, len(word) - 2), len(word) + 3):
            candidates.extend(self.by_shape.get((word[0], n), ()))
        if not candidates:
            return []
        found = process.extract(
            word, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit
        )
        return [term for term, _score, _i in found]


_vocab_lock = threading.Lock()
_vocabs: dict[str, Vocabulary] = {}


def vocabulary(session: Session) -> Vocabulary:
    """This database's vocabulary, brought up to date (new terms only) on each call."""
    bind = session.get_bind()
    key = str(bind.url)
    newest = session.scalar(select(func.max(SearchTerm.id))) or 0
    with _vocab_lock:
        vocab = _vocabs.get(key)
        if vocab is not None and vocab.last_id:
            # The term we saw last must still be there (else the table was emptied).
            still = session.scalar(select(SearchTerm.term).where(SearchTerm.id == vocab.last_id))
            if still != vocab.last_term:
                vocab = None
        if vocab is None:
            vocab = _vocabs[key] = Vocabulary(url=key)
        if newest > vocab.last_id:
            rows = session.execute(
                select(SearchTerm.id, SearchTerm.term)
                .where(SearchTerm.id > vocab.last_id)
                .order_by(SearchTerm.id)
            ).all()
            vocab.add([r.term for r in rows])
            vocab.last_id, vocab.last_term = rows[-1].id, rows[-1].term
        return vocab


# --------------------------------------------------------------------------- query


@dataclass(frozen=True)
class QueryPlan:
    """What a query was turned into: one ``{token: factor}`` group per query word."""

    groups: list[dict[str, int]]
    corrections: dict[str, list[str]]


def plan(session: Session, query: str) -> QueryPlan:
    """Turn ``query`` into token groups, correcting typos against the vocabulary."""
    query = clean_query(query)
    vocab = vocabulary(session)
    raw = words(query)
    kept = [w for w in raw if w not in STOP_WORDS and (len(w) >= 2 or w.isdigit())] or raw
    groups: list[dict[str, int]] = []
    corrections: dict[str, list[str]] = {}
    whole = fold(query).strip()
    if whole in vocab.terms and len(kept) > 1 and whole not in kept:  # a whole SKU
        return QueryPlan([{whole: F_EXACT}], {})
    for i, word in enumerate(kept):
        group: dict[str, int] = {}
        for form in forms(word):
            if form in vocab.terms:
                group[form] = F_EXACT if form == word else F_FORM
        if not group or word not in vocab.terms:
            fixes = vocab.closest(word, FUZZY_PER_WORD)
            if fixes and not group:
                corrections[word] = fixes
            for fix in fixes:
                for form in forms(fix):
                    if form in vocab.terms:
                        group.setdefault(form, F_FUZZY)
        if i == len(kept) - 1 and len(word) >= MIN_PREFIX:
            for term in vocab.prefixed(word, PREFIX_PER_WORD):
                group.setdefault(term, F_PREFIX)
        if group:
            groups.append(group)
        else:
            groups.append({word: F_EXACT})  # unknown: matches nothing, keeps AND honest
    return QueryPlan(groups, corrections)


@dataclass(frozen=True)
class Hit:
    product_id: int
    score: int
    matched: int


def search_ids(
    session: Session,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    visible_only: bool = False,
) -> list[Hit]:
    """Ids of the best products for ``query``, best first.

    Candidates are the strongest postings (by weight) of each group's tokens, most of them
    from the group with the fewest postings; every candidate is then checked against every
    group (one index seek per token and candidate) and ranked by groups matched, then score,
    all in one SQL statement.
    Bounded work per query whatever the catalog size; for words found in most products the
    ranking is among the strongest :data:`CANDIDATES` postings.
    """
    qp = plan(session, query)
    if not qp.groups:
        return []
    sizes = [_postings(session, list(g)) for g in qp.groups]
    rarest = min(range(len(qp.groups)), key=lambda g: sizes[g])
    params: dict[str, object] = {"lim": limit, "off": offset}
    strongest: list[str] = []
    cases_group: list[str] = []
    cases_factor: list[str] = []
    seen: set[str] = set()
    n = 0
    for g, group in enumerate(qp.groups):
        cap = CANDIDATES if g == rarest else CANDIDATES // 4
        for token, factor in group.items():
            n += 1
            params[f"t{n}"] = token
            strongest.append(
                "SELECT product_id FROM (SELECT product_id FROM catalog_search_tokens"
                f" WHERE token = :t{n} ORDER BY weight DESC, product_id DESC LIMIT {cap}) s{n}"
            )
            if token not in seen:  # a token in two groups counts for the first
                seen.add(token)
                cases_group.append(f"WHEN :t{n} THEN {g}")
                cases_factor.append(f"WHEN :t{n} THEN {factor}")
    visible = ""
    if visible_only:
        visible = " JOIN catalog_products p ON p.id = c.product_id AND p.visible = :yes"
        params["yes"] = True
    token_list = ", ".join(f":t{i}" for i in range(1, n + 1))
    sql = (
        f"WITH c AS ({' UNION '.join(strongest)}),"
        " best AS ("
        "  SELECT t.product_id AS product_id,"
        f"  CASE t.token {' '.join(cases_group)} END AS grp,"
        f"  MAX(t.weight * CASE t.token {' '.join(cases_factor)} END) AS value"
        f"  FROM c{visible}"
        "  JOIN catalog_search_tokens t ON t.product_id = c.product_id"
        f"  AND t.token IN ({token_list})"
        "  GROUP BY 1, 2)"
        " SELECT product_id, SUM(value) AS score, COUNT(*) AS matched FROM best"
        " GROUP BY product_id"
        " ORDER BY matched DESC, score DESC, product_id DESC LIMIT :lim OFFSET :off"
    )
    rows = session.execute(text(sql), params).all()
    return [Hit(r[0], int(r[1]), int(r[2])) for r in rows]


def _postings(session: Session, tokens: list[str]) -> int:
    """How many postings ``tokens`` have, counted up to :data:`COUNT_CAP`."""
    inner = select(SearchToken.product_id).where(SearchToken.token.in_(tokens)).limit(COUNT_CAP)
    return session.scalar(select(func.count()).select_from(inner.subquery())) or 0


def search(
    session: Session, query: str, *, limit: int = 20, offset: int = 0, visible_only: bool = False
) -> list[Product]:
    """The best products for ``query``, best first."""
    hits = search_ids(session, query, limit=limit, offset=offset, visible_only=visible_only)
    if not hits:
        return []
    ids = [h.product_id for h in hits]
    by_id = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [by_id[h.product_id] for h in hits if h.product_id in by_id]
