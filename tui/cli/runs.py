"""Talking to models: run (send a prompt to a chat model, stream the answer, record the run) and
runs (the runs recorded, newest first; `runs show ID` for one whole). The chat providers (and
httpx) are imported only when `run` sends something."""

from __future__ import annotations

import sys

import click

from storage import Library, templates
from storage.models import short_id
from tui.cli.chat import chat_provider, end_line, send, summary
from tui.cli.common import DefaultListGroup, json_option, library
from tui.cli.completion import prompt_refs
from tui.cli.fields import parse_values
from tui.cli.output import clip, emit_json, fields_block, table
from tui.shared.formatting import date_time
from tui.shared.run_format import cost, ms, short_tokens

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
    chat = chat_provider(provider, no_stream)  # a bad setting: one line, nothing recorded
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
        live = not (as_json or no_stream)
        recorded, text = send(lib, prepared, chat, live)
    finally:
        chat.close()
    if as_json:
        emit_json(recorded.to_dict())
        return
    if not live:
        click.echo(text, nl=False)
    end_line(bool(text) and not text.endswith("\n"))
    if sys.stderr.isatty():
        click.echo(f"promptdeck: {summary(recorded)}", err=True)


def _with_input(lib: Library, ref: str, given: dict[str, str]) -> dict[str, str]:
    """`given`, with piped stdin as {{input}} when the prompt has one and no input= is given."""
    if "input" in given or sys.stdin is None or sys.stdin.isatty():
        return given
    if "input" not in templates.variables(lib.prompts.resolve(ref).content):
        return given
    piped = sys.stdin.read()
    return {**given, "input": piped.removesuffix("\n")} if piped else given


# -- runs ------------------------------------------------------------------------------------


@click.group(
    cls=DefaultListGroup,
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
            short_tokens(r),
            cost(r, empty=""),
            ms(r.latency_ms) if r.latency_ms is not None else "",
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
    estimated = ", ~ estimated" if found.tokens_estimated else ""
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
                ("tokens", f"{short_tokens(found)} (in+out{estimated})"),
                ("cost", cost(found)),
                ("first token", ms(found.first_token_ms)),
                ("total", ms(found.latency_ms)),
            ]
        )
    )
    for message in found.messages:
        click.echo(f"\n--- {message.role} ---\n{message.content}")
    click.echo(f"\n--- output ---\n{found.output}")


COMMANDS = (run, runs)
