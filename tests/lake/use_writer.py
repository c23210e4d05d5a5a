"""One writer process of test_lake_rollups: records uses of the prompt every writer uses and
rates it, each in its own transaction, so that two clients add to the same rollup rows."""

from __future__ import annotations

import sys

from storage import Library


def main(db: str, name: str, count: int) -> None:
    with Library(db, actor=name, lock_timeout=60) as lib:
        for i in range(count):
            lib.usage.record("common")
            lib.usage.rate("common", 1 + i % 5)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
