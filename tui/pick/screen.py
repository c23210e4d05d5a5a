"""PickScreen: the picker's one line of search, a few rows of prompts and a footer. Type to
narrow (ranked as browse ranks), ctrl+t cycles the mode, arrows move, enter picks; a prompt
with {{variables}} asks for them (PickVariablesScreen) before its text is rendered."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerError, WorkerState, get_current_worker

from storage import Library, templates
from storage.models import PromptFilter
from tui.browse_query import ListRequest
from tui.keys import in_declared_order, key
from tui.messages import (
    PickFailed,
    PickPageLoaded,
    PromptUsed,
    SearchPrepared,
    StatusMessage,
    VariablesNeeded,
)
from tui.pick.pages import PickPage, first_request, library_total, new_query, read_page
from tui.pick.variables import PickVariablesScreen
from tui.shared.formatting import error_line
from tui.widgets.pick_list import PickList

# Renders a prompt with the values given and records the use; returns the text.
UseFunction = Callable[[str, Mapping[str, str]], str]


class PickScreen(Screen[None]):
    CSS_PATH = "pick.tcss"
    AUTO_FOCUS = "#pick-query"
    # fmt: off
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the search box would take enter (submit), the arrows and the page keys
        # (scroll) for itself
        key("enter", "pick", "Pick", "pick.pick", "Pick the highlighted prompt", priority=True),
        key("ctrl+t", "cycle_mode", "Mode", "pick.mode",
            "Search mode: text (BM25), semantic (embeddings) or hybrid"),
        key("up", "move(-1)", "Up", "pick.up", "Previous prompt", priority=True),
        key("down", "move(1)", "Down", "pick.down", "Next prompt", priority=True),
        key("ctrl+p", "move(-1)", "Up", "pick.previous", "Previous prompt", show=False),
        key("ctrl+n", "move(1)", "Down", "pick.next", "Next prompt", show=False),
        key("pagedown", "page(1)", "Page down", "pick.page_down", "A page down", show=False,
            priority=True),
        key("pageup", "page(-1)", "Page up", "pick.page_up", "A page up", show=False,
            priority=True),
        key("escape", "app.cancel", "Cancel", "pick.cancel", "Pick nothing (exit code 1)"),
    ]
    # fmt: on

    def __init__(
        self,
        library: Library,
        use: UseFunction,
        *,
        query: str = "",
        ids: bool = False,
        first_page: Future[PickPage] | None = None,
    ) -> None:
        super().__init__()
        self.library, self.use, self.ids = library, use, ids
        self.initial_query = query
        self.query_state = new_query()
        self._first_page = first_page  # read before the screen existed (tui/pick/run.py)
        self.library_total: int | None = None
        self._loading: Worker[None] | None = None
        self._shown: tuple[PromptFilter, str | None] | None = None  # what the list shows
        self._picking = False
        self._pick_when_shown = False  # enter was pressed before the list showed what was typed

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return in_declared_order(super().active_bindings)

    def compose(self) -> ComposeResult:
        with Horizontal(id="pick-bar"):
            yield Static("Text ›", id="pick-mode")
            yield Input(self.initial_query, placeholder="type to narrow", id="pick-query")
            yield Static("", id="pick-count")
        yield PickList(id="pick-list")
        yield Static("", id="pick-status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.reload()  # the first page: every prompt, shown while a search may wait for its index
        if self.initial_query:
            self.query_state.type_text(self.initial_query)
            self.reload()

    # -- the list --------------------------------------------------------------------------

    def reload(self) -> None:
        """Query the list for the current state; keystrokes typed meanwhile fold into one
        query of the newest text, run when this one ends."""
        request = self.query_state.request()
        if request is not None:
            self._load(request)

    def _load(self, request: ListRequest) -> None:
        early, self._first_page = self._first_page, None
        if early is not None and request != first_request():
            early = None  # not what the screen asks for (cannot happen: on_mount asks first)
        self._loading = self.load_page(request, early)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker is self._loading and worker.is_finished:
            request = self.query_state.finished()
            if request is not None:
                self._load(request)
        error = worker.error
        if event.state is not WorkerState.ERROR or error is None:
            return
        text = error_line(error)
        if worker.group in ("use", "finish") or self._shown is None:
            # the use was not recorded, or the library could not be read: end with the error
            self.app.post_message(PickFailed(text))
            return
        if worker.group == "pick":
            self._picking = False
        self.post_message(StatusMessage(text, error=True))

    @work(thread=True, exclusive=True, group="list", exit_on_error=False)
    def load_page(self, request: ListRequest, early: Future[PickPage] | None = None) -> None:
        page = early.result() if early is not None else read_page(self.library, request)
        if get_current_worker().is_cancelled:
            return
        total = self.library_total
        if total is None:
            total = library_total(self.library, request, page)
        self.post_message(PickPageLoaded(page, request.where, request.mode, total))

    @on(PickList.NeedMore)
    def _need_more(self, event: PickList.NeedMore) -> None:
        self.load_more(self.query_state.more(), event.offset)

    @work(thread=True, exclusive=True, group="more", exit_on_error=False)
    def load_more(self, request: ListRequest, offset: int) -> None:
        page = read_page(self.library, request, offset)
        if not get_current_worker().is_cancelled:
            self.post_message(PickPageLoaded(page, request.where, request.mode, -1))

    def on_pick_page_loaded(self, message: PickPageLoaded) -> None:
        picks = self.query_one(PickList)
        current = self.query_state.is_current(message.where, message.mode)
        if not current and self._shown is not None:
            return  # a result the user has moved on from (the very first is shown anyway)
        if message.page.offset:
            picks.append(message.page)
            return
        if self.library_total is None:
            self.library_total = message.library_total
            if message.library_total == 0:
                where = self.library.db.path
                self.app.post_message(PickFailed(f"{where}: no prompts to pick from"))
                return
            # After the first list is drawn, which must not wait for the index (nor for the
            # import of the search modules, numpy and pyarrow, which the load begins with).
            self.call_after_refresh(self.prepare_search, "text")
        self._shown = (message.where, message.mode)
        searching = message.where.text is not None
        picks.empty_text = "No prompts match." if searching else "No prompts."
        picks.set_page(message.page)
        if message.page.notice:
            self.post_message(StatusMessage(message.page.notice))
        matched, total = message.page.total, self.library_total
        count = f"{matched:,} of {total:,}" if searching else f"{total:,}"
        self.query_one("#pick-count", Static).update(count)
        if current and self._pick_when_shown:
            self._pick_when_shown = False
            self._pick()

    # -- search ----------------------------------------------------------------------------

    @on(Input.Changed, "#pick-query")
    def _query_changed(self, event: Input.Changed) -> None:
        if self.query_state.type_text(event.value):
            self.reload()

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_search(self, mode: str) -> None:
        self.post_message(SearchPrepared(mode, self.library.search.prepare(mode)))

    def on_search_prepared(self, message: SearchPrepared) -> None:
        query = self.query_state
        query.prepared.add(message.mode)
        if message.mode != query.search_mode:
            return
        # No reload: a search loads what it needs itself (PickQuery ranks at once).
        if message.notice:
            self.post_message(StatusMessage(message.notice))
        elif message.mode != "text":
            self.post_message(StatusMessage(""))

    def action_cycle_mode(self) -> None:
        query = self.query_state
        mode = query.next_mode()
        self.query_one("#pick-mode", Static).update(f"{mode.capitalize()} ›")
        if mode not in query.prepared:
            if mode != "text":
                self.post_message(StatusMessage(f"loading vectors for {mode} search…"))
            self.prepare_search(mode)
        if query.where.text:
            self.reload()

    def on_status_message(self, message: StatusMessage) -> None:
        status = self.query_one("#pick-status", Static)
        status.set_class(message.error, "-error")
        status.update(message.text)
        status.display = bool(message.text)

    # -- moving and picking ----------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.query_one(PickList).move(delta)

    def action_page(self, direction: int) -> None:
        self.query_one(PickList).page(direction)

    def action_pick(self) -> None:
        # enter is a priority binding, taken ahead of the keys the search box has been handed
        # but not taken in yet (typed or pasted in the same instant): pick after them.
        self.query_one("#pick-query", Input).call_later(self._pick)

    def _pick(self) -> None:
        query = self.query_state
        if query.type_text(self.query_one("#pick-query", Input).value):  # Changed on its way
            self.reload()
        shown = self._shown
        if shown is None or not query.is_current(*shown):
            self._pick_when_shown = True  # typed ahead: pick from the result of what was typed
            return
        row = self.query_one(PickList).highlighted
        if row is None or self._picking:
            return
        if self.ids:
            self.app.exit(row.prompt_id)
            return
        self._picking = True
        self.read_variables(row.prompt_id)

    @work(thread=True, group="pick", exit_on_error=False)
    def read_variables(self, prompt_id: str) -> None:
        prompt = self.library.prompts.get(prompt_id)
        self.post_message(VariablesNeeded(prompt, templates.variables(prompt.content)))

    def on_variables_needed(self, message: VariablesNeeded) -> None:
        prompt = message.prompt
        if not message.names:
            self.finish(prompt.id, {})
            return

        def filled(values: dict[str, str] | None) -> None:
            if values is None:  # back to the list
                self._picking = False
            else:
                self.finish(prompt.id, values)

        variables = PickVariablesScreen(prompt.name, prompt.content, message.names)
        self.app.push_screen(variables, filled)

    @work(exclusive=True, group="finish", exit_on_error=False)
    async def finish(self, prompt_id: str, values: dict[str, str]) -> None:
        """Let the reads end (the use may reopen the file for writing), then render and
        record the use."""
        for worker in list(self.app.workers):
            if worker.group in ("list", "more", "prepare", "pick"):
                with contextlib.suppress(WorkerError):  # failed, cancelled or never started
                    await worker.wait()
        self.record_use(prompt_id, values)

    @work(thread=True, group="use", exit_on_error=False)
    def record_use(self, prompt_id: str, values: dict[str, str]) -> None:
        self.post_message(PromptUsed(prompt_id, self.use(prompt_id, values)))

    def on_prompt_used(self, message: PromptUsed) -> None:
        self.app.exit(message.text)
