"""A prompt's history: versions, diffs between them, restore, and labels that pin one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from storage.db import rows
from storage.db.database import Database
from storage.errors import NotFound, ValidationError
from storage.models import SNAPSHOT_FIELDS, Label, Prompt, PromptVersion
from storage.prompts import references as refs
from storage.prompts.validation import clean_fields, clean_label
from storage.prompts.writer import PromptWriter


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Two versions compared: a unified diff of the content and the other fields that changed."""

    old: PromptVersion
    new: PromptVersion
    unified: str
    changed_fields: dict[str, tuple[Any, Any]]

    def as_text(self) -> str:
        lines = [f"# {f}: {a!r} -> {b!r}" for f, (a, b) in self.changed_fields.items()]
        return "\n".join([*lines, self.unified]).strip("\n") + "\n"


def version_diff(a: PromptVersion, b: PromptVersion) -> VersionDiff:
    """The content as a unified diff, and every other field that differs, from a to b."""
    unified = "\n".join(
        difflib.unified_diff(
            a.content.splitlines(),
            b.content.splitlines(),
            fromfile=f"{a.name}@{a.version}",
            tofile=f"{b.name}@{b.version}",
            lineterm="",
        )
    )
    old_fields = {"name": a.name, **a.metadata}
    new_fields = {"name": b.name, **b.metadata}
    changed = {
        f: (old_fields.get(f), new_fields.get(f))
        for f in dict.fromkeys([*old_fields, *new_fields])
        if old_fields.get(f) != new_fields.get(f)
    }
    return VersionDiff(a, b, unified, changed)


class VersionService:
    def __init__(self, db: Database, writer: PromptWriter) -> None:
        self._db = db
        self._writer = writer

    # -- versions --------------------------------------------------------------------------

    def history(self, ref: str) -> list[PromptVersion]:
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.VERSION_COLUMNS)} FROM prompt_versions "
                "WHERE prompt_id = ? ORDER BY version",
                [prompt.id],
            ).fetchall()
        return [rows.version(row) for row in found]

    def get(self, ref: str, number: int) -> PromptVersion:
        with self._db.read() as con:
            return refs.version(con, refs.resolve(con, ref).prompt, number)

    def diff(self, ref: str, old: int | None = None, new: int | None = None) -> VersionDiff:
        """`diff(ref)`: previous vs current; `diff(ref, a)`: a vs current; `diff(ref, a, b)`."""
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            new_number = new if new is not None else prompt.current_version
            old_number = old if old is not None else max(1, prompt.current_version - 1)
            a = refs.version(con, prompt, old_number)
            b = refs.version(con, prompt, new_number)
        return version_diff(a, b)

    def restore(self, ref: str, number: int, message: str | None = None) -> Prompt:
        """Make an old version current again, as a new version (history is never rewritten)."""
        for tx in self._db.write_attempts("restore version"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                old = refs.version(con, prompt, number)
                values = clean_fields(
                    {
                        "name": old.name,
                        "content": old.content,
                        **{f: old.metadata.get(f) for f in SNAPSHOT_FIELDS},
                    }
                )
                restored = self._writer.update(
                    con, prompt, values, message or f"restored version {number}", action="restore"
                )
        return restored

    # -- labels ----------------------------------------------------------------------------

    def set_label(self, ref: str, label: str, version: int | None = None) -> Label:
        """Point `label` at a version, moving it if it exists: `version`, else the one `ref`
        pins (`Tweet@1`, `Tweet@staging`), else the current one. A pin and another `version`
        are refused."""
        label = clean_label(label)
        if version is not None and version < 1:
            raise ValidationError("version", version, "versions start at 1")
        for tx in self._db.write_attempts("label"):
            with tx as con:
                resolved = refs.resolve(con, ref)
                prompt = resolved.prompt
                if version is None:
                    version = resolved.number  # the pinned version, else the current one
                elif resolved.version is not None and resolved.version.version != version:
                    raise ValidationError(
                        "version",
                        version,
                        f"{ref!r} pins version {resolved.version.version}; give one or the other",
                    )
                number = refs.version(con, prompt, version).version
                old = con.execute(
                    "SELECT version FROM prompt_labels WHERE prompt_id = ? AND label = ?",
                    [prompt.id, label],
                ).fetchone()
                now = self._db.clock()
                # Delete and insert, not INSERT OR REPLACE: a team library has no key to replace by.
                con.execute(
                    "DELETE FROM prompt_labels WHERE prompt_id = ? AND label = ?",
                    [prompt.id, label],
                )
                con.execute(
                    "INSERT INTO prompt_labels VALUES (?, ?, ?, ?)", [prompt.id, label, number, now]
                )
                self._db.audit(
                    con,
                    "label",
                    f"prompt:{prompt.id}",
                    before={label: old[0]} if old else None,
                    after={label: number},
                )
        return Label(prompt.id, label, number, now)

    def remove_label(self, ref: str, label: str) -> None:
        for tx in self._db.write_attempts("unlabel"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                old = con.execute(
                    "DELETE FROM prompt_labels WHERE prompt_id = ? AND label = ? RETURNING version",
                    [prompt.id, label],
                ).fetchone()
                if old is None:
                    raise NotFound(f"prompt {prompt.name!r} has no label {label!r}")
                self._db.audit(con, "unlabel", f"prompt:{prompt.id}", before={label: old[0]})

    def labels(self, ref: str) -> list[Label]:
        with self._db.read() as con:
            prompt = refs.resolve(con, ref).prompt
            found = con.execute(
                f"SELECT {rows.select_list(rows.LABEL_COLUMNS)} FROM prompt_labels "
                "WHERE prompt_id = ? ORDER BY label",
                [prompt.id],
            ).fetchall()
        return [rows.label(row) for row in found]
