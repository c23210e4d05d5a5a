"""Shell completion, as a shell asks for it: the console script run with
_PROMPTDECK_COMPLETE=<shell>_complete and the words typed so far, against a real library."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import click
import pytest

from tests.cli.conftest import Cli
from tests.cli.test_processes import hold
from tui.main import main

LINES = {  # name -> content
    "Linux terminal": "Act as a Linux terminal. Reply with what it prints.",
    "Linguist": "Explain where the word {{word}} comes from.",
    "Code review": "Review this diff for bugs.",
}


@pytest.fixture
def prompts(cli: Cli) -> dict[str, str]:
    """Three live prompts and an archived one: their ids by name."""
    ids = {name: cli.add(name, content) for name, content in LINES.items()}
    ids["Lindy hop"] = cli.add("Lindy hop", "Teach the swing-out.")
    cli.ok("archive", "Lindy hop")
    return ids


def complete(
    script: Path, shell: str, words: str, cword: int | str, *, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            **(env or {}),
            "_PROMPTDECK_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        },
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    return done


def bash(script: Path, words: str, cword: int, **env: str) -> list[str]:
    """The `plain` values of a bash completion (the shell splits them at newlines; click ends
    even an empty answer with one)."""
    out = complete(script, "bash", words, cword, env=env).stdout
    return [line.removeprefix("plain,") for line in out.splitlines() if line]


def test_a_ref_completes_with_live_names_from_the_library(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    at = {"PROMPTDECK_DB": str(db)}
    assert bash(promptdeck_script, "promptdeck show Lin", 2, **at) == [
        "Linguist",
        r"Linux\\ terminal",  # bash's `read` takes one backslash: `Linux\ terminal` is one word
    ]
    assert bash(promptdeck_script, "promptdeck show lin", 2, **at) == [
        "Linguist",
        r"Linux\\ terminal",
    ]
    # --db wins over PROMPTDECK_DB, as when the command runs; the archived one is left out.
    words = f"promptdeck --db {db} render Li"
    assert bash(promptdeck_script, words, 4, PROMPTDECK_DB="/nowhere") == [
        "Linguist",
        r"Linux\\ terminal",
    ]
    assert bash(promptdeck_script, "promptdeck unarchive Li", 2, **at) == [r"Lindy\\ hop"]
    # Every REF: an option's, a second argument's.
    assert bash(promptdeck_script, "promptdeck add --name X --parent Co", 5, **at) == [
        r"Code\\ review"
    ]
    assert "Linguist" in bash(promptdeck_script, "promptdeck link Code Li", 3, **at)


# The parameters that name a prompt, wherever a verb has one.
REF_PARAMS = ("ref", "source", "target", "parent", "child")


def _verbs(group: click.Group, path: str = "") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found += _verbs(command, f"{path}{name} ")
        else:
            found.append((f"{path}{name}", command))
    return found


def test_every_ref_of_every_verb_completes(db: Path, prompts: dict[str, str]) -> None:
    """A new verb's REF completes too (in-process: the parameter's own shell_complete)."""
    root = click.Context(main)
    root.params["db"] = db
    checked = []
    for name, command in _verbs(main):
        ctx = click.Context(command, parent=root, info_name=name)
        for param in command.params:
            if param.name in REF_PARAMS:
                offered = [item.value for item in param.shell_complete(ctx, "Lin")]
                wanted = ["Lindy hop"] if name == "unarchive" else ["Linguist", "Linux terminal"]
                assert offered == wanted, (name, param.name)
                checked.append(f"{name} {param.name}")
    assert len(checked) >= 20, checked  # 27 today


def test_a_short_id_completes_too(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    short = prompts["Code review"][-8:]
    found = bash(promptdeck_script, f"promptdeck show {short[:5]}", 2, PROMPTDECK_DB=str(db))
    assert short in found


def test_verbs_and_options_complete(promptdeck_script: Path, tmp_path: Path) -> None:
    at = {"PROMPTDECK_DB": str(tmp_path / "none.duckdb")}
    assert bash(promptdeck_script, "promptdeck sho", 1, **at) == ["show"]
    assert bash(promptdeck_script, "promptdeck list --li", 2, **at) == ["--limit"]
    assert not (tmp_path / "none.duckdb").exists()


def test_zsh_and_fish_get_names_with_their_short_ids(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    at = {"PROMPTDECK_DB": str(db)}
    out = complete(promptdeck_script, "zsh", "promptdeck show Lin", 2, env=at).stdout
    linguist, linux = prompts["Linguist"][-8:], prompts["Linux terminal"][-8:]
    assert out.splitlines() == ["plain", "Linguist", linguist, "plain", "Linux terminal", linux]
    out = complete(promptdeck_script, "fish", "promptdeck show Lin", "Lin", env=at).stdout
    assert out.splitlines() == [f"plain,Linguist\t{linguist}", f"plain,Linux terminal\t{linux}"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_bash_itself_gets_one_word_per_name(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    """click's bash script, sourced as README says, fills COMPREPLY with escaped names."""
    script = (
        'eval "$(_PROMPTDECK_COMPLETE=bash_source promptdeck)"\n'
        "COMP_WORDS=(promptdeck show Lin); COMP_CWORD=2\n"
        "_promptdeck_completion promptdeck\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = f"{promptdeck_script.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": path, "PROMPTDECK_DB": str(db)},
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.splitlines() == ["Linguist", r"Linux\ terminal"]


def test_a_missing_library_completes_nothing_and_is_not_created(
    promptdeck_script: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nested" / "missing.duckdb"
    for shell in ("bash", "zsh"):
        done = complete(promptdeck_script, shell, f"promptdeck --db {missing} show Li", 4)
        assert done.stdout.strip() == ""
    assert not missing.exists() and not missing.parent.exists()


def test_a_broken_or_foreign_file_completes_nothing(
    promptdeck_script: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 100)
    assert bash(promptdeck_script, "promptdeck show Li", 2, PROMPTDECK_DB=str(broken)) == []
    assert broken.read_bytes() == b"not a database" * 100
    folder = tmp_path / "a-folder.duckdb"
    folder.mkdir()
    assert bash(promptdeck_script, "promptdeck show Li", 2, PROMPTDECK_DB=str(folder)) == []


def test_a_locked_library_completes_nothing_at_once(
    promptdeck_script: Path, db: Path, prompts: dict[str, str]
) -> None:
    with hold(db, 30):
        started = time.monotonic()
        found = bash(
            promptdeck_script,
            "promptdeck show Lin",
            2,
            PROMPTDECK_DB=str(db),
            PROMPTDECK_LOCK_TIMEOUT="30",
        )
        assert found == []
        assert time.monotonic() - started < 10  # it did not wait for the lock
