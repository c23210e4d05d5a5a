"""Numbers, versions and model names are words: the text index and the query split alike."""

from __future__ import annotations

from storage import Library
from storage.search.text_index import FTS


def _names(library: Library, query: str) -> list[str]:
    return [hit.name for hit in library.search.search(query, limit=50).hits]


def _seed(library: Library) -> None:
    library.prompts.create("SEO Prompt", "Write a 2,000 words article on the topic given.")
    library.prompts.create("Chat with GPT-4", "Answer as gpt-4 would, concisely.")
    library.prompts.create("Chat with GPT-3.5", "Answer as gpt-3.5 would, briefly.")
    for number in range(1, 60):
        library.prompts.create(f"Prompt {number}", f"Body number {number * 7}.")
    library.prompts.create("Prompt 1234", "The one to find by its number.")


def test_digits_and_punctuated_numbers_are_searchable(library: Library) -> None:
    _seed(library)
    library.search.build_text_index()
    assert _names(library, "2,000 ")[0] == "SEO Prompt"
    assert _names(library, "1234 ") == ["Prompt 1234"]
    assert _names(library, "gpt-4 ")[0] == "Chat with GPT-4"
    assert "Chat with GPT-3.5" not in _names(library, "gpt 4 ")[:1]
    assert _names(library, "123")[:1] == ["Prompt 1234"]  # the typed prefix of a number


def test_prompts_written_after_the_build_split_the_same_way(library: Library) -> None:
    _seed(library)
    library.search.build_text_index()
    library.prompts.create("Release notes v2026", "Summarise the 4,096 changes of release 7.1.")
    assert _names(library, "4,096 ")[0] == "Release notes v2026"
    assert _names(library, "v2026 ") == ["Release notes v2026"]


def test_an_index_of_the_old_tokenizer_is_rebuilt(library: Library) -> None:
    _seed(library)
    library.search.build_text_index()
    with library.db.write() as con:  # as a library indexed before digits were words
        con.execute(f"UPDATE {FTS}.build SET build_id = 'old-build'")
    assert _names(library, "1234 ") == ["Prompt 1234"]
