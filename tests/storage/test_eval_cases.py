"""Cases and rubrics: JSONL and CSV case files (a bad line refused with its number, nothing
kept), every assertion's value checked when read and its verdict on answers, rubrics and
their weighted criteria."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage import Library
from storage.errors import ImportRejected, NotFound, PromptdeckError, ValidationError
from storage.evals import assertions
from storage.evals.assertions import check, parse

GREET = "Say hello to {{who}}."


@pytest.fixture
def greet(library: Library) -> str:
    return library.prompts.create("Greet", GREET).id


def jsonl(path: Path, *cases: Any) -> Path:
    path.write_text("\n".join(c if isinstance(c, str) else json.dumps(c) for c in cases) + "\n")
    return path


def test_a_jsonl_file_is_imported_once_and_listed_in_order(
    library: Library, greet: str, tmp_path: Path
) -> None:
    first = {"vars": {"who": "Ada"}, "assert": [{"type": "contains", "value": "Ada"}]}
    second = {"vars": {"who": "Bob", "n": 3}, "assert": {"type": "max-length", "value": 40}}
    path = jsonl(tmp_path / "cases.jsonl", first, "", second)
    done = library.cases.import_file("Greet", path)
    assert (done.added, done.skipped) == (2, 0)
    again = library.cases.import_file("Greet", path)
    assert (again.added, again.skipped, again.case_ids) == (0, 2, done.case_ids)
    listed = library.cases.list_cases("Greet")
    assert [c.vars for c in listed] == [{"who": "Ada"}, {"who": "Bob", "n": "3"}]
    assert listed[1].asserts[0].spec() == {"type": "max-length", "value": 40}
    assert library.cases.get(listed[0].id[-8:]) == listed[0]


def test_a_csv_file_takes_its_assert_column_as_json(
    library: Library, greet: str, tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(
        'who,description,assert\nAda,first,"[{""type"": ""icontains"", ""value"": ""ada""}]"\n'
        'Bob,,"{""type"": ""is-json""}"\n',
        encoding="utf-8",
    )
    assert library.cases.import_file("Greet", path).added == 2
    first, second = library.cases.list_cases("Greet")
    assert (first.vars, first.description, first.asserts[0].type) == (
        {"who": "Ada"},
        "first",
        "icontains",
    )
    assert second.asserts[0].type == "is-json"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("{not json", "line 2: not JSON"),
        ('{"vars": {}, "assert": [{"type": "containz", "value": "x"}]}', "assert[1].type"),
        ('{"vars": {}, "assert": [{"type": "regex", "value": "("}]}', "not a regular expression"),
        ('{"vars": {}, "assert": [{"type": "max-length", "value": "ten"}]}', "whole number"),
        ('{"vars": {}, "assert": [{"type": "judge", "rubric": "nope"}]}', "no such rubric"),
        ('{"vars": {}, "assert": [{"type": "similar", "value": "x", "threshold": 2}]}', "cosine"),
        ('{"vars": {}, "assert": [{"type": "contains", "valeu": "x"}]}', "assert[1].valeu"),
        ('{"vars": {}, "expect": []}', "expect: is not a case key"),
        ('{"vars": {}, "assert": [{"type": "json-schema", "value": {"oneof": []}}]}', "keyword"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_nothing_is_kept(
    library: Library, greet: str, tmp_path: Path, line: str, said: str
) -> None:
    good = {"vars": {"who": "Ada"}, "assert": [{"type": "contains", "value": "Ada"}]}
    path = jsonl(tmp_path / "cases.jsonl", good, line, good)
    with pytest.raises(ImportRejected) as refused:
        library.cases.import_file("Greet", path)
    message = str(refused.value)
    assert f"{path}: line 2: " in message and said in message and "\n" not in message
    assert "nothing was imported" in message and refused.value.row == 2
    assert library.cases.list_cases("Greet") == []


def test_a_case_from_a_run_keeps_its_variables(library: Library, greet: str) -> None:
    prepared = library.runs.prepare("Greet", {"who": "Ada"}, provider="ollama", default_model="m")
    from storage import RunOutcome

    run = library.runs.record(prepared, RunOutcome("ok", "Hello Ada", 3, 2, False, 10))
    case = library.cases.add_from_run(run.id[-8:], [{"type": "equals", "value": "Hello Ada"}])
    assert (case.prompt_id, case.vars, case.source) == (greet, {"who": "Ada"}, "run")
    with pytest.raises(PromptdeckError, match="identical case"):
        library.cases.add_from_run(run.id, [{"type": "equals", "value": "Hello Ada"}])
    assert [c.id for c in library.cases.remove([case.id])] == [case.id]
    assert library.cases.list_cases("Greet") == []


def test_rubrics_are_named_weighted_and_kept_while_a_case_uses_them(
    library: Library, greet: str
) -> None:
    rubric = library.rubrics.add(
        "Helpful", [{"name": "clarity", "weight": 2}, {"name": "tone", "description": "kind"}]
    )
    assert [(c.name, c.weight) for c in rubric.criteria] == [("clarity", 2.0), ("tone", 1.0)]
    with pytest.raises(PromptdeckError, match="already exists"):
        library.rubrics.add("Helpful", [{"name": "x"}])
    replaced = library.rubrics.add("Helpful", [{"name": "x"}], replace=True)
    assert replaced.id == rubric.id and library.rubrics.get("Helpful").criteria[0].name == "x"
    for bad in ([], [{"name": "a", "weight": 0}], [{"name": "a"}, {"name": "A"}]):
        with pytest.raises(ValidationError):
            library.rubrics.add("Other", bad)
    case = library.cases.add("Greet", {"who": "x"}, [{"type": "judge", "rubric": "Helpful"}])
    with pytest.raises(PromptdeckError, match="used by 1 case"):
        library.rubrics.remove("Helpful")
    library.cases.remove([case.id])
    library.rubrics.remove("Helpful")
    with pytest.raises(NotFound):
        library.rubrics.get("Helpful")


CHECKS: list[tuple[dict[str, Any], str, bool, str]] = [
    ({"type": "contains", "value": "Ada"}, "Hello Ada", True, ""),
    ({"type": "contains", "value": "Bob"}, "Hello Ada", False, "does not contain 'Bob'"),
    ({"type": "not-contains", "value": "Ada"}, "Hello Ada", False, "at character 7"),
    ({"type": "icontains", "value": "ADA"}, "Hello Ada", True, ""),
    ({"type": "equals", "value": "Hello Ada"}, " Hello Ada\n", True, ""),
    ({"type": "equals", "value": {"a": 1}}, '{"a": 1}', True, ""),
    ({"type": "regex", "value": r"^Hel+o\b"}, "Hello Ada", True, ""),
    ({"type": "starts-with", "value": "Hi"}, "Hello Ada", False, "starts with 'Hello Ada'"),
    ({"type": "is-json"}, '{"a": [1]}', True, ""),
    ({"type": "is-json"}, "{'a': 1}", False, "is not JSON"),
    (
        {
            "type": "json-schema",
            "value": {
                "type": "object",
                "required": ["name"],
                "properties": {"age": {"type": "integer"}},
            },
        },
        '{"age": "x"}',
        False,
        "$: 'name' is required; $.age: expected integer, got string",
    ),
    ({"type": "max-length", "value": 5}, "Hello Ada", False, "9 characters, more than 5"),
    ({"type": "min-length", "value": 5}, "Hello Ada", True, ""),
    ({"type": "cost", "value": 0.001}, "x", True, ""),
    ({"type": "latency", "value": 100}, "x", False, "took 250 ms, more than 100 ms"),
]


@pytest.mark.parametrize(("spec", "output", "passed", "reason"), CHECKS)
def test_each_assertion_that_needs_no_model(
    spec: dict[str, Any], output: str, passed: bool, reason: str
) -> None:
    found = check(parse(spec), output, cost_usd=0.0004, latency_ms=250)
    assert found.passed == passed
    assert reason in found.reason if reason else found.reason == ""


def test_a_cost_bound_fails_an_unpriced_run() -> None:
    found = check(parse({"type": "cost", "value": 1}), "x", cost_usd=None, latency_ms=None)
    assert not found.passed and "no price" in found.reason


def test_defaults_of_similar_and_judge() -> None:
    assert parse({"type": "similar", "value": "x"}).threshold == assertions.SIMILAR_THRESHOLD
    judged = parse({"type": "judge", "value": "Helpful"}, rubrics={"Helpful"})
    assert (judged.rubric, judged.threshold) == ("Helpful", assertions.JUDGE_THRESHOLD)
    with pytest.raises(ValidationError, match="takes no threshold"):
        parse({"type": "contains", "value": "x", "threshold": 1})
