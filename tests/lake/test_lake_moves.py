"""Moving a library: a file's backup restored into an empty team library, that lake backed up
and restored into a file again. Every table comes back row for row (the manifests' row
checksums agree, and the Parquet files read back by pyarrow hold the same rows); a lake that
holds anything is refused in one line, and nothing is printed with the password."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from storage import Library, restore_backup
from storage.errors import BackupError
from storage.runs.models import RunOutcome
from storage.search.embedding import LocalProvider
from tests.conftest import CountingIds, TickingClock
from tests.lake.conftest import Lake
from tui.main import main

OK = RunOutcome("ok", "A haiku.", 12, 5, False, 800, 90, "stop", "gpt-x")


def _build(lib: Library) -> None:
    lib.prompts.create("Haiku", "Write a haiku about {{topic}}.", tags=["poetry"])
    lib.prompts.create("Mail", "Reply politely to {{email}}", folder="work")
    lib.prompts.update("Haiku", {"content": "Write a haiku about {{topic}} in spring."})
    lib.versions.set_label("Haiku", "production", 2)
    lib.lineage.derive("Haiku", name="Tanka", content="Write a tanka on {{topic}}.")
    lib.usage.record("Haiku")
    lib.usage.rate("Mail", 4, comment="fine")
    lib.costs.set_price("openai", "gpt-x", 1.0, 2.0)
    prepared = lib.runs.prepare("Haiku", {"topic": "x"}, provider="openai", default_model="gpt-x")
    lib.runs.record(prepared, OK)
    lib.embeddings.embed_missing(LocalProvider())


def _facade(lib: Library) -> tuple[object, ...]:
    return (
        [(p.name, p.folder, p.tags, p.uses, p.rating) for p in lib.prompts.list_prompts()],
        [(v.version, v.content) for v in lib.versions.history("Haiku")],
        [(lb.label, lb.version) for lb in lib.versions.labels("Haiku")],
        [(r.prompt_name, r.status, r.tokens_out, r.cost_usd) for r in lib.runs.list_runs()],
        lib.analytics.kpis("all"),
        [(e.actor, e.action, e.entity) for e in lib.audit.entries(limit=100)],
    )


def test_a_file_moves_to_a_lake_and_back(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTDECK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = tmp_path / "from-file", tmp_path / "from-lake"
    with Library(tmp_path / "a.duckdb", clock=TickingClock(), new_id=CountingIds()) as lib:
        _build(lib)
        before = _facade(lib)
        made = lib.backups.write(first)

    env = {"PROMPTDECK_DB": lake.db, "PROMPTDECK_LAKE_DATA": str(lake.data)}
    moved = CliRunner().invoke(main, ["restore", str(first)], env=env, catch_exceptions=False)
    assert moved.exit_code == 0, moved.stderr
    assert "into ducklake:postgres:" in moved.stdout and lake.password not in moved.output
    with Library(lake.db, clock=TickingClock()) as lib:
        assert _facade(lib) == before
        assert lib.search.search("spring", "text").hits[0].name == "Haiku"
        again = lib.backups.write(second)
    with pytest.raises(BackupError, match="already holds"):
        restore_backup(first, lake.db)

    assert made.tables.keys() == again.tables.keys()
    for table, entry in made.tables.items():
        assert again.tables[table].checksum == entry.checksum, table
        rows = [pq.read_table(f / entry.file).sort_by([(k, "ascending") for k in entry.key])
                for f in (first, second)]  # fmt: skip
        assert rows[0].to_pylist() == rows[1].to_pylist(), table
    restore_backup(second, tmp_path / "b.duckdb")
    with Library(tmp_path / "b.duckdb", clock=TickingClock()) as lib:
        assert _facade(lib) == before
        assert lib.db.table_counts()["runs"] == 1
