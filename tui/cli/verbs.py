"""The verbs of `promptdeck`, each imported from its module when it is run (or listed with
its help): `promptdeck search` then loads the search verbs alone, not the evals', runs' or
analytics' verbs and what they import from storage (issue 18: a one-shot process pays only
for what it runs)."""

from __future__ import annotations

from importlib import import_module

import click

from tui.cli.common import Group

# verb -> its module in tui.cli (a test holds this to the modules' COMMANDS)
VERBS: dict[str, str] = {
    "add": "prompts",
    "analyse": "cases",
    "archive": "organise",
    "audit": "reports",
    "backup": "transfer",
    "cases": "cases",
    "config": "analytics",
    "derive": "lineage",
    "diff": "prompts",
    "edit": "prompts",
    "embed": "search",
    "enhance": "enhance",
    "eval": "evals",
    "evals": "evals",
    "export": "transfer",
    "import": "transfer",
    "label": "organise",
    "lifecycle": "analytics",
    "lineage": "lineage",
    "link": "lineage",
    "list": "prompts",
    "log-generation": "analytics",
    "pick": "pick",
    "price": "analytics",
    "purge": "analytics",
    "rate": "usage",
    "reembed": "search",
    "render": "usage",
    "restore": "transfer",
    "revert": "prompts",
    "rm": "organise",
    "rubrics": "cases",
    "run": "runs",
    "runs": "runs",
    "search": "search",
    "show": "show",
    "similar": "search",
    "sql": "reports",
    "stats": "reports",
    "tag": "organise",
    "unarchive": "organise",
    "unlink": "lineage",
    "use": "usage",
    "verify": "transfer",
    "versions": "prompts",
}


def verb_command(name: str) -> click.Command:
    """The command of verb `name`, from its module's COMMANDS."""
    commands: list[click.Command] = list(import_module(f"tui.cli.{VERBS[name]}").COMMANDS)
    return next(command for command in commands if command.name == name)


class VerbGroup(Group):
    """The `promptdeck` group: its verbs are looked up in VERBS when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*VERBS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in VERBS:
            self.add_command(verb_command(cmd_name))
        return self.commands.get(cmd_name)
