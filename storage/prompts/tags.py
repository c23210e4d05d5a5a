"""Tags: adding and removing them (each a new version), their colours and counts."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db.database import Database
from storage.errors import NotFound
from storage.models import Prompt, Tag
from storage.prompts import references as refs
from storage.prompts.validation import clean_colour, clean_tag
from storage.prompts.writer import PromptWriter


class TagService:
    def __init__(self, db: Database, writer: PromptWriter) -> None:
        self._db = db
        self._writer = writer

    # -- tags ------------------------------------------------------------------------------

    def add(self, ref: str, tags: Iterable[str], message: str = "") -> Prompt:
        new = [clean_tag(t) for t in tags]
        for tx in self._db.write_attempts("tag"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                merged = tuple(dict.fromkeys([*prompt.tags, *new]))
                note = message or "tagged " + ", ".join(t for t in new if t not in prompt.tags)
                tagged = self._writer.update(con, prompt, {"tags": merged}, note)
        return tagged

    def remove(self, ref: str, tags: Iterable[str], message: str = "") -> Prompt:
        gone = {clean_tag(t) for t in tags}
        for tx in self._db.write_attempts("untag"):
            with tx as con:
                prompt = refs.resolve(con, ref).prompt
                missing = sorted(gone - set(prompt.tags))
                if missing:
                    raise NotFound(f"prompt {prompt.name!r} has no tag {missing[0]!r}")
                kept = tuple(t for t in prompt.tags if t not in gone)
                note = message or "untagged " + ", ".join(sorted(gone))
                untagged = self._writer.update(con, prompt, {"tags": kept}, note)
        return untagged

    def set_colour(self, tag: str, colour: str) -> Tag:
        name, colour = clean_tag(tag), clean_colour(colour)
        for tx in self._db.write_attempts("tag colour"):
            with tx as con:
                old = con.execute("SELECT colour FROM tags WHERE name = ?", [name]).fetchone()
                if old:
                    con.execute("UPDATE tags SET colour = ? WHERE name = ?", [colour, name])
                else:
                    con.execute(
                        "INSERT INTO tags VALUES (?, ?, ?)", [name, colour, self._db.clock()]
                    )
                self._db.audit(
                    con,
                    "tag_colour",
                    f"tag:{name}",
                    before={"colour": old[0]} if old else None,
                    after={"colour": colour},
                )
                count = con.execute(
                    "SELECT count(*) FROM prompts "
                    "WHERE list_contains(tags, ?) AND archived_at IS NULL",
                    [name],
                ).fetchone()
        return Tag(name, colour, int(count[0]) if count else 0)

    def all(self) -> list[Tag]:
        """Every tag in use or given a colour, with its number of live prompts."""
        with self._db.read() as con:
            found = con.execute(
                "WITH used AS (SELECT unnest(tags) AS name FROM prompts WHERE archived_at IS NULL) "
                "SELECT coalesce(u.name, t.name) AS name, any_value(t.colour), count(u.name) "
                "FROM used u FULL OUTER JOIN tags t ON t.name = u.name GROUP BY 1 ORDER BY 1"
            ).fetchall()
        return [Tag(name, colour, int(count)) for name, colour, count in found]
