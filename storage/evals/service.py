"""EvalService: evals of a prompt's cases against versions and models. `prepare` makes the plan
(reads only), `start`, `record` (one result) and `finish` write it as it runs, each in one
transaction; the runner (runner.py) sends. Eval runs, their results and the cases whose
verdict changed between targets or between two eval runs are read back here."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from storage.db.database import Database
from storage.errors import NotFound, ValidationError
from storage.evals import owner, rows
from storage.evals.cases import cases_of
from storage.evals.models import (
    EVAL_STATUSES,
    AssertionResult,
    EvalCase,
    EvalPlan,
    EvalResult,
    EvalRun,
    EvalTarget,
    VerdictChange,
)
from storage.evals.rubrics import find as find_rubric
from storage.prompts import analysis
from storage.prompts import references as refs
from storage.prompts.validation import clean_choice
from storage.runs.models import Run

MAX_REPEAT = 100


class EvalService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def prepare(
        self,
        ref: str,
        *,
        provider: str,
        default_model: str,
        versions: Sequence[str | int] = (),
        models: Sequence[str] = (),
        case_ids: Sequence[str] | None = None,
        only_failed: bool = False,
        repeat: int = 1,
        judge_model: str | None = None,
    ) -> EvalPlan:
        """The plan for REF's cases (`case_ids`: those only; `only_failed`: those that did not
        pass in REF's last eval run) against each version (N, a label or latest; default:
        REF's pinned version, else the current one) and model (default: the version's own
        model when it names no provider or this one, else `default_model`)."""
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            why = f"must be a whole number from 1 to {MAX_REPEAT}"
            raise ValidationError("repeat", repeat, why)
        with self._db.read() as con:
            resolved = refs.resolve(con, ref)
            prompt = resolved.prompt
            pinned = [refs.resolve(con, f"{prompt.id}@{v}") for v in versions] or [resolved]
            targets: list[EvalTarget] = []
            for version in pinned:
                own = version.version.metadata if version.version else prompt.editable()
                own_model = own.get("model") if own.get("provider") in (None, provider) else None
                for model in models or [own_model or default_model]:
                    target = EvalTarget(version.number, model)
                    if target not in targets:
                        targets.append(target)
            cases = cases_of(con, prompt.id)
            if case_ids is not None:
                wanted = set(case_ids)
                cases = [c for c in cases if c.id in wanted]
            if only_failed:
                failed = _failed_last_time(con, prompt.id)
                cases = [c for c in cases if c.id in failed]
            elif not cases:
                raise NotFound(
                    f"prompt {prompt.name!r} has no cases; add them with `promptdeck cases add` "
                    "or `cases import`, or pass --cases FILE"
                )
            names = {a.rubric for c in cases for a in c.asserts if a.type == "judge" and a.rubric}
            rubrics = {name: find_rubric(con, name) for name in sorted(names)}
        return EvalPlan(
            prompt.id, prompt.name, provider, tuple(targets), tuple(cases), rubrics, repeat,
            only_failed, judge_model,
        )  # fmt: skip

    def start(self, plan: EvalPlan) -> EvalRun:
        """The eval run's row (running), and the analysis of each version it runs."""
        now = self._db.clock()
        for tx in self._db.write_attempts("start eval"):
            with tx as con:
                versions = sorted({t.version for t in plan.targets})
                pinned = [refs.resolve(con, f"{plan.prompt_id}@{v}") for v in versions]
                analysis.write(con, [analysis.made(version, now) for version in pinned])
                found = EvalRun(
                    self._db.new_id(), plan.prompt_id, plan.prompt_name, plan.provider,
                    plan.targets,
                    plan.judge_model, len(plan.cases), plan.repeat, plan.only_failed, "running",
                    0, 0, 0, 0, now, None,
                )  # fmt: skip
                con.execute(
                    "INSERT INTO eval_runs (id, prompt_id, provider, targets, judge_model, cases, "
                    "repeat, only_failed, status, started_at, owner) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [found.id, found.prompt_id, found.provider,
                     json.dumps([t.to_dict() for t in found.targets]), found.judge_model,
                     found.cases, found.repeat, found.only_failed, "running", now,
                     owner.current()],
                )  # fmt: skip
                self._db.audit(
                    con, "eval", f"prompt:{plan.prompt_id}", after={"eval_run": found.id}
                )
        return found

    def record(
        self,
        eval_run_id: str,
        case: EvalCase,
        target: EvalTarget,
        attempt: int,
        run: Run | None,
        checked: Sequence[AssertionResult],
        *,
        provider: str,
        error: str | None = None,
    ) -> EvalResult:
        """One result, in one transaction: `error` (nothing sent, or the model failed) makes
        it an error; else it passes when every assertion holds."""
        verdict = "error" if error else ("pass" if all(a.passed for a in checked) else "fail")
        judged = [a.score for a in checked if a.type == "judge" and a.score is not None]
        found = EvalResult(
            self._db.new_id(), eval_run_id, case.id, case.prompt_id, target.version, provider,
            target.model, attempt, run.id if run else None, verdict, error, tuple(checked),
            round(sum(judged) / len(judged), 4) if judged else None, self._db.clock(),
            run.output if run else "", run.cost_usd if run else None,
            run.latency_ms if run else None, run.tokens_in if run else 0,
            run.tokens_out if run else 0,
        )  # fmt: skip
        for tx in self._db.write_attempts("record eval result"):
            with tx as con:
                con.execute(
                    "INSERT INTO eval_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [found.id, eval_run_id, case.id, case.prompt_id, target.version, provider,
                     target.model, attempt, found.run_id, verdict, error,
                     json.dumps([a.to_dict() for a in checked], ensure_ascii=False),
                     found.judge_score, found.created_at],
                )  # fmt: skip
        return found

    def finish(self, eval_run_id: str, status: str) -> EvalRun:
        """The eval run's counts from its results, its status and end time."""
        clean_choice("status", status, EVAL_STATUSES)
        for tx in self._db.write_attempts("finish eval"):
            with tx as con:
                con.execute(
                    "UPDATE eval_runs SET status = $status, finished_at = $now, "
                    "results = (SELECT count(*) FROM eval_results WHERE eval_run_id = $id), "
                    "passed = (SELECT count(*) FROM eval_results WHERE eval_run_id = $id "
                    "AND verdict = 'pass'), "
                    "failed = (SELECT count(*) FROM eval_results WHERE eval_run_id = $id "
                    "AND verdict = 'fail'), "
                    "errors = (SELECT count(*) FROM eval_results WHERE eval_run_id = $id "
                    "AND verdict = 'error') WHERE id = $id",
                    {"status": status, "now": self._db.clock(), "id": eval_run_id},
                )
                found = rows.eval_run(rows.find_one(con, rows.RUN_SELECT, "x", eval_run_id, "eval"))
                self._db.audit(con, "eval_end", f"prompt:{found.prompt_id}",
                               after={"eval_run": found.id, "status": status,
                                      "passed": found.passed,
                                      "results": found.results})  # fmt: skip
        return found

    # -- reading ---------------------------------------------------------------------------

    def list_runs(self, ref: str | None = None, limit: int = 50) -> list[EvalRun]:
        """Eval runs newest first: all, or REF's prompt's."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError("limit", limit, "must be a whole number of at least 1")
        with self._db.read() as con:
            prompt_id = refs.resolve(con, ref).prompt.id if ref is not None else None
            found = con.execute(
                f"{rows.RUN_SELECT} WHERE ? IS NULL OR x.prompt_id = ? "
                "ORDER BY x.started_at DESC, x.id DESC LIMIT ?",
                [prompt_id, prompt_id, limit],
            ).fetchall()
        return [rows.eval_run(row) for row in found]

    def get(self, eval_run_id: str) -> EvalRun:
        """An eval run by its id or a unique start or end of it."""
        with self._db.read() as con:
            return rows.eval_run(rows.find_one(con, rows.RUN_SELECT, "x", eval_run_id, "eval"))

    def results(self, eval_run_id: str) -> list[EvalResult]:
        """An eval run's results in the order they ran, each with its run's output and figures."""
        with self._db.read() as con:
            found = rows.find_one(con, rows.RUN_SELECT, "x", eval_run_id, "eval")
            kept = con.execute(
                f"{rows.RESULT_SELECT} WHERE e.eval_run_id = ? ORDER BY e.created_at, e.id",
                [found[0]],
            ).fetchall()
        return [rows.result(row) for row in kept]

    def cases(self, eval_run_id: str) -> list[EvalCase]:
        """The cases an eval run ran (those still kept), in the order it ran them."""
        with self._db.read() as con:
            found = rows.find_one(con, rows.RUN_SELECT, "x", eval_run_id, "eval")
            kept = con.execute(
                f"SELECT {', '.join('c.' + c.strip() for c in rows.CASE_COLUMNS.split(','))} "
                "FROM eval_cases c JOIN (SELECT case_id, min(created_at) AS first "
                "FROM eval_results WHERE eval_run_id = ? GROUP BY case_id) e ON e.case_id = c.id "
                "ORDER BY e.first, c.id",
                [found[0]],
            ).fetchall()
        return [rows.case(row) for row in kept]

    def changes(self, eval_run_id: str) -> list[VerdictChange]:
        """The cases whose verdict differs between the eval run's first target and another."""
        results = self.results(eval_run_id)
        targets = list(dict.fromkeys(r.target for r in results))
        by_target = _verdicts(results)
        found: list[VerdictChange] = []
        for other in targets[1:]:
            found += _changed(by_target[targets[0]], by_target[other], targets[0], other)
        return found

    def compare(self, before_id: str, after_id: str) -> list[VerdictChange]:
        """The cases both eval runs ran whose verdict changed from the first to the second
        (each run's results of a case taken together: pass, fail, error, or "k/n" passed)."""
        before, after = self.results(before_id), self.results(after_id)
        if not before or not after:
            raise NotFound("an eval run to compare has no results")
        merged_before = _verdicts(before, merge=True)[before[0].target]
        merged_after = _verdicts(after, merge=True)[after[0].target]
        return _changed(merged_before, merged_after, before[0].target, after[0].target)


def _failed_last_time(con: Any, prompt_id: str) -> set[str]:
    """The cases with a result other than pass in the prompt's latest eval run that ran to its
    end (a cancelled or failed one did not try every case)."""
    found = con.execute(
        "SELECT DISTINCT case_id FROM eval_results WHERE verdict <> 'pass' AND eval_run_id = "
        "(SELECT id FROM eval_runs WHERE prompt_id = ? AND status = 'done' "
        "ORDER BY started_at DESC, id DESC LIMIT 1)",
        [prompt_id],
    ).fetchall()
    return {row[0] for row in found}


def _verdicts(
    results: Sequence[EvalResult], merge: bool = False
) -> dict[EvalTarget, dict[str, str]]:
    """Per target (merge: all under the first), per case: pass, fail, error, or "k/n" passed
    when its attempts disagree."""
    seen: dict[EvalTarget, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        seen[results[0].target if merge else result.target][result.case_id].append(result.verdict)
    return {
        target: {case: _summary(verdicts) for case, verdicts in cases.items()}
        for target, cases in seen.items()
    }


def _summary(verdicts: list[str]) -> str:
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return f"{verdicts.count('pass')}/{len(verdicts)}"


def _changed(
    before: dict[str, str], after: dict[str, str], first: EvalTarget, second: EvalTarget
) -> list[VerdictChange]:
    return [
        VerdictChange(case, verdict, after[case], first, second)
        for case, verdict in before.items()
        if case in after and after[case] != verdict
    ]
