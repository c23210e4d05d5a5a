"""Team-library fixtures: a new DuckLake per test, its catalog a fresh database of the
session's PostgreSQL (tests/postgres.py), its Parquet files in tmp_path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import Postgres


@dataclass(frozen=True)
class Lake:
    db: str  # what --db takes: ducklake:postgres:<conninfo>, password included
    data: Path  # PROMPTDECK_LAKE_DATA
    password: str


@pytest.fixture
def lake(postgres: Postgres, tmp_path: Path) -> Lake:
    conninfo = postgres.conninfo(postgres.create_database())
    return Lake(f"ducklake:postgres:{conninfo}", tmp_path / "lake-data", postgres.password)
