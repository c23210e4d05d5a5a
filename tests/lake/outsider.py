"""A client of a team library that writes without promptdeck (so without its write lock):
each line `ID TEXT` on stdin sets prompt ID's description to TEXT and commits at once; it
answers `done` when the commit is made. test_lake_retry drives it from inside a save."""

from __future__ import annotations

import sys

import duckdb

from storage.db.connection import load_extension


def main(db: str) -> None:
    con = duckdb.connect()
    for extension in ("postgres_scanner", "ducklake"):
        if not load_extension(con, extension):
            raise SystemExit(f"the {extension} extension is missing")
    con.execute("ATTACH '" + db.replace("'", "''") + "' AS lake")
    print("ready", flush=True)
    for line in sys.stdin:
        prompt_id, text = line.rstrip("\n").split(" ", 1)
        con.execute("UPDATE lake.prompts SET description = ? WHERE id = ?", [text, prompt_id])
        print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
