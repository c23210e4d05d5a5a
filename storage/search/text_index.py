"""BM25 over the fts extension's index of prompts, scored in numpy.

`PRAGMA create_fts_index` builds the index (schema fts_main_prompts: dict, docs, terms, stats,
stopwords and the tokenize macro) over name, description, content, folder and tags. Beside it
this module keeps `postings` (termid, docid, tf; sorted by termid), `doc_versions` (each doc's
prompts.current_version when indexed) and `build` (an id per build). Scores are the extension's
own match_bm25 formula (k=1.2, b=0.75, log10 idf) over its statistics. A posting's weight before
its idf depends only on its tf and its doc's length, both fixed at the build: it is computed
once, when the index is loaded, and kept (float32), so a keystroke multiplies and takes maxima.

Never stale, never a rebuild per edit: prompts added or edited since the build (their
current_version differs from the indexed one) form a small `Delta`, tokenised with the same
macro, stopwords and Porter stemmer and scored from the same statistics, while their old index
entries are ignored. Deleted and archived prompts drop out through the caller's filter."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from storage.db.connection import load_fts
from storage.db.database import Database

FTS = "fts_main_prompts"
INDEXED_COLUMNS = ("name", "description", "content", "folder", "tags")
# What the tokenizer drops between words: digits stay words, so that numbers, versions and
# model names ("2,000", "gpt-4", "Prompt 1234") are searchable. Queries go through the index's
# own tokenize macro, so they always split as the index did.
IGNORE = "[^a-z0-9]+"
# Starts every build id: an index built by another tokenizer counts as none and is rebuilt.
TOKENIZER = "t2"
K1, B = 1.2, 0.75
MAX_EXPANSIONS = 64  # dictionary terms the last, still-typed query word may stand for
# ... and the postings they may hold together: a keystroke's time is its postings scored, and
# at a million prompts a two-letter prefix's 64 most frequent terms hold 3.6M ("re": 110 ms).
MAX_EXPANDED_POSTINGS = 2_000_000
POSTINGS_BATCH = 1 << 20  # postings read (or kept) at a time when the index is loaded

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

# What the index was built from: unchanged, the index has no delta (a cold process then skips
# the join of every prompt with the index's docs).
INDEXED_SIGNATURE = "SELECT coalesce(sum(hash(id, current_version)), 0) FROM prompts"

_DOC_TOKENS = " || ".join(
    f"{FTS}.tokenize(CAST(p.{c} AS VARCHAR))" if c == "tags" else f"{FTS}.tokenize(p.{c})"
    for c in INDEXED_COLUMNS
)


def build(con: duckdb.DuckDBPyConnection, build_id: str) -> int:
    """(Re)build the index inside the caller's transaction; returns the number of docs."""
    con.execute(f"DROP SCHEMA IF EXISTS {FTS} CASCADE")
    columns = ", ".join(f"'{c}'" for c in INDEXED_COLUMNS)
    con.execute(
        f"PRAGMA create_fts_index('prompts', 'id', {columns}, overwrite=1, ignore='{IGNORE}')"
    )
    con.execute(
        f"CREATE TABLE {FTS}.postings AS SELECT termid, docid, CAST(count(*) AS INTEGER) AS tf "
        f"FROM {FTS}.terms GROUP BY ALL ORDER BY termid, docid"
    )
    con.execute(
        f"CREATE TABLE {FTS}.doc_versions AS SELECT d.docid, p.current_version AS version "
        f"FROM {FTS}.docs d JOIN prompts p ON p.id = d.name"
    )
    con.execute(
        f"CREATE TABLE {FTS}.build AS SELECT CAST(? AS VARCHAR) AS build_id, "
        f"({INDEXED_SIGNATURE}) AS signature",
        [f"{TOKENIZER}-{build_id}"],
    )
    row = con.execute(f"SELECT num_docs FROM {FTS}.stats").fetchone()
    return int(row[0]) if row else 0


def build_text_index(db: Database) -> int:
    """(Re)build the index in its own transaction; 0 when the fts extension cannot load.
    The index is derived from the prompts like a cache, so it is not an audited change."""
    # A burst: its checkpoint (1.8 GB of log at a million prompts) follows the build here, in
    # the background, not at the next idle release, beside the keystrokes the index answers.
    with db.burst(), db.write() as con:
        if not load_fts(con):
            return 0
        db.declare_changed(())  # no prompt, rating or vector: caches take it in unreloaded
        return build(con, db.new_id())


def build_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the index in the file, None when there is none (or an unfinished one, or
    one another tokenizer made)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'build'",
        [FTS],
    ).fetchone()
    if not found or not found[0]:
        return None
    row = con.execute(f"SELECT build_id FROM {FTS}.build").fetchone()
    return str(row[0]) if row and str(row[0]).startswith(f"{TOKENIZER}-") else None


@dataclass(frozen=True, slots=True)
class QueryWord:
    raw: str  # lower-cased, accents stripped, as the tokenizer leaves it
    stem: str
    prefix: bool  # the last word of a query being typed: also stands for longer words


def query_words(con: duckdb.DuckDBPyConnection, query: str) -> list[QueryWord]:
    """The query tokenised and stemmed exactly as the index was; without a trailing space the
    last word is a prefix (as-you-type: "linu" finds Linux)."""
    row = con.execute(
        f"SELECT list_transform({FTS}.tokenize(?), x -> [x, stem(x, 'porter')])", [query]
    ).fetchone()
    pairs = [(raw, stem) for raw, stem in (row[0] if row else []) if raw]
    typing = bool(query) and not query[-1].isspace()
    words: dict[str, QueryWord] = {}
    for i, (raw, stem) in enumerate(pairs):
        word = QueryWord(raw, stem, typing and i == len(pairs) - 1)
        words[f"{stem}:{word.prefix}"] = word
    return list(words.values())


@dataclass(frozen=True, slots=True)
class Delta:
    """Prompts added or edited since the build, tokenised now: `stale` marks their outdated
    index docs; `ids[i]` has `lengths[i]` terms and `tf[term][i]` occurrences of `term`."""

    stale: Bools
    ids: tuple[str, ...]
    lengths: Floats
    tf: dict[str, dict[int, int]]
    new_docs: int  # of `ids`, how many the index does not hold at all
    stale_docs: npt.NDArray[np.int64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stale_docs", np.flatnonzero(self.stale))

    @classmethod
    def empty(cls, n_docs: int) -> Delta:
        return cls(np.zeros(n_docs, bool), (), np.zeros(0), {}, 0)

    def df(self, term: str) -> int:
        return len(self.tf.get(term, ()))

    def score(
        self,
        groups: Sequence[Sequence[str]],
        idf_of: Callable[[str], float],
        avgdl: float,
        match_all: bool,
    ) -> Floats:
        """BM25 of each of `ids`, as TextScorer scores an indexed doc."""
        fresh = np.zeros(len(self.ids))
        words_in = np.zeros(len(self.ids), np.int32)
        for group in groups:
            best = np.zeros(len(self.ids), np.float32)  # as TextScorer's
            for term in group:
                counts = self.tf.get(term)
                if counts:
                    at = np.fromiter(counts, np.int64, len(counts))
                    tf = np.fromiter(counts.values(), np.float64, len(counts))
                    # Rounded as an indexed posting's weight is: an edited prompt scores
                    # exactly as it would once indexed.
                    kept = bm25_weight(tf, self.lengths[at], avgdl).astype(np.float32)
                    weight = np.multiply(kept, idf_of(term), dtype=np.float32)
                    best[at] = np.maximum(best[at], weight)
            fresh += best
            words_in += best > 0
        if match_all:
            fresh[words_in < len(groups)] = 0.0
        return fresh


def signature(con: duckdb.DuckDBPyConnection) -> object:
    """What the index in the file was built from (None for a build that kept none)."""
    try:
        row = con.execute(f"SELECT signature FROM {FTS}.build").fetchone()
    except duckdb.BinderException:
        return None
    return row[0] if row else None


def unchanged(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the prompts are what the index was built from (then the delta is empty)."""
    try:
        found = con.execute(f"SELECT signature = ({INDEXED_SIGNATURE}) FROM {FTS}.build")
    except duckdb.BinderException:  # built before the signature was kept
        return False
    row = found.fetchone()
    return bool(row and row[0])


def delta_of(con: duckdb.DuckDBPyConnection, n_docs: int) -> Delta:
    """The prompts whose indexed version is not their current one, tokenised (`n_docs`: the
    index's docid range)."""
    changed = con.execute(
        f"SELECT p.id, d.docid FROM prompts p LEFT JOIN {FTS}.docs d ON d.name = p.id "
        f"LEFT JOIN {FTS}.doc_versions v ON v.docid = d.docid "
        "WHERE v.version IS DISTINCT FROM p.current_version ORDER BY p.id"
    ).fetchall()
    stale = np.zeros(n_docs, bool)
    stale[[int(docid) for _, docid in changed if docid is not None]] = True
    ids = tuple(str(prompt_id) for prompt_id, _ in changed)
    position = {prompt_id: i for i, prompt_id in enumerate(ids)}
    lengths = np.zeros(len(ids))
    tf: dict[str, dict[int, int]] = {}
    for prompt_id, term, count in doc_terms(con, ids):
        i = position[prompt_id]
        tf.setdefault(term, {})[i] = count
        lengths[i] += count
    new_docs = sum(1 for _, docid in changed if docid is None)
    return Delta(stale, ids, lengths, tf, new_docs)


def doc_terms(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[tuple[str, str, int]]:
    """(prompt id, term, occurrences) of these prompts as they are now, tokenised as the
    index was: its macro, stopwords and stemmer."""
    if not ids:
        return []
    found = con.execute(
        f"SELECT id, stem(w, 'porter') AS term, count(*) FROM ("
        f"  SELECT p.id, unnest({_DOC_TOKENS}) AS w FROM prompts p "
        "   WHERE p.id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
        f") WHERE w <> '' AND w NOT IN (SELECT sw FROM {FTS}.stopwords) GROUP BY ALL",
        [list(ids)],
    ).fetchall()
    return [(str(prompt_id), str(term), int(count)) for prompt_id, term, count in found]


def expand(
    word: QueryWord, terms: Sequence[str], known: Container[str],
    postings: Callable[[str], int], delta: Delta,
) -> list[str]:  # fmt: skip
    """The dictionary terms (`terms`, sorted; `known` holds them) a query word stands for: its
    stem; for a prefix also every term that starts with what was typed, and a stem the typed
    word runs just past ("termina" -> "termin"), those with the most postings (`postings`:
    the index's and the delta's) first, as many as MAX_EXPANSIONS and MAX_EXPANDED_POSTINGS
    allow (the next letter typed narrows them). Postings, not the docs that hold a term now
    (less those edited since the build): what a keystroke reads, and known without looking
    each term's postings up (a cold "re" read 37 ms of them for 29 terms at 1M)."""
    if not word.prefix or len(word.raw) < 2:
        return [word.stem]
    found = {word.stem}
    for start in {word.raw, word.stem}:
        at = bisect.bisect_left(terms, start)
        while at < len(terms) and terms[at].startswith(start):
            found.add(terms[at])
            at += 1
        found.update(t for t in delta.tf if t.startswith(start))
    for cut in prefix_cuts(word.raw):
        if word.raw[:cut] in known or word.raw[:cut] in delta.tf:
            found.add(word.raw[:cut])
    ranked = sorted(found, key=lambda t: (t != word.stem, -postings(t), t))[:MAX_EXPANSIONS]
    held = np.cumsum([postings(t) for t in ranked])
    return ranked[: max(1, int(np.searchsorted(held, MAX_EXPANDED_POSTINGS, "right")))]


def idf(docs: int, df: int) -> float:
    return float(np.log10((docs - df + 0.5) / (df + 0.5) + 1))


def bm25_weight(tf: Floats, lengths: Floats, avgdl: float) -> Floats:
    """A term's BM25 weight in docs of these lengths, before its idf (TextSql scores alike)."""
    avgdl = avgdl or float(lengths.mean() if len(lengths) else 1.0) or 1.0
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths / avgdl))


@dataclass(frozen=True, slots=True)
class TextIndex:
    build_id: str
    terms: list[str]  # sorted dictionary
    termids: dict[str, int]
    df: npt.NDArray[np.int64]  # by termid
    offsets: npt.NDArray[np.int64]  # postings of termid t: [offsets[t], offsets[t + 1])
    post_docs: npt.NDArray[np.integer[Any]]
    post_weight: npt.NDArray[np.float32]  # each posting's bm25_weight, before the term's idf
    doc_ids: npt.NDArray[Any]  # prompt id by docid (objects; kept: UTF-8 bytes)
    doc_version: npt.NDArray[np.int64]
    num_docs: int
    avgdl: float

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, build_id: str) -> TextIndex:
        words = con.execute(f"SELECT termid, term, df FROM {FTS}.dict ORDER BY term").fetchnumpy()
        n_terms = int(words["termid"].max()) + 1 if len(words["termid"]) else 0
        df = np.zeros(n_terms, np.int64)
        df[words["termid"].astype(np.int64)] = words["df"]
        docs = con.execute(
            f"SELECT d.docid, d.name, d.len, v.version FROM {FTS}.docs d "
            f"JOIN {FTS}.doc_versions v USING (docid)"
        ).fetchnumpy()
        n_docs = int(docs["docid"].max()) + 1 if len(docs["docid"]) else 0
        doc_len, doc_ids, doc_version = _doc_arrays(docs, n_docs)
        stats = con.execute(f"SELECT num_docs, avgdl FROM {FTS}.stats").fetchone()
        avgdl = float(stats[1]) if stats and stats[1] is not None else 0.0
        offsets, post_docs, post_weight = _postings(con, n_terms, doc_len, avgdl)
        terms = [str(t) for t in words["term"]]
        return cls(
            build_id=build_id,
            terms=terms,
            termids=dict(zip(terms, (int(t) for t in words["termid"]), strict=True)),
            df=df,
            offsets=offsets,
            post_docs=post_docs,
            post_weight=post_weight,
            doc_ids=doc_ids,
            doc_version=doc_version,
            num_docs=int(stats[0]) if stats else 0,
            avgdl=avgdl,
        )

    def ids_of(self, docs: npt.NDArray[np.int64]) -> list[str]:
        found = self.doc_ids[docs].tolist()
        return [i.decode() for i in found] if self.doc_ids.dtype.kind == "S" else found

    # -- what changed since the build ------------------------------------------------------

    def delta(self, con: duckdb.DuckDBPyConnection) -> Delta:
        """What changed since the build: nothing, when the prompts' signature says so (a
        sum of hashes costs a tenth of the join that finds the changed prompts)."""
        if unchanged(con):
            return Delta.empty(len(self.doc_ids))
        return delta_of(con, len(self.doc_ids))

    # -- scoring ---------------------------------------------------------------------------

    def expand(self, word: QueryWord, delta: Delta) -> list[str]:
        return expand(word, self.terms, self.termids, partial(self._postings, delta=delta), delta)

    def _postings(self, term: str, delta: Delta) -> int:
        termid = self.termids.get(term)
        return delta.df(term) + (0 if termid is None else int(self.df[termid]))

    def _df(self, term: str, delta: Delta) -> int:
        """Docs holding the term now: the index's count, less its stale docs, plus the delta."""
        termid = self.termids.get(term)
        if termid is None:
            return delta.df(term)
        return int(self.df[termid]) - self._stale_in(termid, delta) + delta.df(term)

    def _stale_in(self, termid: int, delta: Delta) -> int:
        """How many of the term's docs are stale: each stale doc looked up in the term's
        postings (sorted by docid), not the postings scanned (a term with millions)."""
        if not len(delta.stale_docs):
            return 0
        docs = self.post_docs[self.offsets[termid] : self.offsets[termid + 1]]
        if not len(docs):
            return 0
        at = np.minimum(np.searchsorted(docs, delta.stale_docs), len(docs) - 1)
        return int(np.count_nonzero(docs[at] == delta.stale_docs))

    def idf_now(self, term: str, delta: Delta) -> float:
        """The term's idf over the docs as they are now (the index's, less the stale, plus
        the delta's)."""
        return idf(self.num_docs + delta.new_docs, self._df(term, delta))

    def docs_where(
        self, con: duckdb.DuckDBPyConnection, clause: str, params: Sequence[object]
    ) -> Bools:
        """Which indexed docs' prompts pass a filter_sql clause (over alias p)."""
        found = con.execute(
            f"SELECT d.docid FROM {FTS}.docs d JOIN prompts p ON p.id = d.name WHERE {clause}",
            list(params),
        ).fetchnumpy()
        allowed = np.zeros(len(self.doc_ids), bool)
        allowed[np.asarray(found["docid"], np.int64)] = True
        return allowed


def _postings(
    con: duckdb.DuckDBPyConnection, n_terms: int, doc_len: Floats, avgdl: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """The postings by term: where each term's start (offsets), their docs and weights. Read
    a batch at a time into the arrays they fill, in the order the build stored them (by term
    and doc): at a million prompts the whole result fetched at once, widened to 64 bits and
    sorted again held ~3 GB at its peak, for 0.35 GB of arrays kept. Stored out of order
    (never by our build), they are read again sorted by DuckDB."""
    row = con.execute(f"SELECT count(*) FROM {FTS}.postings").fetchone()
    total = int(row[0]) if row else 0
    found = _read_postings(con, total, n_terms, doc_len, avgdl, ordered=False)
    if found is None:  # stored out of order
        found = _read_postings(con, total, n_terms, doc_len, avgdl, ordered=True)
    assert found is not None  # (read sorted, they are in order)
    return found


def _read_postings(
    con: duckdb.DuckDBPyConnection,
    total: int,
    n_terms: int,
    doc_len: Floats,
    avgdl: float,
    *,
    ordered: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]] | None:
    """The arrays of `_postings`, or None when a term comes before the one read last."""
    counts = np.zeros(n_terms, np.int64)
    post_docs = np.empty(total, np.int32)
    post_weight = np.empty(total, np.float32)
    order = " ORDER BY termid, docid" if ordered else ""
    reader = con.execute(
        f"SELECT CAST(termid AS INTEGER), CAST(docid AS INTEGER), tf FROM {FTS}.postings{order}"
    ).to_arrow_reader(POSTINGS_BATCH)
    at, last = 0, -1
    for batch in reader:
        termids = batch.column(0).to_numpy()
        if len(termids) and (termids[0] < last or np.any(termids[1:] < termids[:-1])):
            return None
        end = at + batch.num_rows
        counts += np.bincount(termids, minlength=n_terms)
        docs = batch.column(1).to_numpy()
        post_docs[at:end] = docs
        tf = batch.column(2).to_numpy().astype(np.float64)
        post_weight[at:end] = bm25_weight(tf, doc_len[docs], avgdl)
        at, last = end, int(termids[-1]) if len(termids) else last
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return offsets, post_docs, post_weight


def _doc_arrays(
    docs: dict[str, Any], n_docs: int
) -> tuple[Floats, npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Length, prompt id and indexed version by docid, from fetched (docid, name, len,
    version) columns; docs not fetched stay empty."""
    doc_len = np.zeros(n_docs)
    doc_ids = np.full(n_docs, "", dtype=object)
    doc_version = np.zeros(n_docs, np.int64)
    at = np.asarray(docs["docid"], np.int64)
    doc_len[at] = docs["len"]
    doc_ids[at] = list(docs["name"])
    doc_version[at] = docs["version"]
    return doc_len, doc_ids, doc_version


def prefix_cuts(raw: str) -> range:
    """The lengths at which a word being typed may have run past a stem ("termina")."""
    return range(max(3, len(raw) - 2), len(raw))
