"""A label points at the version asked for: `--version N`, else the version a pinned reference
names (`Tweet@1`, `Tweet@staging`), else the current one. Versions start at 1: 0 or a negative
number is refused, not read as "the current one"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage import Library
from storage.errors import NotFound, ValidationError


def build_tweet(library: Library) -> None:
    prompt = library.prompts.create("Tweet", "v1")
    library.prompts.update(prompt.id, {"content": "v2"})
    library.prompts.update(prompt.id, {"content": "v3"})


@pytest.fixture
def tweet(library_from: Callable[..., Library]) -> Library:
    """A library with one prompt, Tweet, at version 3 of 3."""
    return library_from(build_tweet)


def pointed(library: Library) -> dict[str, int]:
    return {lb.label: lb.version for lb in library.versions.labels("Tweet")}


def test_a_pinned_reference_pins_the_version(tweet: Library) -> None:
    assert tweet.versions.set_label("Tweet@1", "pinned").version == 1
    assert tweet.versions.set_label("Tweet@pinned", "also").version == 1
    assert tweet.versions.set_label("Tweet@latest", "now").version == 3
    assert tweet.versions.set_label("Tweet", "current").version == 3
    assert pointed(tweet) == {"also": 1, "current": 3, "now": 3, "pinned": 1}
    assert tweet.audit.entries(limit=1)[0].after == {"current": 3}


def test_a_pin_and_the_same_version_agree(tweet: Library) -> None:
    assert tweet.versions.set_label("Tweet@2", "staging", 2).version == 2


def test_a_pin_and_another_version_are_refused(tweet: Library) -> None:
    before = tweet.audit.entries(limit=100)
    with pytest.raises(ValidationError) as caught:
        tweet.versions.set_label("Tweet@1", "staging", 2)
    assert caught.value.field == "version"
    assert "Tweet@1" in str(caught.value) and "version 1" in str(caught.value)
    assert pointed(tweet) == {}
    assert tweet.audit.entries(limit=100) == before


@pytest.mark.parametrize("number", [0, -1, -3])
def test_version_numbers_start_at_1(tweet: Library, number: int) -> None:
    with pytest.raises(ValidationError) as caught:
        tweet.versions.set_label("Tweet", "staging", number)
    assert caught.value.field == "version"
    assert str(caught.value) == f"version: versions start at 1 (got {number})"
    assert pointed(tweet) == {}


def test_a_version_past_the_last_is_not_found(tweet: Library) -> None:
    with pytest.raises(NotFound, match=r"has no version 4 \(versions 1..3\)"):
        tweet.versions.set_label("Tweet", "staging", 4)
