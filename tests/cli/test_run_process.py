"""`promptdeck run` as a real process: each piece of the answer reaches stdout while the server
is still sending the rest, and ctrl+c stops it, recorded as cancelled with the text so far."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.chat_api import MODEL, ChatApi, Reply


@pytest.fixture
def api() -> Iterator[ChatApi]:
    with ChatApi() as server:
        yield server


def start(script: Path, tmp_path: Path, api: ChatApi, *args: str) -> subprocess.Popen[bytes]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[llm]\nprovider = "ollama"\nbase_url = "{api.url}"\nmodel = "{MODEL}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PROMPTDECK_CONFIG": str(config), "PROMPTDECK_DB": str(tmp_path / "db")}
    for name in ("PROMPTDECK_LLM_PROVIDER", "PROMPTDECK_LLM_MODEL", "PROMPTDECK_LLM_BASE_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        [str(script), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def run(script: Path, tmp_path: Path, api: ChatApi, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [str(script), *args],
        input=stdin.encode(),
        capture_output=True,
        env={**os.environ, "PROMPTDECK_DB": str(tmp_path / "db")},
        timeout=60,
        check=True,
    )
    return done.stdout.decode()


@pytest.fixture
def greet(promptdeck_script: Path, tmp_path: Path, api: ChatApi) -> None:
    run(promptdeck_script, tmp_path, api, "add", "--name", "Greet", stdin="Greet {{who}}.")


def test_each_piece_reaches_stdout_as_it_arrives(
    promptdeck_script: Path, tmp_path: Path, api: ChatApi, greet: None
) -> None:
    hold = threading.Event()
    api.script(Reply(hold=hold))
    process = start(promptdeck_script, tmp_path, api, "run", "Greet", "who=you")
    try:
        assert process.stdout is not None
        assert process.stdout.read(5) == b"Hello"  # while the server holds back the rest
        assert api.holding.wait(5.0)  # and the rest is not sent until the hold is released
    finally:
        hold.set()
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (0, b", world!", b"")


def test_ctrl_c_stops_the_answer_and_records_it_cancelled(
    promptdeck_script: Path, tmp_path: Path, api: ChatApi, greet: None
) -> None:
    hold = threading.Event()
    api.script(Reply(hold=hold))
    process = start(promptdeck_script, tmp_path, api, "run", "Greet", "who=you")
    try:
        assert process.stdout is not None
        assert process.stdout.read(5) == b"Hello"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        hold.set()
    [line] = err.decode().splitlines()
    assert process.returncode == 130 and out == b""
    assert line.startswith("promptdeck: cancelled; run ") and line.endswith("recorded as cancelled")
    [recorded] = json.loads(run(promptdeck_script, tmp_path, api, "runs", "--json"))
    assert (recorded["status"], recorded["output"]) == ("cancelled", "Hello")
    assert line.split()[3] == recorded["id"][-8:]
