"""Evals (issue 16): a prompt's test cases (CaseService), the rubrics a judge scores by
(RubricService), and eval runs of cases x versions x models (EvalService: plan, record, read
back). EvalRunner (runner.py, which imports httpx through the chat providers) runs a plan."""

from storage.evals.cases import CaseService
from storage.evals.rubrics import RubricService
from storage.evals.service import EvalService

__all__ = ["CaseService", "EvalService", "RubricService"]
