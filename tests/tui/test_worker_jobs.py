"""What a screen hands its worker is logged by Textual (a worker's description is the repr of
its arguments): the [llm] table in it, which may hold an API key, never shows there."""

from __future__ import annotations

from tui.eval_worker import EvalJob
from tui.run_worker import AnswerJob

KEY = "sk-live-0123456789abcdef"


def test_a_job_repr_holds_no_api_key() -> None:
    llm = {"provider": "openai", "api_key": KEY}
    answer = AnswerJob("run", "Greet", {}, "openai", None, llm)
    evaluate = EvalJob("0190", llm=llm)
    for job in (answer, evaluate):
        assert KEY not in repr(job) and KEY[:8] not in repr(job)
        assert job.llm["api_key"] == KEY
