"""Loading ahead of need gives way to the screen in front (storage/db/background.py): a read of
a thread stepping aside is interrupted by a hold, or refused while held, as Paused; other
threads and writes go on; and search, paused at any of its reads and then asked again, answers
as if it never was (what a write queued for the caches is not lost with the paused step)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from storage import Library
from storage.db.background import Pause, run_aside
from storage.db.database import Database
from storage.errors import Paused
from storage.search import vector_base
from storage.search.embedding import LocalProvider
from tests.storage.test_search_loading import TOPICS, topics

FOREVER = "SELECT count(*) FROM range(100_000_000_000) t(i) WHERE i % 7 = 3"


class PausedAtRead(Pause):
    """A pause held as the `at`-th read (counting from 1) of the thread stepping aside begins."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.reads = 0

    @contextmanager
    def watching(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        self.reads += 1
        if self.reads == self.at:
            self.hold()
        with super().watching(con):
            yield


@pytest.fixture
def interactive(library_from: Callable[..., Library]) -> Library:
    return library_from(topics)  # lingering, as in the TUI


def interrupted(db: Database, pause: Pause, *, released_at_once: bool) -> BaseException | None:
    """What a read of a thread stepping aside raises when `pause` is held while its query
    runs (and released again at once, before the thread sees the interrupt)."""
    outcome: list[BaseException | None] = []

    def background() -> None:
        try:
            with db.background.stepping_aside(pause), db.read() as con:
                con.execute(FOREVER).fetchall()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    worker = threading.Thread(target=background)
    worker.start()
    while not pause._running and worker.is_alive():  # noqa: SLF001 - its read has begun
        time.sleep(0.01)
    if released_at_once:  # a hold before the query began, released at once, is lost: again
        for _ in range(30):
            pause.hold()
            pause.release()
            worker.join(timeout=2)
            if not worker.is_alive():
                break
    else:  # once: the hold interrupts until the read ends (a query begun after it too)
        pause.hold()
        worker.join(timeout=60)
    assert not worker.is_alive(), "the query went on"
    return outcome[0]


def test_a_hold_interrupts_the_query_of_a_thread_stepping_aside(interactive: Library) -> None:
    db, pause = interactive.db, Pause()
    assert isinstance(interrupted(db, pause, released_at_once=False), Paused)
    pause.release()
    with db.background.stepping_aside(pause), db.read() as con:  # the connection still serves
        assert con.execute("SELECT count(*) FROM prompts").fetchone() == (60,)
    # Released before the thread saw it: still a pause, never an "Interrupted!" error.
    assert isinstance(interrupted(db, Pause(), released_at_once=True), Paused)


def test_a_hold_between_two_queries_of_a_read_stops_the_second(interactive: Library) -> None:
    """DuckDB forgets an interrupt that lands while no query runs: the hold goes on."""
    db, pause = interactive.db, Pause()
    between, held = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def background() -> None:
        try:
            with db.background.stepping_aside(pause), db.read() as con:
                con.execute("SELECT 1").fetchall()
                between.set()
                held.wait()
                con.execute(FOREVER).fetchall()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    worker = threading.Thread(target=background)
    worker.start()
    between.wait()
    pause.hold()
    held.set()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the second query went on"
    assert len(outcome) == 1 and isinstance(outcome[0], Paused)


def test_only_the_thread_stepping_aside_is_refused(interactive: Library) -> None:
    db, pause = interactive.db, Pause()
    pause.hold()
    with db.background.stepping_aside(pause), pytest.raises(Paused), db.read():
        pass
    with db.read() as con:  # this thread, no longer stepping aside
        assert con.execute("SELECT 1").fetchone() == (1,)
    with db.background.stepping_aside(pause):  # a user action's write is never paused
        interactive.prompts.update("linux terminal 0", {"description": "written while held"})
    assert interactive.prompts.get("linux terminal 0").description == "written while held"


def test_a_computation_gives_way_only_in_a_thread_stepping_aside(interactive: Library) -> None:
    background, pause = interactive.db.background, Pause()
    background.give_way()  # not stepping aside
    with background.stepping_aside(pause):
        background.give_way()  # not held
        pause.hold()
        with pytest.raises(Paused):
            background.give_way()
    background.give_way()  # held, but this thread no longer steps aside


def test_a_pause_held_for_two_reasons_is_released_by_both() -> None:
    """(Browse's preview waits while covered and while a search is typed.)"""
    pause = Pause()
    pause.hold("covered")
    pause.hold("searching")
    pause.hold("searching")  # again: one reason still
    pause.release("searching")
    assert pause.held
    pause.release("covered")
    assert not pause.held
    pause.release("covered")  # a reason not held: nothing
    assert not pause.held


def test_a_computation_steps_finer_only_in_a_thread_stepping_aside(interactive: Library) -> None:
    """(The ANN index scans a cluster at a time aside, all in one call in front.)"""
    background, pause = interactive.db.background, Pause()
    assert background.give_way_if_aside() is None
    with background.stepping_aside(pause):
        give_way = background.give_way_if_aside()
        assert give_way is not None
        pause.hold()
        with pytest.raises(Paused):
            give_way()


def test_run_aside_begins_again_after_the_release(interactive: Library) -> None:
    db, pause = interactive.db, Pause()
    pause.hold()
    runs: list[int] = []

    def job() -> int:
        runs.append(1)
        with db.read() as con:
            row = con.execute("SELECT count(*) FROM prompts").fetchone()
        return int(row[0]) if row else -1

    threading.Timer(0.3, pause.release).start()
    assert run_aside(db.background, pause, job, lambda: False) == 60
    assert len(runs) == 2  # refused once while held, then whole again

    pause.hold()
    cancelled = threading.Event()
    threading.Timer(0.3, cancelled.set).start()
    assert run_aside(db.background, pause, job, cancelled.is_set) is None  # the app closed


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def test_text_search_paused_at_any_read_loses_no_edit(interactive: Library) -> None:
    """Each round renames a prompt to a new word (the write queues it for the text delta and
    the held rows), searches for it with a pause landing on the round's read of the search,
    then asks again: the renamed prompt is found, named as it is now."""
    search = interactive.search
    search.prepare("text")
    assert search.table("travel", "text", limit=5).total > 0  # rows held, index loaded

    def names(word: str) -> list[str]:
        return [str(name) for name in search.table(word, "text", limit=5).table["name"]]

    for at in range(1, 40):
        word = f"zq{LETTERS[at // 26]}{LETTERS[at % 26]}x"
        interactive.prompts.update(f"{TOPICS[at % 5]} {at}", {"name": word})
        try:
            with interactive.db.background.stepping_aside(PausedAtRead(at)):
                names(word)
        except Paused:
            assert names(word) == [word], f"paused at read {at}"  # asked again, released
            continue
        assert names(word) == [word]
        assert at > 2, "the search reads the file"
        return
    raise AssertionError("never ran through")


def test_semantic_search_paused_at_any_read_loses_no_vector(interactive: Library) -> None:
    """Each round rewrites a prompt and embeds it again (the write declares the vectors it
    stored), then ranks by meaning with a pause landing on the round's read, then asks
    again: the prompt is found by its new text's vector."""
    provider = LocalProvider()
    interactive.embeddings.embed_missing(provider)
    search = interactive.search
    assert search.table("travel guide", "semantic", limit=5, provider=provider).total > 0

    def best(text: str) -> str:
        page = search.table(text, "semantic", limit=1, provider=provider)
        return str(page.table["id"][0])

    for at in range(1, 40):
        text = f"zebra {LETTERS[at // 26]}{LETTERS[at % 26]} herds crossing the savanna river"
        edited = interactive.prompts.update(f"{TOPICS[at % 5]} {at}", {"content": text})
        interactive.embeddings.embed_missing(provider)
        try:
            with interactive.db.background.stepping_aside(PausedAtRead(at)):
                best(text)
        except Paused:
            assert best(text) == edited.id, f"paused at read {at}"
            continue
        assert best(text) == edited.id
        return
    raise AssertionError("never ran through")


def test_a_paused_vector_base_leaves_no_half_written_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def paused_midway(con: object, model: str, staging: Path | None, root: Path | None) -> None:
        assert staging is not None
        (staging / "vectors.npy").write_bytes(b"half")
        raise Paused

    monkeypatch.setattr(vector_base, "_write", paused_midway)
    root = tmp_path / "vectors" / "model"
    with pytest.raises(Paused):
        vector_base.write(duckdb.connect(), "model", root)
    assert list(root.iterdir()) == []


def test_an_interrupted_vector_base_is_a_pause_not_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Arrow reader over a result raises DuckDB's interrupt as an OSError: the base is not
    read again into memory in the aborted transaction ("Current transaction is aborted" had
    reached the status line), the interrupt goes on up to become a pause."""
    calls: list[Path | None] = []

    def interrupted_midway(
        con: object, model: str, staging: Path | None, root: Path | None
    ) -> None:
        calls.append(staging)
        raise OSError("INTERRUPT Error: Interrupted!")

    monkeypatch.setattr(vector_base, "_write", interrupted_midway)
    root = tmp_path / "vectors" / "model"
    with pytest.raises(OSError, match="INTERRUPT"):
        vector_base.write(duckdb.connect(), "model", root)
    assert len(calls) == 1 and list(root.iterdir()) == []


def test_a_hold_interrupts_an_arrow_stream_as_a_pause(interactive: Library) -> None:
    """A hold landing between two batches of a streamed result is a pause too (Arrow raises
    the interrupt as an OSError), and the next read of the thread is not in an aborted
    transaction."""
    db, pause = interactive.db, Pause()
    streaming, outcome = threading.Event(), list[BaseException | None]()

    def background() -> None:
        try:
            with db.background.stepping_aside(pause), db.read() as con:
                con.execute("BEGIN TRANSACTION")
                reader = con.execute("SELECT range FROM range(100000000)").to_arrow_reader(1000)
                for _ in reader:
                    streaming.set()
                    time.sleep(0.001)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    worker = threading.Thread(target=background)
    worker.start()
    streaming.wait(timeout=30)
    pause.hold()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the stream went on"
    assert len(outcome) == 1 and isinstance(outcome[0], Paused)
    pause.release()
    with db.background.stepping_aside(pause), db.read() as con:
        assert con.execute("SELECT count(*) FROM prompts").fetchone() == (60,)
