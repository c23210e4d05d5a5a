"""Semantic search says how many prompts it could not rank because they have no vector."""

from __future__ import annotations

from pathlib import Path

from storage import Library, LocalProvider, PromptFilter


def _library(tmp_path: Path, *, linger: float) -> Library:
    library = Library(tmp_path / f"lib-{linger}.duckdb", linger=linger).open()
    for name, text in (
        ("Linux Terminal", "Act as a linux terminal and answer with the output only."),
        ("Travel Guide", "Act as a travel guide and suggest places to visit nearby."),
        ("Poet", "Act as a poet and write a short poem about the given theme."),
    ):
        library.prompts.create(name, text)
    library.embeddings.embed_missing(LocalProvider())
    csv = tmp_path / "more.csv"
    csv.write_text(
        "name,content\n"
        + "".join(
            f"Imported {i},An imported prompt about shell scripting number {i}.\n" for i in range(5)
        ),  # fmt: skip
        encoding="utf-8",
    )
    library.imports.run(csv)
    return library


def test_every_semantic_path_names_the_prompts_it_cannot_rank(tmp_path: Path) -> None:
    for linger in (0.0, 60.0):  # the SQL path (one-shot) and the held matrix (the TUI)
        library = _library(tmp_path, linger=linger)
        similar = library.search.similar("Linux Terminal")
        assert similar.notice is not None and "5 prompts have no vector" in similar.notice
        assert all(not hit.name.startswith("Imported") for hit in similar.hits)
        for mode in ("semantic", "hybrid"):
            found = library.search.search("shell scripting", mode)
            assert found.notice is not None and "5 prompts have no vector" in found.notice
            page = library.search.table("shell scripting", mode, PromptFilter())
            assert page.notice is not None and "5 prompts have no vector" in page.notice
        assert library.search.search("shell", "text").notice is None
        library.embeddings.embed_missing(LocalProvider())
        assert library.search.similar("Linux Terminal").notice is None
        assert library.search.search("shell scripting", "semantic").notice is None
        library.close()
