"""A real DuckLake write conflict: a client writing without promptdeck's write lock changes
the row a promptdeck save is changing, and commits first. The save is refused in one line
that names the lake (no password), nothing of it is saved, and saving again works."""

from __future__ import annotations

import duckdb
import pytest

from storage import Library
from storage.db.connection import load_extension
from storage.errors import WriteConflict
from tests.lake.conftest import Lake


def test_a_write_that_lost_a_conflict_is_one_line_and_saves_nothing(lake: Lake) -> None:
    with Library(lake.db, lake_data=str(lake.data), actor="ana") as lib:
        prompt = lib.prompts.create("Haiku", "Write a haiku about {{topic}}.")
        audited = len(lib.audit.entries())
        outsider = duckdb.connect()
        assert load_extension(outsider, "postgres_scanner") and load_extension(outsider, "ducklake")
        outsider.execute(f"ATTACH '{lake.db}' AS lake")
        with pytest.raises(WriteConflict) as refused, lib.db.write() as con:
            con.execute("UPDATE prompts SET description = 'ana' WHERE id = ?", [prompt.id])
            lib.db.audit(con, "update", f"prompt:{prompt.id}")
            outsider.execute(
                "UPDATE lake.prompts SET description = 'outsider' WHERE id = ?", [prompt.id]
            )  # commits at once, without the lock, while ana's transaction is open
        outsider.close()
        message = str(refused.value)
        assert message.startswith("ducklake:postgres:host=127.0.0.1") and "\n" not in message
        assert "nothing was saved" in message and lake.password not in message
        assert lib.prompts.get(prompt.id).description == "outsider"
        assert len(lib.audit.entries()) == audited
        lib.prompts.update(prompt.id, {"description": "ana, again"})
        assert lib.prompts.get(prompt.id).description == "ana, again"
