"""The journal of this process's writes: what they declared is known from a stamp to now only
when its notes lead there, one after another, each declaring what it changed."""

from __future__ import annotations

from storage.db.write_journal import KEPT, Declared, WriteJournal


def prompts(*ids: str, feedback: bool = False) -> Declared:
    return Declared(frozenset(ids), feedback)


def test_notes_that_chain_give_what_they_declared() -> None:
    journal = WriteJournal()
    journal.note((1,), (2,), prompts("a"))
    journal.note((2,), (3,), Declared())  # the file changed, no prompt
    journal.note((3,), (4,), prompts("b", feedback=True))  # a rating
    assert journal.changed_since((1,), (4,)) == prompts("a", "b", feedback=True)
    assert journal.changed_since((1,), (3,)) == prompts("a")
    assert journal.changed_since((4,), (4,)) == Declared()


def test_a_gap_or_an_undeclared_write_is_unknown() -> None:
    journal = WriteJournal()
    journal.note((1,), (2,), prompts("a"))
    journal.note((3,), (4,), prompts("b"))  # 2 -> 3: another process wrote
    assert journal.changed_since((1,), (4,)) is None
    assert journal.changed_since((3,), (4,)) == prompts("b")
    journal.note((4,), (5,), None)  # a write that declared nothing
    assert journal.changed_since((3,), (5,)) is None
    assert journal.changed_since(None, (5,)) is None  # a cache that never looked
    assert journal.changed_since((1,), (2,)) == prompts("a")


def test_only_the_last_notes_are_kept() -> None:
    journal = WriteJournal()
    for stamp in range(KEPT + 1):
        journal.note((stamp,), (stamp + 1,), prompts(str(stamp)))
    assert journal.changed_since((0,), (KEPT + 1,)) is None
    assert journal.changed_since((1,), (KEPT + 1,)) == prompts(*map(str, range(1, KEPT + 1)))


def test_a_stamp_read_while_a_checkpoint_ran_stands_for_the_one_before() -> None:
    """A cache may look while our checkpoint half wrote the file: what it read chains on."""
    journal = WriteJournal()
    stamps = iter([(2,), (3,)])
    journal.note((1,), (2,), prompts("a"))
    with journal.watched(lambda: next(stamps), Declared):
        assert journal.read((2, 5)) == (2, 5)  # the file half written
    journal.note((3,), (4,), prompts("b"))
    assert journal.changed_since((2, 5), (4,)) == prompts("b")
    assert journal.changed_since((1,), (4,)) == prompts("a", "b")
    assert journal.read((9,)) == (9,) and journal.changed_since((9,), (4,)) is None


def test_a_stamp_read_while_a_write_ran_stands_for_the_one_before() -> None:
    """DuckDB writes a large transaction's blocks to the file before its commit (a text index
    build at a million prompts): a cache that looked meanwhile chains on, and takes in what the
    write declared."""
    journal = WriteJournal()
    stamps = iter([(1,), (2,), (2,), (3,)])
    with journal.watched(lambda: next(stamps), lambda: prompts("a")):
        journal.read((1, 7))  # blocks written, nothing committed
    with journal.watched(lambda: next(stamps), lambda: None):  # failed: declared nothing
        journal.read((2, 8))
    assert journal.changed_since((1, 7), (2,)) == prompts("a")
    assert journal.changed_since((2, 8), (3,)) is None
