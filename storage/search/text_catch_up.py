"""The text index's delta brought up to date with the few prompts known to have changed
(storage/search/prompt_keys.py finds them), instead of joining every prompt with the index's
docs again (0.5 s at a million prompts): only those prompts are looked up and tokenised."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import duckdb
import numpy as np

from storage.db.ids import among
from storage.prompts.filters import passing
from storage.search.text_index import FTS, Bools, Delta, doc_terms


def updated(con: duckdb.DuckDBPyConnection, delta: Delta, ids: Collection[str]) -> Delta:
    """`delta` with the prompts `ids` as they are now: in it when their indexed doc is
    missing or of another version, out of it (their doc current) otherwise."""
    wanted = sorted(ids)
    if not wanted:
        return delta
    marks = ", ".join("?" * len(wanted))
    listed, listed_params = among(wanted)
    current = {
        str(prompt_id): int(version)
        for prompt_id, version in con.execute(
            f"SELECT id, current_version FROM prompts WHERE id IN {listed}", listed_params
        ).fetchall()
    }
    docs = {
        str(name): (int(docid), version)
        for name, docid, version in con.execute(
            f"SELECT d.name, d.docid, v.version FROM {FTS}.docs d "
            f"LEFT JOIN {FTS}.doc_versions v USING (docid) WHERE d.name IN ({marks})",
            wanted,
        ).fetchall()
    }
    stale = delta.stale.copy()
    fresh: list[str] = []
    for prompt_id in wanted:
        doc = docs.get(prompt_id)
        version = current.get(prompt_id)
        behind = version is not None and (doc is None or doc[1] != version)
        if doc is not None:
            stale[doc[0]] = version is None or behind
        if behind:
            fresh.append(prompt_id)
    replaced = set(wanted)
    kept = [i for i, prompt_id in enumerate(delta.ids) if prompt_id not in replaced]
    at = {old: new for new, old in enumerate(kept)}
    tf = {
        term: moved
        for term, counts in delta.tf.items()
        if (moved := {at[i]: c for i, c in counts.items() if i in at})
    }
    lengths = np.concatenate([delta.lengths[kept], np.zeros(len(fresh))])
    position = {prompt_id: len(kept) + j for j, prompt_id in enumerate(fresh)}
    for prompt_id, term, count in doc_terms(con, fresh):
        i = position[prompt_id]
        tf.setdefault(term, {})[i] = count
        lengths[i] += count
    dropped_new = sum(1 for p in delta.ids if p in replaced and p not in docs)
    added_new = sum(1 for p in fresh if p not in docs)
    return Delta(
        stale,
        tuple(delta.ids[i] for i in kept) + tuple(fresh),
        lengths,
        tf,
        delta.new_docs - dropped_new + added_new,
    )


def fresh_where(
    con: duckdb.DuckDBPyConnection, delta: Delta, clause: str, params: Sequence[object]
) -> Bools:
    """Which of the delta's prompts pass a filter_sql clause (over alias p)."""
    if not delta.ids:
        return np.zeros(0, bool)
    found = passing(con, delta.ids, clause, params)
    return np.array([prompt_id in found for prompt_id in delta.ids], bool)


def patch_allowed(
    con: duckdb.DuckDBPyConnection,
    allowed: Bools,
    ids: Collection[str],
    clause: str,
    params: Sequence[object],
) -> Bools:
    """A mask of the indexed docs passing a filter (TextIndex.docs_where) with the docs of
    these prompts, changed since it was made, looked at again."""
    wanted = sorted(ids)
    if not wanted:
        return allowed
    marks = ", ".join("?" * len(wanted))
    found = con.execute(
        f"SELECT d.docid, coalesce({clause}, false) FROM {FTS}.docs d "
        f"JOIN prompts p ON p.id = d.name WHERE d.name IN ({marks})",
        [*params, *wanted],
    ).fetchall()
    patched = allowed.copy()
    for docid, passes in found:
        patched[int(docid)] = bool(passes)
    return patched
