"""RunStream against a real chat API on 127.0.0.1 speaking each protocol: a run is recorded
however it ends (ok, failed, cancelled), with its text, tokens, times and reason, and a failed
run changes nothing in the library but its runs row and audit entry."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storage import Library, PreparedRun, Run, RunStream
from storage.errors import LLMError, StreamInterrupted
from storage.llm import ChatProvider, Finished, TextDelta
from storage.remote.secrets import HIDDEN
from tests.storage.chat_api import (
    ANSWERED_BY,
    KEY,
    KINDS,
    MODEL,
    TOKENS_IN,
    TOKENS_OUT,
    ChatApi,
    Reply,
    chat_provider,
)

Make = Callable[..., ChatProvider]
CHAT = '{{role "system"}}\nAnswer in {{language}}.\n{{role "user"}}\nGreet {{who}}.'
VALUES = {"language": "English", "who": "the world"}


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(params=KINDS)
def make(request: pytest.FixtureRequest, api: ChatApi, sleeps: list[float]) -> Make:
    def build(**changes: Any) -> ChatProvider:
        return chat_provider(request.param, api.url, sleeps, **changes)

    return build


@pytest.fixture
def greet(library: Library) -> str:
    return library.prompts.create("Greet", CHAT).id


def prepare(library: Library, provider: ChatProvider, ref: str = "Greet") -> PreparedRun:
    return library.runs.prepare(
        ref, VALUES, provider=provider.name, default_model=provider.model, stream=provider.streaming
    )


def run_all(library: Library, provider: ChatProvider, ref: str = "Greet") -> tuple[str, Run]:
    stream = RunStream(library.runs, prepare(library, provider, ref), provider)
    text = "".join(e.text for e in stream if isinstance(e, TextDelta))
    assert stream.run is not None
    return text, stream.run


def fails(library: Library, provider: ChatProvider, kind: type[LLMError] = LLMError) -> Run:
    stream = RunStream(library.runs, prepare(library, provider), provider)
    with pytest.raises(kind) as raised:
        list(stream)
    assert stream.run is not None and stream.run.error == str(raised.value)
    return stream.run


def test_a_finished_answer_is_recorded_ok(library: Library, greet: str, make: Make) -> None:
    provider = make()
    before = library.db.table_counts()
    text, run = run_all(library, provider)
    assert text == run.output == "Hello, world!"
    assert (run.status, run.error, run.prompt_id, run.version) == ("ok", None, greet, 1)
    assert (run.provider, run.model) == (provider.name, MODEL)
    assert run.answered_by == (MODEL if provider.name == "ollama" else ANSWERED_BY)
    assert [(m.role, m.content) for m in run.messages] == [
        ("system", "Answer in English."),
        ("user", "Greet the world."),
    ]
    assert (run.tokens_in, run.tokens_out, run.tokens_estimated) == (TOKENS_IN, TOKENS_OUT, False)
    assert run.latency_ms is not None and run.first_token_ms is not None
    assert run.finish_reason in ("stop", "end_turn") and run.variables == VALUES
    assert library.runs.get(run.id) == run
    after = library.db.table_counts()
    grew = {t: after[t] - before[t] for t in after if after[t] != before[t] and "rollup_" not in t}
    assert grew == {"runs": 1, "generations": 1, "usage_events": 1, "audit_log": 1}
    [generation] = library.db.query("SELECT id, tokens_in, tokens_out FROM generations")[1]
    assert generation == (run.id, TOKENS_IN, TOKENS_OUT)
    assert library.prompts.get(greet).usage_count == 1
    assert library.audit.entries(limit=1)[0].action == "run"


def test_openai_asked_for_a_whole_answer(library: Library, greet: str, api: ChatApi) -> None:
    provider = chat_provider("openai", api.url, [], stream=False)
    text, run = run_all(library, provider)
    assert text == "Hello, world!" and run.status == "ok"
    assert run.parameters == {"temperature": None, "max_tokens": None, "stream": False}
    assert "stream" not in api.requests[0].body


def test_tokens_the_api_does_not_report_are_estimated(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    api.script(Reply(usage=False))
    _, run = run_all(library, make())
    sent = len("Answer in English.") + len("Greet the world.")
    assert (run.tokens_in, run.tokens_out, run.tokens_estimated) == (-(-sent // 4), 4, True)


def test_a_refusal_is_recorded_failed_and_changes_nothing_else(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    provider = make()
    api.script(Reply(500), Reply(500), Reply(500), Reply(500))
    before = library.db.table_counts()
    run = fails(library, provider)
    assert run.status == "failed" and run.output == "" and run.first_token_ms is None
    assert provider.name in run.error and "500" in run.error and api.url in run.error  # type: ignore[operator]
    after = library.db.table_counts()
    # The rollups (sums, not rows of their own) are held to the raw rows in test_rollups.py.
    assert {
        t: after[t] - before[t] for t in after if after[t] != before[t] and "rollup_" not in t
    } == {
        "runs": 1,
        "audit_log": 1,
    }
    assert library.prompts.get(greet).usage_count == 0


def test_a_429_waits_as_retry_after_says(
    library: Library, greet: str, make: Make, api: ChatApi, sleeps: list[float]
) -> None:
    api.script(Reply(429, headers={"Retry-After": "2"}))
    _, run = run_all(library, make())
    assert run.status == "ok" and sleeps == [2.0]


@pytest.mark.parametrize(
    ("reply", "received"),
    [(Reply(cut_after=2), "Hello, "), (Reply(lines=("data: {not json",)), "")],
    ids=["cut", "malformed"],
)
def test_a_broken_stream_is_recorded_failed_with_the_text_so_far(
    library: Library, greet: str, make: Make, api: ChatApi, reply: Reply, received: str
) -> None:
    provider = make()
    if reply.lines is not None and provider.name == "ollama":
        reply = Reply(lines=("{not json",))
    api.script(reply)
    before = library.db.table_counts()
    run = fails(library, provider, StreamInterrupted)
    assert run.status == "failed" and run.output == received and run.tokens_estimated
    assert "the answer stopped" in run.error  # type: ignore[operator]
    after = library.db.table_counts()
    assert after["generations"] == before["generations"]
    assert after["usage_events"] == before["usage_events"]


def test_an_unreachable_server_is_recorded_failed(library: Library, greet: str) -> None:
    with ChatApi() as gone:
        url = gone.url
    provider = chat_provider("openai", url, [])
    run = fails(library, provider)
    assert "cannot connect" in run.error and url in run.error  # type: ignore[operator]


def test_closing_the_stream_records_it_cancelled_with_the_text_so_far(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    hold = threading.Event()
    api.script(Reply(hold=hold))
    stream = RunStream(library.runs, prepare(library, make()), make())
    try:
        assert next(stream) == TextDelta("Hello")
        stream.close()
    finally:
        hold.set()
    assert stream.run is not None
    assert (stream.run.status, stream.run.output, stream.run.error) == ("cancelled", "Hello", None)
    assert stream.run.tokens_estimated and stream.run.first_token_ms is not None
    # The user stopped reading an answer the model had begun: it counts as a generation.
    assert library.db.table_counts()["generations"] == 1


def test_ctrl_c_while_waiting_for_the_answer_records_it_cancelled(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    # ctrl+c can only stop the wait if nothing earlier in this process replaced Python's own
    # SIGINT handler (these tests fail in full runs only: the handler found is named).
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(
        signal.SIGINT
    )
    hold = threading.Event()
    api.script(Reply(hold=hold))
    provider = make(timeout=30.0)  # ctrl+c, not the idle timeout, ends the wait (a loaded
    stream = RunStream(library.runs, prepare(library, provider), provider)  # machine: late)
    assert next(stream) == TextDelta("Hello")
    assert api.holding.wait(2.0)
    timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(stream)  # blocked reading the socket when ctrl+c comes
    finally:
        timer.join()
        hold.set()
    assert stream.run is not None and stream.run.status == "cancelled"
    assert stream.run.output == "Hello"


def test_closed_before_the_first_event_nothing_is_sent_or_recorded(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    provider = make()
    RunStream(library.runs, prepare(library, provider), provider).close()
    assert api.requests == [] and library.runs.list_runs() == []


def test_a_key_the_server_echoes_is_hidden_in_what_is_stored_and_streamed(
    library: Library, greet: str, make: Make, api: ChatApi
) -> None:
    split = ("your key is ", *(KEY[i : i + 3] for i in range(0, len(KEY), 3)), " ok")
    api.script(Reply(pieces=split), Reply(400, echo=True))
    text, run = run_all(library, make())
    assert text == run.output == f"your key is {HIDDEN} ok"
    failed = fails(library, make())
    stored = [library.db.query(f"SELECT * FROM {t}")[1] for t in ("runs", "audit_log")]
    for text in (failed.error or "", repr(stored)):
        assert KEY[:8] not in text and KEY[-8:] not in text
    assert HIDDEN in (failed.error or "")


def test_the_finished_event_is_handed_on(library: Library, greet: str, make: Make) -> None:
    provider = make()
    events = list(RunStream(library.runs, prepare(library, provider), provider))
    assert isinstance(events[-1], Finished) and events[-1].usage.tokens_in == TOKENS_IN
