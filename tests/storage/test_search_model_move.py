"""Moving a library made before the bundled model (search on local-ngram-384) to wordllama:
search answers at every moment of the move, and prompts saved before it are found."""

from __future__ import annotations

from pathlib import Path

from storage import Library, LocalProvider, WordLlamaProvider

TOPICS = ["refund request", "security review", "newsletter teaser", "meeting notes", "SQL query"]


def test_search_never_stops_while_it_moves(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    # One connection for the setup (a create and an embed per prompt); the move runs as in the CLI.
    with Library(path, embedder=LocalProvider(), linger=60.0, interactive=False) as library:
        for n, topic in enumerate(TOPICS * 20):
            library.embeddings.after_save(
                library.prompts.create(f"{topic} {n}", f"About {topic} {n}.")
            )
    with Library(path, embedder=WordLlamaProvider()) as library:
        saved = library.prompts.create("Late one", "Answer a customer who wants their money back.")
        library.embeddings.after_save(saved)  # search still uses local: it gets both vectors
        assert library.embeddings.active_model() == "local-ngram-384"
        found = library.search.search("Late one money back", "semantic", limit=3).hits
        assert saved.id in [hit.prompt_id for hit in found]

        answers: list[tuple[str | None, int]] = []

        def during(done: int, total: int) -> None:
            hits = library.search.search("refund request", "semantic", limit=5).hits
            answers.append((library.embeddings.active_model(), len(hits)))

        # 101 prompts in batches of 25: search is asked between each of the five.
        report = library.embeddings.reembed(WordLlamaProvider(), batch_size=25, progress=during)
        assert report.switched and report.active_model == "wordllama-l2-256"
        assert {model for model, _ in answers} == {"local-ngram-384"}
        assert all(count == 5 for _, count in answers) and len(answers) >= 4
        found = library.search.search("a customer wants their money back", "semantic").hits
        assert found[0].prompt_id == saved.id
