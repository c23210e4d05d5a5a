"""How a team library is named and shown (storage/db/lake_spec.py): the label and every
message keep the host, port, database and user, and no piece of a password, however it is
written in the conninfo."""

from __future__ import annotations

import pytest

from storage.db.lake_spec import parse_lake

ANA = "host=db.example dbname=prompts user=ana"
CASES = [
    # (conninfo, the password in it, the label after ducklake:postgres:)
    ("postgresql://ana:p@ss@db.example:5433/prompts", "p@ss",
     "postgresql://ana@db.example:5433/prompts"),
    ("postgresql://ana:p@s@s@db.example/prompts", "p@s@s", "postgresql://ana@db.example/prompts"),
    ("postgresql://ana:p%40ss@db.example/prompts", "p%40ss",
     "postgresql://ana@db.example/prompts"),
    ("postgres://ana:s3cr:et@db.example/prompts?sslmode=require", "s3cr:et",
     "postgres://ana@db.example/prompts"),
    ("postgresql://db.example/prompts?user=ana&password=hunter22", "hunter22",
     "postgresql://db.example/prompts"),
    (f"{ANA} password='tw0 z1ps'", "tw0 z1ps", ANA),
    ("host=db.example password='it\\'s \"q\" d' dbname=prompts user=ana", "it\\'s \"q\" d", ANA),
    ("password = 'sp ace=x' host=db.example dbname=prompts", "sp ace=x",
     "host=db.example dbname=prompts"),
]  # fmt: skip


def pieces(secret: str) -> list[str]:
    """Every 3 characters of the password that are not punctuation alone."""
    found = [secret[i : i + 3] for i in range(max(len(secret) - 2, 1))]
    return [p for p in found if any(c.isalnum() for c in p)]


@pytest.mark.parametrize(("conninfo", "password", "label"), CASES)
def test_the_label_and_messages_hide_every_piece_of_the_password(
    conninfo: str, password: str, label: str
) -> None:
    spec = parse_lake(f"ducklake:postgres:{conninfo}")
    assert spec.label == f"ducklake:postgres:{label}"
    assert spec.name == "prompts"
    messages = [
        spec.label,
        spec.redact(f'IO Error: cannot attach "ducklake:postgres:{conninfo}": refused'),
        spec.redact(f"connection to {conninfo} failed"),
        spec.redact(f"Unable to connect to Postgres at {conninfo.replace(' ', '  ')}"),
    ]
    for message in messages:
        assert not [piece for piece in pieces(password) if piece in message], message
