"""What every verb shares: the library from the click context and the one error handler."""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from storage import Library, PromptdeckError, default_library_path, is_lake
from tui.shared.settings import configured_embedder, library_options, load_settings

if TYPE_CHECKING:
    from storage import EmbeddingProvider

# A verb is one burst of actions: it keeps one connection for all of them (a `show` makes
# six), and closes it when the command ends (see State.close), so the file is held only
# while the verb runs.
_HOLD_FOR_THE_COMMAND = 3600.0


def library_path(db: Path | str | None) -> Path | str:
    """The library a command opens: --db (or PROMPTDECK_DB, which click reads for it), else
    the config file's [library] db, else the default. A team library (`ducklake:...`) is kept
    as written; a file's path is expanded."""
    if db is None:
        db = load_settings()[0].library.get("db") or default_library_path()
    return db if is_lake(str(db)) else Path(db).expanduser()


class LibraryLocation(click.Path):
    """--db: a library file, or a team library's `ducklake:postgres:<conninfo>` as written."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_lake(value):
            return value
        return super().convert(value, param, ctx)


@dataclass
class State:
    """The global options, kept on the click context; the library is opened on first use."""

    path: Path | str
    read_only: bool = False
    lock_timeout: float = 5.0
    embedder_error: str | None = None  # why saves are not embedded, when they are not
    _library: Library | None = field(default=None, repr=False)

    def library(self, *, shared_connection: bool = True) -> Library:
        if self._library is None:
            self._library = Library(
                self.path,
                read_only=self.read_only,
                lock_timeout=self.lock_timeout,
                linger=_HOLD_FOR_THE_COMMAND if shared_connection else 0.0,
                interactive=False,  # one query: rank in DuckDB, keep nothing in memory
                make_embedder=self._embedder,  # only a verb that embeds or searches makes it
                **library_options(load_settings()[0]),
            ).open()
            if self._library.db.created:  # a mistyped --db must not pass for an empty library
                where = self._library.db.label
                click.echo(f"promptdeck: created a new library at {where}", err=True)
        return self._library

    def _embedder(self) -> EmbeddingProvider | None:
        """The provider of the user config's [embedding] table (wordllama when there is none),
        which embeds each saved prompt; made when the library's embeddings are first used. A
        broken config leaves saves unembedded rather than failing them; the reason is kept for
        the warning after a save."""
        settings, config_error = load_settings()
        embedder, embedder_error = configured_embedder(settings)
        self.embedder_error = config_error or embedder_error
        return None if config_error else embedder

    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None


def library(*, shared_connection: bool = True) -> Library:
    """The library of the running command (created with its schema on first use).

    `shared_connection=False` for Library.query, which opens its own read-only connection
    (DuckDB refuses a second, differently configured connection to a file in one process)."""
    state = click.get_current_context().find_object(State)
    if state is None:  # pragma: no cover - every verb runs under `main`
        raise RuntimeError("no promptdeck state on the click context")
    return state.library(shared_connection=shared_connection)


class UserError(click.ClickException):
    """A user error: one line `promptdeck: <message>` on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"promptdeck: {one_line(self.message)}", err=True)


def one_line(message: str) -> str:
    return " / ".join(part.strip() for part in message.splitlines() if part.strip())


class Group(click.Group):
    """A click group whose verbs' storage errors (and OS errors) become a UserError."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PromptdeckError as error:
            raise UserError(str(error)) from error
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise
            where = f"{error.filename}: " if error.filename else ""
            raise UserError(f"{where}{error.strerror or error}") from error


class DefaultListGroup(Group):
    """`runs [REF]` lists, `runs show ID` shows one: a first word that is not a subcommand is
    the argument of the group's (hidden) `list` command (runs, evals, cases, rubrics)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            return "list", self.commands["list"], args
        return super().resolve_command(ctx, args)


class Seconds(click.FloatRange):
    """A wait in seconds: 0 or more, and finite (NaN or infinity would wait forever)."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds.", param, ctx)
        return seconds


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of text, for scripts."
)
