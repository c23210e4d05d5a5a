"""Browse (home): sidebar, search, the prompt table and a preview of the highlighted prompt.
What the list shows is a BrowseQuery; the list side is a PromptBrowser; what the workers read
is tui/browse_worker.py; actions on a prompt are the app's (tui/deck.py)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import Footer, Header, Input, Tree
from textual.worker import Worker, get_current_worker

from storage import Pause
from storage.models import PromptFilter
from tui import browse_worker
from tui.browse_query import BrowseQuery, ListRequest
from tui.messages import (
    LibraryChanged,
    PromptLoaded,
    PromptsLoaded,
    SearchPrepared,
    SidebarLoaded,
    StatusMessage,
)
from tui.screens.base import DeckScreen
from tui.screens.browse_keys import BROWSE_KEYS
from tui.screens.filters import FilterScreen
from tui.widgets.library_tree import LibraryTree, Scope
from tui.widgets.prompt_browser import PromptBrowser
from tui.widgets.prompt_table import PromptTable
from tui.widgets.status_line import StatusLine

WIDE = 120  # from this width the preview sits beside the table, not under it
NARROW = 100  # below this width the sidebar starts hidden (ctrl+b or f9 shows it)
LOADING_SAID_AFTER = 0.5  # seconds: a text index that takes longer to load is announced
TEXT_LOADING = "loading the text index… searches rank in the library file meanwhile"


class BrowseScreen(DeckScreen[None]):
    CSS_PATH = "browse.tcss"
    AUTO_FOCUS = "#prompts"
    BINDINGS: ClassVar[list[BindingType]] = BROWSE_KEYS

    def __init__(self) -> None:
        super().__init__()
        self.query_state = BrowseQuery()
        self.total = 0
        self._loading: Worker[None] | None = None  # the list query in flight
        self._sidebar_shown: bool | None = None  # None: decided by the terminal width
        self._told_loading = False  # the status line said the text index is loading
        self._rest_loading = False  # the sidebar and the text index (after the first page)
        # The text index loading, and whether it has ended: the preview's similar prompts
        # (the vectors' files read from disk) wait for it, not to slow the first searches.
        self._text_loading: Worker[None] | None = None
        self._text_loaded = False
        # The preview's similar prompts give way to a screen in front and to the searches
        # typed (a keystroke's query): held while either.
        self.preview_waits = Pause()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browse-body"):
            yield LibraryTree(id="sidebar")
            yield PromptBrowser(id="main")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def cover(self) -> None:
        super().cover()
        self.preview_waits.hold("covered")

    def uncover(self) -> None:
        super().uncover()
        self.preview_waits.release("covered")

    def on_mount(self) -> None:
        self.query_one("#sidebar").border_title = "Library"
        self.reload()

    def _load_the_rest(self) -> None:
        """The sidebar and the text index, after the list's first page (the first paint)."""
        self._rest_loading = True
        self.load_sidebar()
        self._text_loading = self.prepare_search("text")
        if self.deck.library.db.interactive:  # only a held index loads (one-shot ranks in SQL)
            self.set_timer(LOADING_SAID_AFTER, self._say_text_loading)

    def on_resize(self, event: Resize) -> None:
        self.query_one("#list-and-preview").set_class(event.size.width >= WIDE, "-wide")
        if self._sidebar_shown is None:
            self.query_one("#sidebar").set_class(event.size.width < NARROW, "-hidden")

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        self._sidebar_shown = sidebar.has_class("-hidden")
        sidebar.set_class(not self._sidebar_shown, "-hidden")
        if self._sidebar_shown:
            sidebar.focus()
        else:
            self.action_focus_list()

    # -- loading ---------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Query the list for the current state; while a query runs, changes (keystrokes)
        fold into one query of the newest state, run when it ends."""
        request = self.query_state.request(select)
        if request is not None:
            self._query(request)

    def _query(self, request: ListRequest) -> None:
        self.preview_waits.hold("searching")
        self._loading = self.load_prompts(request)

    @on(Worker.StateChanged)
    def _text_index_loaded(self, event: Worker.StateChanged) -> None:
        """(Loaded or failed: a failure is on the status line.)"""
        if event.worker is self._text_loading and event.worker.is_finished:
            self._text_loading, self._text_loaded = None, True
            highlighted = self.query_one(PromptTable).highlighted_id
            if highlighted:
                self.load_preview(highlighted, similar=True)

    @on(Worker.StateChanged)
    def _list_query_ended(self, event: Worker.StateChanged) -> None:
        if event.worker is self._loading and event.worker.is_finished:
            if not self._rest_loading:
                self._load_the_rest()
            request = self.query_state.finished()
            if request is not None:
                self._query(request)
            else:
                self.preview_waits.release("searching")

    def refresh_library(self, select: str | None) -> None:
        self.reload(select)
        self.load_sidebar()
        highlighted = self.query_one(PromptTable).highlighted_id
        if highlighted:
            self.load_preview(highlighted, similar=self._text_loaded)

    @work(thread=True, exclusive=True, group="prompts", exit_on_error=False)
    def load_prompts(self, request: ListRequest) -> None:
        loaded = browse_worker.read_list(self.deck.library, request, _cancelled)
        if loaded is not None:
            self.post_message(loaded)

    @on(PromptTable.NeedMore)
    def _need_more(self, event: PromptTable.NeedMore) -> None:
        self.load_more(self.query_state.more(), event.offset)

    @work(thread=True, exclusive=True, group="more", exit_on_error=False)
    def load_more(self, request: ListRequest, offset: int) -> None:
        loaded = browse_worker.read_more(self.deck.library, request, offset)
        if not _cancelled():
            self.post_message(loaded)

    def on_prompts_loaded(self, message: PromptsLoaded) -> None:
        query = self.query_state
        if not query.is_current(message.where, message.mode):
            return  # a page of a result the user has moved on from
        if message.page.offset:
            self.query_one(PromptTable).append(message.page)
            return
        ranked = message.mode is not None
        if ranked and message.page.notice:
            self.post_message(StatusMessage(message.page.notice))
        self.query_one(PromptBrowser).show_result(
            message.page,
            message.library_total,
            sort=None if ranked else (query.sort, query.descending),
            keep=message.select,
            filtered=message.where != PromptFilter(),
            label=query.filter_label(),
        )
        self.total = message.library_total
        self.sub_title = f"{self.deck.library.db.name} · {message.library_total:,} prompts"

    @work(thread=True, exclusive=True, group="sidebar", exit_on_error=False)
    def load_sidebar(self) -> None:
        loaded = browse_worker.read_sidebar(self.deck.library, self.covered, _cancelled)
        if loaded is not None:
            self.post_message(loaded)

    def on_sidebar_loaded(self, message: SidebarLoaded) -> None:
        self.query_one(LibraryTree).populate(
            message.total, message.archived, message.folders, message.tags
        )

    @on(PromptBrowser.PreviewWanted)
    def _preview_wanted(self, event: PromptBrowser.PreviewWanted) -> None:
        self.load_preview(event.prompt_id, similar=self._text_loaded)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def load_preview(self, prompt_id: str, *, similar: bool) -> None:
        browse_worker.read_preview(
            self.deck.library, prompt_id, self.post_message, self.preview_waits, _cancelled, similar
        )

    def on_prompt_loaded(self, message: PromptLoaded) -> None:
        self.query_one(PromptBrowser).show_preview(
            message.prompt, message.rating, message.ratings, message.similar
        )

    # -- search and filters ----------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self.query_state.type_text(event.value):
            self.reload()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.action_focus_list()

    @on(Tree.NodeSelected, "#sidebar")
    def _scope_chosen(self, event: Tree.NodeSelected[Scope]) -> None:
        scope = event.node.data
        if scope is None:
            return
        self.query_state.scope(scope.folder, scope.tag, scope.archived)
        self.reload()
        self.action_focus_list()

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_search(self, mode: str) -> None:
        prepared = browse_worker.prepare_search(self.deck.library, mode, self.covered, _cancelled)
        if prepared is not None:
            self.post_message(prepared)

    def _say_text_loading(self) -> None:
        if "text" not in self.query_state.prepared:
            self._told_loading = True
            self.post_message(StatusMessage(TEXT_LOADING))

    def on_search_prepared(self, message: SearchPrepared) -> None:
        query = self.query_state
        query.prepared.add(message.mode)
        if message.mode != query.search_mode:
            return
        if message.notice:
            self.post_message(StatusMessage(message.notice))
        elif message.mode != "text" or self._told_loading:
            self.post_message(StatusMessage(f"{message.mode} search ready"))
        if query.where.text:
            self.reload()

    def action_cycle_search_mode(self) -> None:
        query = self.query_state
        mode = query.next_mode()
        self.query_one(PromptBrowser).show_mode(mode)
        if mode not in query.prepared:
            if mode != "text":
                self.post_message(StatusMessage(f"loading vectors for {mode} search…"))
            self.prepare_search(mode)
        else:
            self.post_message(StatusMessage(f"{mode} search"))
        if query.where.text:
            self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one(PromptTable).focus()

    def action_clear_search(self) -> None:
        """esc: clear the search text (and so the list); in an empty search box, go to the
        list."""
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""  # Input.Changed clears the query and reloads
            self.post_message(StatusMessage("search cleared"))
        elif self.focused is search:
            self.action_focus_list()

    def _refuse_sort_while_ranked(self) -> bool:
        if self.query_state.ranking_mode is None:
            return False
        self.post_message(StatusMessage("ranked by relevance while searching; esc clears it"))
        return True

    def action_sort(self) -> None:
        if not self._refuse_sort_while_ranked():
            self.post_message(StatusMessage(f"sorted by {self.query_state.next_sort()}"))
            self.reload()

    def action_reverse(self) -> None:
        if not self._refuse_sort_while_ranked():
            self.query_state.reverse()
            self.reload()

    def action_filters(self) -> None:
        def chosen(where: PromptFilter | None) -> None:
            if where is not None:
                self.query_state.where = where
                self.reload()

        self.app.push_screen(FilterScreen(self.query_state.where), chosen)

    def action_refresh(self) -> None:
        """After changes from the CLI: every screen reads the library again."""
        self.app.post_message(LibraryChanged())
        self.post_message(StatusMessage("reloaded"))

    # -- actions on the highlighted prompt (the app's) -------------------------------------

    def _current(self) -> str | None:
        prompt_id = self.query_one(PromptTable).highlighted_id
        if prompt_id is None:
            self.post_message(StatusMessage("no prompt is highlighted", error=True))
        return prompt_id

    @on(PromptTable.Selected)
    def _selected(self, event: PromptTable.Selected) -> None:
        self.deck.open_prompt(event.prompt_id)

    def action_edit(self) -> None:
        if prompt_id := self._current():
            self.deck.open_prompt(prompt_id)

    def action_new(self) -> None:
        self.deck.open_new()

    def action_derive(self) -> None:
        if prompt_id := self._current():
            self.deck.open_derive(prompt_id)

    def action_copy(self) -> None:
        if prompt_id := self._current():
            self.deck.copy_prompt(prompt_id)

    def action_use(self) -> None:
        if prompt_id := self._current():
            self.deck.use_prompt(prompt_id)

    def action_run(self) -> None:
        if prompt_id := self._current():
            self.deck.open_run(prompt_id)

    def action_runs(self) -> None:
        if prompt_id := self._current():
            self.deck.open_runs(prompt_id)

    def action_evals(self) -> None:
        if prompt_id := self._current():
            self.deck.open_evals(prompt_id)

    def action_rate(self) -> None:
        if prompt_id := self._current():
            self.deck.rate_prompt(prompt_id)

    def action_archive(self) -> None:
        if prompt_id := self._current():
            self.deck.archive_prompt(prompt_id, restoring=self.query_state.where.archived)

    def action_lineage(self) -> None:
        if prompt_id := self._current():
            self.deck.open_lineage(prompt_id)

    def action_embed(self) -> None:
        self.deck.embed_library()

    def action_analytics(self) -> None:
        self.deck.open_analytics()

    def action_backup(self) -> None:
        self.deck.open_backup()

    def action_import(self) -> None:
        self.deck.open_import()

    def action_load_sample(self) -> None:
        if self.total == 0 and not self.query_state.filtered:
            self.deck.load_sample()
        else:
            self.post_message(StatusMessage("the sample loads only into an empty library"))


def _cancelled() -> bool:
    """(In a worker) whether a newer query or preview replaced this one."""
    return get_current_worker().is_cancelled
