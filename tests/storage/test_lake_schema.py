"""The lake's DDL is derived from schema.sql: what DuckLake refuses is removed, keys are kept,
and a table added later (with its own constraints) comes along unchanged otherwise."""

from __future__ import annotations

from storage.db.lake_schema import lake_schema
from storage.db.schema import schema_sql

LATER = """
CREATE SEQUENCE IF NOT EXISTS runs_seq;
CREATE TABLE IF NOT EXISTS runs (
    id         VARCHAR PRIMARY KEY,               -- a comment; with a semicolon
    n          BIGINT DEFAULT nextval('runs_seq'),
    status     VARCHAR NOT NULL CHECK (status IN ('ok', 'failed (late)')),
    tokens     INTEGER CHECK (tokens >= 0) DEFAULT 0,
    vec        FLOAT[] USING COMPRESSION uncompressed,
    names      VARCHAR[] NOT NULL DEFAULT [],
    UNIQUE (status, n),
    CHECK (n > 0)
);
INSERT OR IGNORE INTO runs VALUES ('a', 1, 'ok', 0, NULL, []);
"""


def test_a_later_table_loses_only_what_ducklake_refuses() -> None:
    schema = lake_schema(LATER)
    create, seed = schema.statements
    refused_by_ducklake = ("PRIMARY KEY", "CHECK", "UNIQUE", "nextval", "SEQUENCE")
    for refused in (*refused_by_ducklake, "COMPRESSION", "DEFAULT []"):
        assert refused not in create, refused
    assert "id VARCHAR NOT NULL" in " ".join(create.split())
    assert "DEFAULT 0" in create and "status     VARCHAR NOT NULL" in create
    assert schema.tables["runs"].key == ("id",)
    assert schema.tables["runs"].columns == ["id", "n", "status", "tokens", "vec", "names"]
    assert seed.startswith("INSERT INTO runs SELECT") and "NOT EXISTS" in seed


def test_every_table_of_schema_sql_is_there_with_its_key() -> None:
    schema = lake_schema(schema_sql())
    assert schema.tables["prompt_versions"].key == ("prompt_id", "version")
    assert schema.tables["prompts"].key == ("id",)
    assert schema.tables["prompt_embeddings"].key == ()
    text = "\n".join(schema.statements)
    assert "PRIMARY KEY" not in text and "CHECK" not in text and "SEQUENCE" not in text
    assert "CREATE OR REPLACE VIEW mart.lineage" in text
