"""Write transactions of one process take turns: the TUI's workers write at the same time (two
runs of a compare recorded at once, a use while another is counted), and DuckDB would refuse
the second of two concurrent transactions that update one row ("Conflict on update")."""

from __future__ import annotations

import threading

from storage import Library


def test_concurrent_writes_to_one_prompt_all_land(library: Library) -> None:
    prompt = library.prompts.create("Shared", "text")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def use_it() -> None:
        start.wait()
        try:
            for _ in range(5):
                library.usage.record(prompt.id, "copied")
        except BaseException as error:  # collected: the assertion below names it
            errors.append(error)

    threads = [threading.Thread(target=use_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert library.prompts.get(prompt.id).usage_count == 30
