"""Backup, verify and restore: the round trip with every table populated, and corrupted backups
refused with a message naming the file, writing nothing."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from storage import Library
from storage.db.schema import SCHEMA_VERSION
from storage.errors import BackupError
from storage.transfer import Manifest, restore_backup, verify_backup
from storage.transfer.checksum import (
    ALGORITHM,
    LEGACY_ALGORITHM,
    arrow_checksum,
    row_checksum,
    sorted_rows,
)
from storage.transfer.manifest import schema_tables, sha256_of

DIMS = 384


def _populate_the_rest(library: Library, tmp_path: Path) -> None:
    """What the sample library lacks: embeddings, context, an import session, prices,
    lifecycle runs, chat runs and evals (everything else the sample writes through the facade)."""
    ids = [p.id for p in library.prompts.list_prompts()]
    vectors = np.random.default_rng(7).random((len(ids), DIMS), dtype=np.float32)
    when = datetime(2026, 1, 15, 12, 0)
    library.db.bulk_insert(
        {
            "prompt_embeddings": pa.table(
                {
                    "prompt_id": ids,
                    "model": ["local-ngram"] * len(ids),
                    "provider": ["local"] * len(ids),
                    "dims": [DIMS] * len(ids),
                    "embedding": pa.array(list(vectors), pa.list_(pa.float32())),
                    "content_hash": ["h"] * len(ids),
                    "created_at": [when] * len(ids),
                }
            ),
            "context": pa.table(
                {
                    "id": ["ctx-1", "ctx-2"],
                    "prompt_id": ids[:2],
                    "kind": ["example", "constraint"],
                    "content": ["An example, with 'quotes' and ünïcode", "Stay under 200 words."],
                    "created_at": [when, when],
                }
            ),
            "prices": pa.table(
                {
                    "provider": ["openai"],
                    "model": ["gpt-4o"],
                    "effective_from": [date(2026, 1, 1)],
                    "input_per_mtok": [2.5],
                    "output_per_mtok": [10.0],
                    "currency": ["USD"],
                    "updated_at": [when],
                }
            ),
            "lifecycle_runs": pa.table(
                {
                    "id": ["run-1"],
                    "action": ["decay"],
                    "run_on": [date(2026, 1, 14)],
                    "ran_at": [when],
                    "prompts": [3],
                    "detail": ['{"rate": 0.95}'],
                }
            ),
            "runs": pa.table(
                {
                    "id": ["chat-run-1"],
                    "prompt_id": ids[:1],
                    "version": [1],
                    "provider": ["ollama"],
                    "model": ["llama3.2"],
                    "answered_by": ["llama3.2"],
                    "messages": ['[{"role": "user", "content": "Héllo"}]'],
                    "variables": ["{}"],
                    "parameters": ['{"temperature": null, "max_tokens": null, "stream": true}'],
                    "output": ["Bonjour ünïcode"],
                    "finish_reason": ["stop"],
                    "status": ["ok"],
                    "error": pa.nulls(1, pa.string()),
                    "tokens_in": [3],
                    "tokens_out": [4],
                    "tokens_estimated": [False],
                    "cost_usd": pa.nulls(1, pa.float64()),
                    "first_token_ms": [80],
                    "latency_ms": [400],
                    "created_at": [when],
                }
            ),
        }
    )
    _populate_evals(library, ids[0])
    source = tmp_path / "extra.jsonl"
    source.write_text('{"name": "Imported", "content": "An imported prompt."}\n', "utf-8")
    library.imports.run(source)


def _populate_evals(library: Library, prompt_id: str) -> None:
    """A rubric, a case, an eval run with a result tied to the chat run, an analysis."""
    library.rubrics.add("Helpful", [{"name": "clarity", "weight": 2.0}], description="ünï")
    check = [{"type": "judge", "rubric": "Helpful"}, {"type": "contains", "value": "Bon"}]
    case = library.cases.add(prompt_id, {"who": "Ünïcode"}, check, description="first")
    plan = library.evals.prepare(
        prompt_id, provider="ollama", default_model="llama3.2", case_ids=[case.id]
    )
    started = library.evals.start(plan)
    library.evals.record(
        started.id,
        case,
        plan.targets[0],
        1,
        library.runs.get("chat-run-1"),
        [],
        provider="ollama",
    )
    library.evals.finish(started.id, "done")


@pytest.fixture
def full_library(sample_library: Library, tmp_path: Path) -> Library:
    _populate_the_rest(sample_library, tmp_path)
    return sample_library


@pytest.fixture
def backup_folder(full_library: Library, tmp_path: Path) -> Path:
    folder = tmp_path / "backup"
    full_library.backups.write(folder)
    return folder


def _without_time(manifest: Manifest) -> dict[str, object]:
    data = manifest.to_dict()
    del data["created_at"], data["library"]
    return data


def test_round_trip_every_table_populated(
    full_library: Library, backup_folder: Path, tmp_path: Path
) -> None:
    original = verify_backup(backup_folder)
    assert sorted(original.tables) == schema_tables()
    empty = [t for t, entry in original.tables.items() if entry.rows == 0]
    assert empty == [], f"populate these tables in the test: {empty}"
    assert original.schema_version == SCHEMA_VERSION

    restored_path = tmp_path / "restored.duckdb"
    restored_manifest = restore_backup(backup_folder, restored_path)
    assert restored_manifest == original
    restored = Library(restored_path).open()
    assert restored.db.table_counts() == full_library.db.table_counts()

    again = restored.backups.write(tmp_path / "again")
    assert _without_time(again) == _without_time(original)  # rows, checksums, sha256 too
    for name, entry in again.tables.items():
        assert entry.checksum == original.tables[name].checksum

    # Every file is Parquet that pyarrow reads, with the manifest's rows; vectors stay lists.
    for name, entry in original.tables.items():
        table = pq.read_table(backup_folder / entry.file)
        assert table.num_rows == entry.rows, name
    vectors = pq.read_table(backup_folder / "prompt_embeddings.parquet")
    assert vectors.schema.field("embedding").type == pa.list_(pa.float32())
    assert len(vectors.column("embedding")[0].as_py()) == DIMS


def test_restored_library_continues_its_audit_sequence(backup_folder: Path, tmp_path: Path) -> None:
    restored = Library(tmp_path / "restored.duckdb")
    restore_backup(backup_folder, restored.db.path)
    restored.open()
    before = max(entry.id for entry in restored.audit.entries(limit=1_000_000))
    restored.tags.set_colour("fresh", "green")
    assert restored.audit.entries(limit=1)[0].id == before + 1


def test_backup_refuses_a_folder_that_is_not_empty(full_library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(BackupError, match="already exists and is not empty") as caught:
        full_library.backups.write(folder)
    assert caught.value.file == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".taken")) == []


def test_row_checksum_ignores_row_order_and_sees_any_change(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v FLOAT[], j JSON, s VARCHAR)")
    con.execute("INSERT INTO t VALUES (1, [0.5, 1.25], '{\"a\": 1}', 'x'), (2, [], NULL, NULL)")
    shuffled = tmp_path / "t.parquet"
    con.execute(f"COPY (SELECT * FROM t ORDER BY id DESC) TO '{shuffled}' (FORMAT parquet)")
    key = ("id",)
    before = row_checksum(con, "t", key)
    assert before == row_checksum(con, f"read_parquet('{shuffled}')", key)
    assert before[0] == 2
    changes = [
        "UPDATE t SET s = NULL WHERE id = 1",
        "UPDATE t SET s = '' WHERE id = 1",  # NULL and '' are different rows
        "UPDATE t SET v = [0.5, 1.0] WHERE id = 1",
        "UPDATE t SET v = [0.5] WHERE id = 1",
        "UPDATE t SET v = NULL WHERE id = 2",  # an empty list is not a missing one
        "UPDATE t SET j = '{\"a\":1}' WHERE id = 1",
        "UPDATE t SET id = 3 WHERE id = 2",
        "DELETE FROM t WHERE id = 2",
    ]
    seen = {before[1]}
    for change in changes:
        con.execute("BEGIN TRANSACTION")
        con.execute(change)
        seen.add(row_checksum(con, "t", key)[1])
        con.execute("ROLLBACK")
    assert len(seen) == len(changes) + 1
    assert row_checksum(con, "t", key) == before


def test_arrow_checksum_depends_on_the_values_not_their_arrow_types() -> None:
    ids = [3, 1, 2]
    texts = ["ü", None, '{"a": 1}']
    vectors = [[1.5, -2.0], [0.25, 8.0], [0.0, 3.0]]
    plain = pa.table(
        {
            "id": pa.array(ids, pa.int32()),
            "s": pa.array(texts, pa.string()),
            "v": pa.array(vectors, pa.list_(pa.float32())),
            "t": pa.array([datetime(2026, 1, 1, 0, 0, 0, n) for n in ids], pa.timestamp("us")),
            "d": pa.array([date(2026, 1, n) for n in ids], pa.date32()),
            "b": pa.array([True, False, None]),
        }
    )
    order = [1, 2, 0]
    other = pa.table(
        {
            "b": pa.array([False, None, True]),
            "d": pa.array([date(2026, 1, ids[i]) for i in order], pa.date32()),
            "t": pa.array(
                [datetime(2026, 1, 1, 0, 0, 0, ids[i]) for i in order], pa.timestamp("ns")
            ),
            "v": pa.chunked_array(
                [
                    pa.array([vectors[i] for i in order[:1]], pa.large_list(pa.float64())),
                    pa.array([vectors[i] for i in order[1:]], pa.large_list(pa.float64())),
                ]
            ),
            "s": pa.array([texts[i] for i in order], pa.large_string()).dictionary_encode(),
            "id": pa.array([ids[i] for i in order], pa.int64()),
        }
    )
    assert arrow_checksum(plain, ["id"]) == arrow_checksum(other, ["id"])
    renamed = plain.rename_columns(["id", "s", "v", "t", "d", "flag"])
    assert arrow_checksum(renamed, ["id"]) != arrow_checksum(plain, ["id"])


def test_sorting_rows_of_embeddings_takes_whole_vectors() -> None:
    vectors = np.arange(5 * 4, dtype=np.float32).reshape(5, 4)
    table = pa.table(
        {
            "id": ["e", "b", "d", "a", "c"],
            "v": pa.ListArray.from_arrays(
                pa.array(np.arange(0, 21, 4, dtype=np.int32)), vectors.ravel()
            ),
            "ragged": pa.array([[1.0], [], None, [2.0, 3.0], [4.0]], pa.list_(pa.float32())),
        }
    )
    rows = sorted_rows(table, ["id"])
    assert rows.column("id").to_pylist() == ["a", "b", "c", "d", "e"]
    assert rows.column("v").to_pylist() == [vectors[i].tolist() for i in (3, 1, 4, 2, 0)]
    assert rows.column("ragged").to_pylist() == [[2.0, 3.0], [], [4.0], None, [1.0]]
    assert rows.equals(table.take(pa.array([3, 1, 4, 2, 0])))


# -- corrupted backups: verify and restore refuse, naming the file, and write nothing --------


def _refused(folder: Path, tmp_path: Path, match: str) -> BackupError:
    with pytest.raises(BackupError, match=match) as verified:
        verify_backup(folder)
    target = tmp_path / "restored.duckdb"
    with pytest.raises(BackupError, match=match):
        restore_backup(folder, target)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if "restored" in p.name] == []
    assert "\n" not in str(verified.value)
    return verified.value


def _edit_manifest(folder: Path, change: dict[str, object]) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    data.update(change)
    path.write_text(json.dumps(data), "utf-8")


def test_a_flipped_byte_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    file = backup_folder / "prompts.parquet"
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    error = _refused(backup_folder, tmp_path, "prompts.parquet: sha256 differs")
    assert error.file == str(file)


def test_a_missing_file_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    (backup_folder / "feedback.parquet").unlink()
    error = _refused(backup_folder, tmp_path, r"feedback.parquet: missing \(table feedback\)")
    assert error.file == str(backup_folder / "feedback.parquet")


def test_a_manifest_for_a_newer_schema_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    _edit_manifest(backup_folder, {"schema_version": SCHEMA_VERSION + 1})
    _refused(
        backup_folder, tmp_path, f"manifest.json: schema version {SCHEMA_VERSION + 1} is newer"
    )


def test_a_table_missing_from_the_manifest_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    data = json.loads((backup_folder / "manifest.json").read_text("utf-8"))
    del data["tables"]["context"]
    (backup_folder / "manifest.json").write_text(json.dumps(data), "utf-8")
    _refused(backup_folder, tmp_path, "table 'context' is missing from the manifest")


def test_a_row_count_that_differs_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    data = json.loads((backup_folder / "manifest.json").read_text("utf-8"))
    data["tables"]["prompts"]["rows"] += 1
    (backup_folder / "manifest.json").write_text(json.dumps(data), "utf-8")
    _refused(backup_folder, tmp_path, "prompts.parquet: .* rows, the manifest says")


def test_a_folder_without_manifest_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    (backup_folder / "manifest.json").unlink()
    _refused(backup_folder, tmp_path, "manifest.json: missing; not a promptdeck backup")


def test_an_unknown_checksum_algorithm_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    _edit_manifest(backup_folder, {"checksum_algorithm": "sha3-rows-9"})
    _refused(backup_folder, tmp_path, "row checksum algorithm 'sha3-rows-9' is unknown")


def test_a_changed_row_checksum_is_refused(backup_folder: Path, tmp_path: Path) -> None:
    data = json.loads((backup_folder / "manifest.json").read_text("utf-8"))
    data["tables"]["prompts"]["checksum"] = "0" * 64
    (backup_folder / "manifest.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(BackupError, match="prompts.parquet: row checksum differs"):
        verify_backup(backup_folder)
    target = tmp_path / "restored.duckdb"
    with pytest.raises(BackupError, match="table prompts restored .* checksum differs"):
        restore_backup(backup_folder, target)
    assert [p.name for p in tmp_path.iterdir() if "restored" in p.name] == []


def test_a_table_that_cannot_be_loaded_stops_the_restore(
    backup_folder: Path, tmp_path: Path
) -> None:
    """A file whose sha256 matches its manifest (rewritten with it) but whose rows break a
    key: the restore stops at that table, names the file, and leaves no library behind."""
    file = backup_folder / "usage_events.parquet"
    rows = pq.read_table(file)
    pq.write_table(pa.concat_tables([rows, rows.slice(0, 1)]), file)
    data = json.loads((backup_folder / "manifest.json").read_text("utf-8"))
    data["tables"]["usage_events"].update(rows=rows.num_rows + 1, sha256=sha256_of(file))
    (backup_folder / "manifest.json").write_text(json.dumps(data), "utf-8")
    target = tmp_path / "restored.duckdb"
    with pytest.raises(BackupError, match="usage_events.parquet: cannot restore: .*") as raised:
        restore_backup(backup_folder, target)
    assert raised.value.file == str(file)
    assert [p.name for p in tmp_path.iterdir() if "restored" in p.name] == []


# A backup written by promptdeck before row checksums were named (commit 4616efb): md5 of each
# row's text, no checksum_algorithm and no keys in its manifest. It still verifies and restores.
LEGACY_BACKUP = Path(__file__).parent / "data" / "backup_md5_row_text"


def test_a_backup_with_md5_row_checksums_still_verifies_and_restores(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(LEGACY_BACKUP, folder)
    assert "checksum_algorithm" not in json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest = verify_backup(folder)
    assert manifest.checksum_algorithm == LEGACY_ALGORITHM
    restore_backup(folder, tmp_path / "restored.duckdb")
    restored = Library(tmp_path / "restored.duckdb").open()
    counts = restored.db.table_counts()
    rows = {t: e.rows for t, e in manifest.tables.items() if t != "schema_migrations"}
    assert {t: counts[t] for t in rows} == rows
    assert counts["schema_migrations"] == SCHEMA_VERSION  # a version 3 library, migrated on open
    again = restored.backups.write(tmp_path / "again")  # written with today's checksums
    assert again.checksum_algorithm == ALGORITHM
    assert verify_backup(tmp_path / "again") == again

    data = json.loads((folder / "manifest.json").read_text("utf-8"))
    data["tables"]["prompts"]["checksum"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(BackupError, match="prompts.parquet: row checksum differs"):
        verify_backup(folder)


def test_restore_never_overwrites_a_library(
    full_library: Library, backup_folder: Path, tmp_path: Path
) -> None:
    target = tmp_path / "existing.duckdb"
    shutil.copyfile(full_library.db.path, target)
    before = target.read_bytes()
    with pytest.raises(BackupError, match="already exists; restore writes a new library"):
        restore_backup(backup_folder, target)
    assert target.read_bytes() == before
