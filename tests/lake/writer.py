"""One writer process of test_concurrent_writers: adds, edits, tags and rates its own prompts,
and tries to add the content every writer adds. Prints how many of those it saved."""

from __future__ import annotations

import sys

from storage import Library
from storage.errors import DuplicateContent


def main(db: str, name: str, count: int) -> None:
    saved = 0
    # Four writers on two busy cores: the lake's advisory lock is not fair, and one writer
    # waited over 60 s for it in a full run (what is tested is that nothing is lost).
    with Library(db, actor=name, lock_timeout=300) as lib:
        for i in range(count):
            prompt = lib.prompts.create(f"{name}-{i}", f"{name} writes prompt {i} about {{{{x}}}}")
            lib.prompts.update(prompt.id, {"description": f"edited by {name}"})
            lib.tags.add(prompt.id, ["team", name])
            lib.usage.rate(prompt.id, 1 + i % 5)
            if i == count // 2:
                try:
                    lib.prompts.create(f"shared-{name}", "the prompt every writer adds")
                    saved += 1
                except DuplicateContent:
                    pass
    print(saved)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
