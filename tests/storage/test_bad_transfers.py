"""Files that are broken or hostile: an import reads every row or refuses naming the line,
nothing is written outside its folder, and a backup verifies and restores only what it holds.
Every refusal leaves the library exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from storage import Library
from storage.errors import ImportRejected

UNCLOSED = 'name,content\nR1,a\nR2,b\nR3,"unterminated\nR4,d\nR5,e\n'
UNCLOSED_GENERATIONS = (
    "prompt,provider,model,tokens_in,tokens_out\n"
    "Summarise,openai,gpt-4o,1,2\n"
    'Summarise,"openai,gpt-4o,1,2\n'
    "Summarise,openai,gpt-4o,3,4\n"
)


def _one_prompt(library: Library) -> None:
    library.prompts.create("Summarise", "Summarise {{topic}}.")


@pytest.fixture
def one(library_from: Callable[..., Library]) -> Library:
    return library_from(_one_prompt)


# -- 1. a quote never closed ---------------------------------------------------------------------


def test_an_unclosed_quote_refuses_the_prompt_import_naming_its_line(
    library: Library, tmp_path: Path
) -> None:
    source = tmp_path / "u.csv"
    source.write_text(UNCLOSED, "utf-8")
    before = library.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        library.imports.run(source)
    assert str(caught.value) == (
        f"{source}: line 4: a quoted field is never closed (it runs to the end of the file); "
        "nothing imported"
    )
    assert (caught.value.file, caught.value.row) == (str(source), 4)
    assert library.db.table_counts() == before


def test_an_unclosed_quote_refuses_the_generation_import(one: Library, tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(UNCLOSED_GENERATIONS, "utf-8")
    before = one.db.table_counts()
    with pytest.raises(ImportRejected) as caught:
        one.generation_imports.run(source)
    assert (caught.value.file, caught.value.row) == (str(source), 3)
    assert "line 3: a quoted field is never closed" in str(caught.value)
    assert one.db.table_counts() == before


@pytest.mark.parametrize(
    "text",
    [
        'name,content\nR1,5" screen\nR2,"unclosed\nR3,c\n',  # a quote inside a plain field
        'name,content\r\nR1,a\r\nR2,"b""c\r\n',  # CRLF, an escaped quote, no closing one
        'name,content\nR1,a\nR2,"',  # the file's last character opens the quote
    ],
)
def test_an_unclosed_last_quote_is_found_however_the_file_ends(
    library: Library, tmp_path: Path, text: str
) -> None:
    source = tmp_path / "u.csv"
    source.write_bytes(text.encode())
    before = library.db.table_counts()
    with pytest.raises(ImportRejected, match="line 3: a quoted field is never closed"):
        library.imports.run(source)
    assert library.db.table_counts() == before


def test_quotes_that_close_still_import_every_row(library: Library, tmp_path: Path) -> None:
    source = tmp_path / "ok.csv"
    source.write_text('name,content\nR1,5" screen\nR2,"two\nlines"\nR3,"say ""hi"""\n', "utf-8")
    summary = library.imports.run(source)
    assert (summary.imported, summary.rejected) == (3, 0)
    assert library.prompts.get("R3").content == 'say "hi"'
