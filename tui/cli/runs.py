"""Talking to models: run (send a prompt to a chat model, stream the answer, record the run) and
runs (the runs recorded, newest first; `runs show ID` for one whole). The chat providers (and
httpx) are imported only when `run` sends something."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

import click

import storage
from storage import Library, Run, templates
from storage.models import short_id
from tui.cli.common import Group, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import parse_values
from tui.cli.output import clip, emit_json, fields_block, table
from tui.shared.formatting import date_time
from tui.shared.settings import ConfigError, Settings

if TYPE_CHECKING:
    from storage import ChatProvider

EXIT_CANCELLED = 130  # as a shell reports a command stopped by ctrl+c
_OUTPUT_WIDTH = 40  # cells of output `runs` shows


@click.command()
@click.argument("ref", shell_complete=prompt_refs)
@click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--model", help="Model (default: the prompt's own, else [llm] model).")
@click.option(
    "--provider",
    metavar="NAME",
    help="openai, anthropic or ollama (default: [llm] provider, else ollama).",
)
@click.option("--temperature", metavar="0..2", help="Sampling temperature.")
@click.option("--max-tokens", metavar="N", help="Most tokens the answer may have.")
@click.option(
    "--no-stream", is_flag=True, help="Print the answer once it has all arrived (openai: as one)."
)
@json_option
def run(
    ref: str,
    values: tuple[str, ...],
    model: str | None,
    provider: str | None,
    temperature: str | None,
    max_tokens: str | None,
    no_stream: bool,
    as_json: bool,
) -> None:
    """Send a prompt to a chat model, print the answer as it arrives, record the run.

    Text piped on stdin fills {{input}}. Settings: the [llm] table of the config file, then
    PROMPTDECK_LLM_* and the provider's key variable, then these flags. ctrl+c stops the answer
    (recorded as cancelled, exit 130); a failure is recorded as failed (exit 1)."""
    given = parse_values(values)
    lib = library()
    chat = _chat_provider(provider, no_stream)  # a bad setting: one line, nothing recorded
    try:
        prepared = lib.runs.prepare(
            ref,
            _with_input(lib, ref, given),
            provider=chat.name,
            default_model=chat.model,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            stream=chat.streaming,
        )
        stream = storage.RunStream(lib.runs, prepared, chat)
        live = not (as_json or no_stream)
        try:
            with stream:
                text = _answer(stream, live)
        except KeyboardInterrupt:
            _cancelled(stream.run, live)
        except storage.PromptdeckError:
            _end_line(live and stream.run is not None and bool(stream.run.output))
            raise
    finally:
        chat.close()
    recorded = stream.run
    assert recorded is not None  # the stream ended: it was recorded
    if as_json:
        emit_json(recorded.to_dict())
        return
    if not live:
        click.echo(text, nl=False)
    _end_line(bool(text) and not text.endswith("\n"))
    if sys.stderr.isatty():
        click.echo(f"promptdeck: {_summary(recorded)}", err=True)


def _chat_provider(name: str | None, no_stream: bool) -> ChatProvider:
    """The provider of the user config's [llm] table, the environment and the flags."""
    try:
        config = Settings.load().llm
    except ConfigError as error:
        raise storage.PromptdeckError(str(error)) from error
    settings = storage.llm_settings_from(config, provider=name)
    if no_stream and settings.provider == "openai":
        settings = dataclasses.replace(settings, stream=False)  # one JSON answer
    return storage.make_chat_provider(settings)


def _with_input(lib: Library, ref: str, given: dict[str, str]) -> dict[str, str]:
    """`given`, with piped stdin as {{input}} when the prompt has one and no input= is given."""
    if "input" in given or sys.stdin is None or sys.stdin.isatty():
        return given
    if "input" not in templates.variables(lib.prompts.resolve(ref).content):
        return given
    piped = sys.stdin.read()
    return {**given, "input": piped.removesuffix("\n")} if piped else given


def _answer(stream: Any, live: bool) -> str:
    """The answer's text; written to stdout piece by piece as it arrives when `live`."""
    pieces: list[str] = []
    for event in stream:
        if isinstance(event, storage.TextDelta):
            pieces.append(event.text)
            if live:
                sys.stdout.write(event.text)
                sys.stdout.flush()
    return "".join(pieces)


def _cancelled(recorded: Run | None, live: bool) -> None:
    _end_line(live and recorded is not None and bool(recorded.output))
    what = f"run {short_id(recorded.id)} recorded as cancelled" if recorded else "nothing sent"
    click.echo(f"promptdeck: cancelled; {what}", err=True)
    raise click.exceptions.Exit(EXIT_CANCELLED)


def _end_line(needed: bool) -> None:
    """End a line of streamed text, so that what follows starts on its own line."""
    if needed and sys.stdout.isatty():
        click.echo()


def _summary(found: Run) -> str:
    return (
        f"run {short_id(found.id)} {found.status}: {_tokens(found)} tokens, {_cost(found)}, "
        f"first token {_ms(found.first_token_ms) or '-'}, total {_ms(found.latency_ms) or '-'}"
    )


# -- runs ------------------------------------------------------------------------------------


class _RunsGroup(Group):
    """`runs [REF]` lists, `runs show ID` shows one: a first word that is not a subcommand is
    the REF of the (hidden) list command."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            return "list", self.commands["list"], args
        return super().resolve_command(ctx, args)


@click.group(
    cls=_RunsGroup,
    invoke_without_command=True,
    context_settings={"ignore_unknown_options": True},
    options_metavar="[REF] [--json] [--limit N]",
    subcommand_metavar="| runs show ID",
)
@click.pass_context
def runs(ctx: click.Context) -> None:
    """List runs newest first (REF: a prompt's; REF@N: that version's).

    Each with its prompt, model, status, tokens (~: estimated), cost, time to the end and the
    start of the output."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(runs_list)


@runs.command("list", hidden=True)
@click.argument("ref", required=False, shell_complete=prompt_refs)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
def runs_list(ref: str | None, limit: int, as_json: bool) -> None:
    """List runs newest first."""
    found = library().runs.list_runs(ref, limit=limit)
    if as_json:
        emit_json([r.to_dict() for r in found])
        return
    if not found:
        click.echo("no runs yet: `promptdeck run REF` sends a prompt to a model")
        return
    rows = [
        (
            short_id(r.id),
            r.created_at,
            r.prompt_name,
            r.model,
            r.status,
            _tokens(r),
            _cost(r, empty=""),
            _ms(r.latency_ms),
            clip(" ".join(r.output.split()), _OUTPUT_WIDTH),
        )
        for r in found
    ]
    headers = ("ID", "WHEN", "PROMPT", "MODEL", "STATUS", "TOKENS", "COST", "TIME", "OUTPUT")
    click.echo(
        table(headers, rows, widths={"PROMPT": 24, "MODEL": 20}, right=("TOKENS", "COST", "TIME"))
    )


@runs.command("show")
@click.argument("run_id", metavar="ID")
@json_option
def runs_show(run_id: str, as_json: bool) -> None:
    """Show one run whole: messages, parameters, output and figures (ID: its short id will do)."""
    found = library().runs.get(run_id)
    if as_json:
        emit_json(found.to_dict())
        return
    answered = f" (answered by {found.answered_by})" if found.answered_by else ""
    parameters = ", ".join(f"{k} {v}" for k, v in found.parameters.items() if v is not None)
    click.echo(
        fields_block(
            [
                ("run", found.id),
                ("when", date_time(found.created_at)),
                ("prompt", f"{found.prompt_name} ({short_id(found.prompt_id)}) @{found.version}"),
                ("model", f"{found.provider}/{found.model}{answered}"),
                ("status", found.status + (f": {found.error}" if found.error else "")),
                ("finish", found.finish_reason or ""),
                ("parameters", parameters),
                ("variables", ", ".join(f"{k}={v!r}" for k, v in found.variables.items())),
                ("tokens", f"{_tokens(found)} (in+out{', ~ estimated' * found.tokens_estimated})"),
                ("cost", _cost(found)),
                ("first token", _ms(found.first_token_ms)),
                ("total", _ms(found.latency_ms)),
            ]
        )
    )
    for message in found.messages:
        click.echo(f"\n--- {message.role} ---\n{message.content}")
    click.echo(f"\n--- output ---\n{found.output}")


def _tokens(found: Run) -> str:
    mark = "~" if found.tokens_estimated else ""
    return f"{mark}{found.tokens_in}+{mark}{found.tokens_out}"


def _cost(found: Run, *, empty: str = "unpriced") -> str:
    return empty if found.cost_usd is None else f"${found.cost_usd:.6f}"


def _ms(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value} ms" if value < 1000 else f"{value / 1000:.1f} s"


COMMANDS = (run, runs)
