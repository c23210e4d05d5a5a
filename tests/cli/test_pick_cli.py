"""`promptdeck pick` as a shell runs it: the console script on a pseudo-terminal of its own
(its /dev/tty), stdout on a pipe as under `$(...)`. The picker is drawn on the terminal; only
the text picked reaches stdout; exit codes 0 (picked), 1 (nothing, or an error), 2 (usage)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from storage import Library
from tests.cli.conftest import Cli
from tests.terminal import Terminal

ENTER, ESCAPE, DOWN, CTRL_C = "\r", "\x1b", "\x1b[B", "\x03"
ANSI = re.compile(r"\x1b\[[0-9;?<>$]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _pick(
    script: Path,
    db: Path,
    *args: str,
    size: tuple[int, int] = (80, 24),
    stderr_to_terminal: bool = True,
) -> Terminal:
    return Terminal(
        [script, "--db", str(db), "pick", *args], size=size, stderr_to_terminal=stderr_to_terminal
    )


def _uses(db: Path) -> list[tuple[str, str]]:
    with Library(db, read_only=True) as library:
        _, rows = library.db.query(
            "SELECT p.name, e.event_type FROM usage_events e JOIN prompts p ON p.id = e.prompt_id"
        )
    return [(str(name), str(kind)) for name, kind in rows]


def _lines(screen: str) -> list[str]:
    """What the terminal shows, line by line, without the escape sequences."""
    return re.split(r"\r\n?", ANSI.sub("", screen))


@pytest.fixture
def prompts(cli: Cli, sample: dict[str, str]) -> dict[str, str]:
    """Summarise ({{topic}}, {{audience}}) and Explain ({{topic}}), and one without variables."""
    return {**sample, "Plain": cli.add("Plain", "Say hello in five languages.")}


def test_the_text_picked_goes_to_stdout_and_the_picker_to_the_terminal(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    # As in llm "$(promptdeck pick)": stdout captured, stderr on the terminal.
    terminal = _pick(promptdeck_script, db, "summarise", size=(100, 30))
    try:
        terminal.wait_for("Summarise")
        terminal.send(ENTER)
        terminal.wait_for("2 variables")
        terminal.send("DuckDB" + ENTER)
        terminal.send("engineers" + ENTER)
        code = terminal.wait()
    finally:
        terminal.kill()
    assert (code, terminal.stdout) == (0, b"Summarise DuckDB for engineers.")
    drawn = _lines(terminal.screen)
    assert any("Summarise" in line and "writing/summaries" in line for line in drawn)
    # Drawn as wide as the terminal is (its size read from /dev/tty, not from stdout).
    assert {len(line) for line in drawn if "Text ›" in line} == {100}
    assert _uses(db) == [("Summarise", "used")]


def test_escape_picks_nothing_and_exits_1(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    terminal = _pick(promptdeck_script, db, stderr_to_terminal=False)
    try:
        terminal.wait_for("Plain")
        terminal.send(ESCAPE)
        code = terminal.wait()
    finally:
        terminal.kill()
    assert (code, terminal.stdout, terminal.stderr) == (1, b"", b"")
    assert _uses(db) == []


def test_ctrl_c_in_the_variables_picks_nothing(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    terminal = _pick(promptdeck_script, db, "explain", stderr_to_terminal=False)
    try:
        terminal.wait_for("Explain")
        terminal.send(ENTER)
        terminal.wait_for("1 variable")
        terminal.send("half typed" + CTRL_C)
        code = terminal.wait()
    finally:
        terminal.kill()
    assert (code, terminal.stdout, terminal.stderr) == (1, b"", b"")
    assert _uses(db) == []


def test_id_prints_the_id_and_asks_nothing(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    terminal = _pick(promptdeck_script, db, "--id", "summarise", stderr_to_terminal=False)
    try:
        terminal.wait_for("Summarise")
        terminal.send(ENTER)
        code = terminal.wait()
    finally:
        terminal.kill()
    assert (code, terminal.stdout, terminal.stderr) == (0, prompts["Summarise"].encode(), b"")
    assert _uses(db) == []


def test_copy_sends_the_text_to_the_terminal_clipboard_not_stdout(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    terminal = _pick(promptdeck_script, db, "--copy", "hello", stderr_to_terminal=False)
    try:
        terminal.wait_for("Plain")
        terminal.send(ENTER)
        code = terminal.wait()
    finally:
        terminal.kill()
    text = "Say hello in five languages."
    assert (code, terminal.stdout) == (0, b"")
    note = f"promptdeck: copied {len(text)} characters to the clipboard\n"
    assert terminal.stderr == note.encode()
    osc52 = "\x1b]52;c;" + base64.b64encode(text.encode()).decode() + "\x07"
    assert osc52 in terminal.screen
    assert _uses(db) == [("Plain", "used")]


def test_a_read_only_library_prints_and_records_nothing(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    terminal = Terminal(
        [promptdeck_script, "--db", str(db), "--read-only", "pick", "hello"],
        stderr_to_terminal=False,
    )
    try:
        terminal.wait_for("Plain")
        terminal.send(ENTER)
        code = terminal.wait()
    finally:
        terminal.kill()
    assert (code, terminal.stdout) == (0, b"Say hello in five languages.")
    assert _uses(db) == []


def test_without_a_terminal_it_says_so_on_one_line(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    done = subprocess.run(
        [promptdeck_script, "--db", str(db), "pick"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, b"")
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "promptdeck: pick needs a terminal to draw on: cannot open /dev/tty"
    ), lines


def test_a_missing_library_is_one_line_and_is_not_created(
    promptdeck_script: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.duckdb"
    terminal = _pick(promptdeck_script, missing, stderr_to_terminal=False)
    code = terminal.wait()
    assert (code, terminal.stdout) == (1, b"")
    assert terminal.stderr == f"promptdeck: {missing}: no such library\n".encode()
    assert not missing.exists()


def test_a_file_that_is_not_a_library_is_one_line(promptdeck_script: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    terminal = _pick(promptdeck_script, foreign, stderr_to_terminal=False)
    code = terminal.wait()
    assert (code, terminal.stdout) == (1, b"")
    said = f"promptdeck: {foreign}: is a DuckDB database but not a promptdeck library\n"
    assert terminal.stderr == said.encode()


def test_a_bad_option_is_a_usage_error(cli: Cli, prompts: dict[str, str]) -> None:
    assert "No such option" in cli.fails("pick", "--nope", code=2)


def test_pick_help_loads_no_textual(promptdeck_script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(promptdeck_script)]
        + ["--db", str(tmp_path / "l.db"), "pick", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "llm" in done.stdout, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert not [name for name in imported if name.startswith(("textual", "tui.pick"))]
