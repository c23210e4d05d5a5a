"""EnhanceService: a prompt rewritten by a chat model for a phase (storage.runs.phases), as a run
like any other (RunStream sends it and records it), then kept as a new prompt derived from the
one enhanced or as a new version of it, with an enhancement_history row tied to the run; or
dropped, which writes nothing."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb

from storage.db.database import Database
from storage.errors import ValidationError
from storage.models import EDITABLE_FIELDS, Prompt, short_id
from storage.prompts import references as refs
from storage.prompts.validation import clean_fields, clean_max_tokens, clean_temperature
from storage.prompts.writer import Origin, PromptWriter
from storage.runs.models import PreparedRun, Run
from storage.runs.phases import Enhancement, enhanced_content

KEEP_AS = ("prompt", "version")


@dataclass(frozen=True)
class Proposal:
    """What an enhancement run proposes: the content it was given and the content it wrote."""

    run: Run
    enhancement: Enhancement
    original: str
    content: str

    def diff(self) -> str:
        """The change as a unified diff, the content enhanced to the content proposed."""
        return "\n".join(
            difflib.unified_diff(
                self.original.splitlines(),
                self.content.splitlines(),
                fromfile=f"{self.run.prompt_name}@{self.run.version}",
                tofile=f"{self.enhancement.phase}:{self.enhancement.method}",
                lineterm="",
            )
        )


class EnhanceService:
    def __init__(self, db: Database, writer: PromptWriter) -> None:
        self._db = db
        self._writer = writer

    def prepare(
        self,
        ref: str,
        enhancement: Enhancement,
        *,
        provider: str,
        model: str,
        temperature: float | str | None = None,
        max_tokens: int | str | None = None,
        stream: bool = True,
    ) -> PreparedRun:
        """The run asking `model` to rewrite REF's content (REF@N, REF@label: that version's)
        for the phase. The prompt's own model and parameters are for running it, not for
        rewriting it: they do not apply here. Nothing is written."""
        with self._db.read() as con:
            resolved = refs.resolve(con, ref)
        return PreparedRun(
            prompt_id=resolved.prompt.id,
            prompt_name=resolved.prompt.name,
            version=resolved.number,
            provider=provider,
            model=model,
            messages=enhancement.messages(resolved.content),
            temperature=clean_temperature(temperature),
            max_tokens=clean_max_tokens(max_tokens),
            stream=stream,
            enhance={"phase": enhancement.phase, "method": enhancement.method},
        )

    def proposal(self, run: Run) -> Proposal:
        """The new content an enhancement run wrote, beside what it was given; a run that
        did not finish, was not an enhancement, or whose answer cannot be a prompt is a
        ValidationError saying so."""
        asked = run.parameters.get("enhance")
        if not isinstance(asked, dict):
            raise ValidationError("run", run.id, "is not an enhancement run")
        if run.status != "ok":
            raise ValidationError("run", run.id, f"did not finish ({run.status}): nothing to keep")
        enhancement = Enhancement(str(asked.get("phase")), str(asked.get("method")))
        with self._db.read() as con:
            original = refs.resolve(con, f"{run.prompt_id}@{run.version}").content
        return Proposal(run, enhancement, original, enhanced_content(run.output, original))

    def keep(self, run: Run, *, keep_as: str = "prompt", name: str | None = None) -> Prompt:
        """Keep what the run wrote: as a new prompt (`prompt`: derived from the one enhanced,
        source `enhanced`, its phase, named `name` or "NAME (PHASE)"), or as a new version of
        the prompt (`version`: refused when the prompt has moved past the version enhanced).
        One transaction: the prompt or version, the history row with the run, the audit
        entry (`enhance`)."""
        if keep_as not in KEEP_AS:
            raise ValidationError("keep_as", keep_as, f"must be one of {', '.join(KEEP_AS)}")
        proposal = self.proposal(run)
        method = f"{proposal.enhancement.phase}:{proposal.enhancement.method}"
        origin = Origin(run.id, run.provider, run.answered_by or run.model)
        for tx in self._db.write_attempts("keep enhancement"):
            with tx as con:
                source = refs.resolve(con, run.prompt_id).prompt
                if keep_as == "version":
                    kept = self._as_version(con, source, proposal, method)
                    self._writer.add_history(
                        con,
                        kept.id,
                        source.id,
                        method,
                        proposal.original,
                        kept.content,
                        None,
                        origin,
                    )
                else:
                    kept = self._as_prompt(con, source, proposal, method, name)
                    self._writer.add_derivation(
                        con, kept, source, method, None, original=proposal.original, origin=origin
                    )
                    self._db.audit(
                        con,
                        "enhance",
                        f"prompt:{kept.id}",
                        after={"run": run.id, "parent_id": source.id, "method": method},
                    )
        return kept

    def _as_version(
        self, con: duckdb.DuckDBPyConnection, source: Prompt, proposal: Proposal, method: str
    ) -> Prompt:
        if source.current_version != proposal.run.version:
            raise ValidationError(
                "run",
                proposal.run.id,
                f"enhanced v{proposal.run.version} of {source.name!r}, which is at "
                f"v{source.current_version} now: keep it as a new prompt, or enhance again",
            )
        values = clean_fields({"content": proposal.content})
        message = f"enhanced ({method}, run {short_id(proposal.run.id)})"
        return self._writer.update(con, source, values, message, "enhance")

    def _as_prompt(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Prompt,
        proposal: Proposal,
        method: str,
        name: str | None,
    ) -> Prompt:
        inherited = {f: getattr(source, f) for f in EDITABLE_FIELDS}
        values = clean_fields(
            {
                **inherited,
                "name": name or f"{source.name} ({proposal.enhancement.phase})",
                "content": proposal.content,
                "phase": proposal.enhancement.phase,
                "source_type": "enhanced",
                "enhancement_method": method,
            }
        )
        return self._writer.insert(con, values, message=f"enhanced ({method})", parent_id=source.id)
