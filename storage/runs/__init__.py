"""Runs: a prompt sent to a chat model and what came back. RunService (prepare, record, list,
get) reads and writes the library; RunStream (runner.py, which imports httpx through the chat
providers) sends a prepared run and records it however it ends."""

from storage.runs.models import RUN_STATUSES, PreparedRun, Run, RunOutcome
from storage.runs.service import RunService

__all__ = ["RUN_STATUSES", "PreparedRun", "Run", "RunOutcome", "RunService"]
