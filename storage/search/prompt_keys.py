"""Which prompts changed since the last look, found once for every cache instead of a
comparison per cache: each prompt's id hash and a key of what an edit, a use or an archive
changes (every edit bumps current_version), held as two uint64 arrays in the file's row
order (16 MB at a million prompts).

A write made since is then a handful of ids: the held rows, the text index's delta and its
filter masks take in just those. At a million prompts reading the keys and comparing them in
place costs ~70 ms, the join taken when rows moved ~0.35 s, where the comparisons this
replaces (each cache its own) cost ~2 s."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt

_KEYS = (
    "SELECT hash(id) AS i, hash(id, current_version, usage_count, archived_at) AS k FROM prompts"
)
_DIFF = (
    f"SELECT c.id, n.row FROM ({_KEYS.replace('SELECT ', 'SELECT id, ', 1)}) c "
    "FULL JOIN _known n ON n.i = c.i WHERE c.i IS NULL OR n.i IS NULL OR n.k <> c.k"
)
# More changes than this (a bulk import, a restore) are cheaper reloaded whole than taken in.
MAX_CHANGES = 5000

Keys = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Changes:
    """What a diff found: `ids` added or changed (as they are now); `deleted` whether any
    prompt is gone (their ids are not known: a cache that must forget them reloads)."""

    ids: frozenset[str]
    deleted: bool

    def __bool__(self) -> bool:
        return bool(self.ids) or self.deleted


@dataclass(frozen=True, slots=True)
class PromptKeys:
    ids: Keys  # hash(id), one per prompt
    keys: Keys  # hash(id, current_version, usage_count, archived_at), aligned with `ids`

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> PromptKeys:
        found = con.execute(_KEYS).fetchnumpy()
        return cls(np.asarray(found["i"], np.uint64), np.asarray(found["k"], np.uint64))

    def since(self, con: duckdb.DuckDBPyConnection) -> tuple[PromptKeys, Changes | None]:
        """The keys now and what changed since these were taken; None for more than
        MAX_CHANGES (then the caller reloads whole). Edits, uses and archives leave a row
        where it was and a new prompt is appended, so the keys read now line up with these
        and compare in place; when they do not (DuckDB moves a row whose tags change, a
        deletion leaves a gap) one join of the held keys with the file's finds the changes."""
        now = PromptKeys.load(con)
        held = len(self.ids)
        if len(now.ids) < held or not np.array_equal(now.ids[:held], self.ids):
            return self._joined(con)
        at = np.concatenate(
            [np.flatnonzero(now.keys[:held] != self.keys), np.arange(held, len(now.ids))]
        )
        if len(at) > MAX_CHANGES:
            return now, None
        if not len(at):
            return now, Changes(frozenset(), deleted=False)
        found = con.execute(
            "SELECT id FROM prompts WHERE hash(id) IN (SELECT unnest(CAST(? AS UBIGINT[])))",
            [now.ids[at].tolist()],
        ).fetchall()
        return now, Changes(frozenset(str(row[0]) for row in found), deleted=False)

    def _joined(self, con: duckdb.DuckDBPyConnection) -> tuple[PromptKeys, Changes | None]:
        import pyarrow as pa  # type: ignore[import-untyped]  # a one-shot process needs none

        known = pa.table({"i": self.ids, "k": self.keys, "row": np.arange(len(self.ids))})
        con.register("_known", known)
        try:
            found = con.execute(_DIFF).fetchall()
        finally:
            con.unregister("_known")
        now = PromptKeys.load(con)  # in the file's order, for the next comparison in place
        if len(found) > MAX_CHANGES:
            return now, None
        changed = frozenset(str(prompt_id) for prompt_id, _ in found if prompt_id is not None)
        return now, Changes(changed, deleted=any(prompt_id is None for prompt_id, _ in found))
