"""The fixture's PostgreSQL is real, local and refuses a wrong password."""

from __future__ import annotations

import subprocess

from tests.postgres import USER, Postgres


def test_the_server_listens_on_loopback_and_checks_passwords(postgres: Postgres) -> None:
    name = postgres.create_database()
    psql = postgres.bin / "psql"
    common = [str(psql), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", USER, "-d", name]
    ok = subprocess.run(
        [*common, "-tAc", "SELECT current_database()"],
        capture_output=True,
        text=True,
        env={"PGPASSWORD": postgres.password},
    )
    assert ok.stdout.strip() == name
    wrong = subprocess.run(
        [*common, "-tAc", "SELECT 1"], capture_output=True, text=True, env={"PGPASSWORD": "no"}
    )
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
