"""Browse (home): sidebar, search, the prompt table and a preview of the highlighted prompt."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static, Tree
from textual.worker import Worker, get_current_worker

from storage import templates
from storage.models import SORT_KEYS, PromptFilter, PromptPage
from tui.messages import (
    LibraryChanged,
    PromptLoaded,
    PromptsLoaded,
    SearchPrepared,
    StatusMessage,
)
from tui.screens.base import DeckScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.filters import FilterScreen
from tui.screens.rate import RateScreen
from tui.screens.variables import VariablesScreen
from tui.widgets.library_tree import LibraryTree, Scope
from tui.widgets.prompt_preview import PromptPreview
from tui.widgets.prompt_table import PromptTable
from tui.widgets.status_line import StatusLine

SIMILAR_IN_PREVIEW = 5
EMBED_BATCH = 256
PROGRESS_EVERY = 0.2  # seconds between progress updates on the status line
PAGE_SIZE = 500  # rows fetched at a time; more are fetched as the cursor nears the end
MIN_SEARCH = 2  # characters typed before the list is searched
RANKED_PAGE = 100  # a search's first page: a screenful, fast; the rest follows in pages
PREVIEW_DEBOUNCE = 0.03
SEARCH_MODES = ("text", "semantic", "hybrid")
SORT_CYCLE = ("updated", "name", "uses", "rating", "folder", "model", "created")
WIDE = 120  # from this width the preview sits beside the table, not under it
NARROW = 100  # below this width the sidebar starts hidden (ctrl+b or f9 shows it)


class BrowseScreen(DeckScreen[None]):
    CSS_PATH = "browse.tcss"
    AUTO_FOCUS = "#prompts"
    BINDINGS: ClassVar[list[BindingType]] = [
        # The app's help key, repeated here so that the footer shows it first at 80 columns.
        Binding("question_mark,f1", "app.help", "Help", id="browse.help", tooltip="Every key"),
        Binding(
            "slash",
            "focus_search",
            "Search",
            id="browse.search",
            tooltip="Search names, descriptions and content as you type",
        ),
        Binding(
            "ctrl+t",
            "cycle_search_mode",
            "Mode",
            id="browse.search_mode",
            tooltip="Search mode: text (BM25), semantic (embeddings) or hybrid (both fused)",
        ),
        Binding("n", "new", "New", id="browse.new", tooltip="Write a new prompt"),
        Binding(
            "e",
            "edit",
            "Edit",
            id="browse.edit",
            show=False,
            tooltip="Open the highlighted prompt in the editor",
        ),
        Binding(
            "d",
            "derive",
            "Derive",
            id="browse.derive",
            tooltip="Write a new prompt derived from the highlighted one",
        ),
        Binding(
            "y",
            "copy",
            "Copy",
            id="browse.copy",
            tooltip="Copy the content to the clipboard (OSC 52, works over SSH)",
        ),
        Binding(
            "u",
            "use",
            "Use",
            id="browse.use",
            tooltip="Fill in the variables, copy the rendered text and record a use",
        ),
        Binding("r", "rate", "Rate", id="browse.rate", tooltip="Rate the prompt 1 to 5"),
        Binding(
            "a",
            "archive",
            "Archive",
            id="browse.archive",
            tooltip="Archive the prompt (or restore it, in the archive)",
        ),
        Binding("s", "sort", "Sort", id="browse.sort", tooltip="Sort by the next column"),
        Binding(
            "S",
            "reverse",
            "Reverse",
            id="browse.reverse",
            show=False,
            tooltip="Reverse the sort order",
        ),
        Binding(
            "f",
            "filters",
            "Filter",
            id="browse.filters",
            tooltip="Filter by phase, provider, model, archived",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="browse.refresh",
            show=False,
            tooltip="Reload the library (after changes from the CLI)",
        ),
        Binding(
            "E",
            "embed",
            "Embed",
            id="browse.embed",
            show=False,
            tooltip="Embed the prompts that have no current vector (for semantic search)",
        ),
        Binding(
            "L",
            "load_sample",
            "Load sample",
            id="browse.sample",
            show=False,
            tooltip="Fill an empty library with the sample prompts",
        ),
        Binding(
            "ctrl+b,f9",  # f9: inside tmux, ctrl+b is the prefix key
            "toggle_sidebar",
            "Sidebar",
            id="browse.sidebar",
            show=False,
            tooltip="Show or hide the folder and tag sidebar",
        ),
        Binding(
            "ctrl+l",
            "focus_list",
            "List",
            id="browse.focus_list",
            show=False,
            tooltip="Focus the prompt list",
        ),
        Binding(
            "ctrl+g",
            "lineage",
            "Lineage",
            id="browse.lineage",
            tooltip="The derivation graph around the highlighted prompt",
        ),
        Binding(
            "t",
            "analytics",
            "Analytics",
            id="browse.analytics",
            tooltip="Usage, cost and ratings over time",
        ),
        Binding(
            "b",
            "backup",
            "Backup",
            id="browse.backup",
            show=False,
            tooltip="Back the library up to a folder of Parquet files",
        ),
        Binding(
            "i",
            "import",
            "Import",
            id="browse.import",
            show=False,
            tooltip="Import prompts from a CSV, JSON, JSONL, Markdown or Parquet file",
        ),
        Binding("q", "app.quit", "Quit", id="browse.quit", tooltip="Quit promptdeck"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.where = PromptFilter()
        self.sort_key = "updated"
        self.descending = True
        self.total = 0
        self.search_mode = SEARCH_MODES[0]
        self._prepared: set[str] = set()  # search modes whose index or vectors are loaded
        self._loading: Worker[None] | None = None  # the list query in flight
        self._reload_pending = False  # the filter or sort changed while it ran
        self._pending_select: str | None = None
        self._preview_timer: Timer | None = None
        self._sidebar_shown: bool | None = None  # None: decided by the terminal width

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browse-body"):
            yield LibraryTree(id="sidebar")
            with Vertical(id="main"):
                with Horizontal(id="search-row"):
                    yield Static("Text search:", id="search-label")
                    yield Input(placeholder="press / and type", id="search")
                    yield Static(id="result-count")
                with Container(id="list-and-preview"):
                    yield PromptTable(id="prompts")
                    yield PromptPreview(id="preview")
                yield Static(id="empty-hint")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#sidebar").border_title = "Library"
        self.query_one("#preview").border_title = "Preview"
        self.reload()
        self.load_sidebar()
        self.prepare_search("text")

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
        """Query the list for the current filter and sort. One query runs at a time; changes
        made meanwhile (keystrokes in the search box) are coalesced into one query of the
        newest state when it ends: no waiting on a timer, no scans nobody will see."""
        if self._loading is not None and not self._loading.is_finished:
            self._reload_pending = True
            self._pending_select = select or self._pending_select
            return
        mode = self._ranking_mode()
        self._loading = self.load_prompts(self.where, self.sort_key, self.descending, select, mode)

    def _ranking_mode(self) -> str | None:
        """The mode that ranks the list: while text is typed, once text search is ready (until
        then the list is filtered by the words, sorted as before)."""
        if not self.where.text:
            return None
        if self.search_mode == "text" and "text" not in self._prepared:
            return None
        return self.search_mode

    @on(Worker.StateChanged)
    def _list_query_ended(self, event: Worker.StateChanged) -> None:
        if event.worker is self._loading and event.worker.is_finished and self._reload_pending:
            self._reload_pending = False
            select, self._pending_select = self._pending_select, None
            self.reload(select)

    @work(thread=True, exclusive=True, group="prompts", exit_on_error=False)
    def load_prompts(
        self,
        where: PromptFilter,
        sort: str,
        descending: bool,
        select: str | None,
        mode: str | None,
    ) -> None:
        library = self.deck.library
        page = self._page(where, sort, descending, mode, 0)
        if get_current_worker().is_cancelled:
            return
        total = library.prompts.count_prompts() if where != PromptFilter() else page.total
        self.post_message(PromptsLoaded(page, where, total, select, mode))

    def _page(
        self, where: PromptFilter, sort: str, descending: bool, mode: str | None, offset: int
    ) -> PromptPage:
        library = self.deck.library
        if mode is not None and where.text:
            unfiltered = replace(where, text=None)
            limit = RANKED_PAGE if offset == 0 else PAGE_SIZE
            return library.search.table(
                where.text, mode, unfiltered, limit=limit, offset=offset, match_all=True
            )
        return library.prompts.prompt_table(
            where, sort=sort, descending=descending, offset=offset, limit=PAGE_SIZE
        )

    @on(PromptTable.NeedMore)
    def _need_more(self, event: PromptTable.NeedMore) -> None:
        mode = self._ranking_mode()
        self.load_more(self.where, self.sort_key, self.descending, mode, event.offset)

    @work(thread=True, exclusive=True, group="more", exit_on_error=False)
    def load_more(
        self, where: PromptFilter, sort: str, descending: bool, mode: str | None, offset: int
    ) -> None:
        page = self._page(where, sort, descending, mode, offset)
        if not get_current_worker().is_cancelled:
            self.post_message(PromptsLoaded(page, where, -1, mode=mode))

    def on_prompts_loaded(self, message: PromptsLoaded) -> None:
        table = self.query_one(PromptTable)
        if message.where != self.where or message.mode != self._ranking_mode():
            return  # a page of a result the user has moved on from
        if message.page.offset:
            table.append(message.page)
            return
        filtered = message.where != PromptFilter()
        table.empty_text = "No prompts match." if filtered else ""
        if message.mode is not None:
            table.set_sort("score", True)
            if message.page.notice:
                self.post_message(StatusMessage(message.page.notice))
        else:
            table.set_sort(self.sort_key, self.descending)
        # A new ranking starts at its best match; a sorted list keeps the cursor's prompt.
        ranked = message.mode is not None
        table.set_data(message.page, keep=message.select, keep_current=not ranked)
        self.total = message.library_total
        self.sub_title = f"{self.deck.library.db.name} · {message.library_total:,} prompts"
        matched = message.page.total
        self.query_one("#result-count", Static).update(
            f"{matched:,} of {message.library_total:,}" if filtered else f"{matched:,}"
        )
        self._show_empty_hint(message.library_total == 0 and not filtered)
        if matched == 0:
            self.query_one(PromptPreview).show(None)

    def _show_empty_hint(self, empty: bool) -> None:
        hint = self.query_one("#empty-hint", Static)
        hint.display = empty
        self.query_one("#list-and-preview").display = not empty
        if empty:
            hint.update(
                "[b]This library is empty.[/b]\n\n"
                "Press [b]L[/b] to load the sample library (a dozen prompts with history),\n"
                "[b]n[/b] to write your first prompt, or [b]i[/b] to import a CSV, JSON,\n"
                "JSONL, Parquet file or a folder of Markdown files."
            )

    @work(thread=True, exclusive=True, group="sidebar", exit_on_error=False)
    def load_sidebar(self) -> None:
        library = self.deck.library
        total = library.prompts.count_prompts()
        archived = library.prompts.count_prompts(PromptFilter(archived=True))
        folders, tags = library.prompts.folders(), library.tags.all()
        self.app.call_from_thread(
            self.query_one(LibraryTree).populate, total, archived, folders, tags
        )

    @on(PromptTable.Highlighted)
    def _highlighted(self, event: PromptTable.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if event.prompt_id is None:
            self.query_one(PromptPreview).show(None)
            return
        prompt_id = event.prompt_id
        self._preview_timer = self.set_timer(PREVIEW_DEBOUNCE, lambda: self.load_preview(prompt_id))

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def load_preview(self, prompt_id: str) -> None:
        library = self.deck.library
        prompt = library.prompts.get(prompt_id)
        rating, ratings = library.usage.rating(prompt_id)
        if get_current_worker().is_cancelled:
            return
        self.post_message(PromptLoaded(prompt, rating, ratings))
        similar = tuple(library.search.similar(prompt_id, limit=SIMILAR_IN_PREVIEW))
        if similar and not get_current_worker().is_cancelled:
            self.post_message(PromptLoaded(prompt, rating, ratings, similar))

    def on_prompt_loaded(self, message: PromptLoaded) -> None:
        if message.prompt.id == self.query_one(PromptTable).highlighted_id:
            self.query_one(PromptPreview).show(
                message.prompt, message.rating, message.ratings, message.similar
            )

    def on_library_changed(self, message: LibraryChanged) -> None:
        self.reload(select=message.select)
        self.load_sidebar()
        highlighted = self.query_one(PromptTable).highlighted_id
        if highlighted and message.select in (None, highlighted):
            self.load_preview(highlighted)

    # -- search and filters ----------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        # One letter would match a third of a big library (and no BM25 term): wait for two.
        self._apply(text=text if len(text) >= MIN_SEARCH else None)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.action_focus_list()

    def _apply(self, **changes: object) -> None:
        self.where = replace(self.where, **changes)  # type: ignore[arg-type]
        self.reload()

    @on(Tree.NodeSelected, "#sidebar")
    def _scope_chosen(self, event: Tree.NodeSelected[Scope]) -> None:
        scope = event.node.data
        if scope is None:
            return
        tags = (scope.tag,) if scope.tag else ()
        self._apply(folder=scope.folder, tags=tags, archived=scope.archived)
        self.action_focus_list()

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_search(self, mode: str) -> None:
        self.post_message(SearchPrepared(mode, self.deck.library.search.prepare(mode)))

    def on_search_prepared(self, message: SearchPrepared) -> None:
        self._prepared.add(message.mode)
        if message.mode == self.search_mode and message.notice:
            self.post_message(StatusMessage(message.notice))
        elif message.mode == self.search_mode and message.mode != "text":
            self.post_message(StatusMessage(f"{message.mode} search ready"))
        if message.mode == self.search_mode and self.where.text:
            self.reload()

    def action_cycle_search_mode(self) -> None:
        position = SEARCH_MODES.index(self.search_mode)
        self.search_mode = SEARCH_MODES[(position + 1) % len(SEARCH_MODES)]
        label = f"{self.search_mode.capitalize()} search:"
        self.query_one("#search-label", Static).update(label)
        if self.search_mode not in self._prepared:
            if self.search_mode != "text":
                self.post_message(StatusMessage(f"loading vectors for {self.search_mode} search…"))
            self.prepare_search(self.search_mode)
        else:
            self.post_message(StatusMessage(f"{self.search_mode} search"))
        if self.where.text:
            self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one(PromptTable).focus()

    def key_escape(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.action_focus_list()

    def _refuse_sort_while_ranked(self) -> bool:
        if self._ranking_mode() is None:
            return False
        self.post_message(StatusMessage("ranked by relevance while searching; esc, clear to sort"))
        return True

    def action_sort(self) -> None:
        if self._refuse_sort_while_ranked():
            return
        position = SORT_CYCLE.index(self.sort_key) if self.sort_key in SORT_CYCLE else -1
        self.sort_key = SORT_CYCLE[(position + 1) % len(SORT_CYCLE)]
        self.descending = self.sort_key not in ("name", "folder", "model")
        assert self.sort_key in SORT_KEYS
        self.post_message(StatusMessage(f"sorted by {self.sort_key}"))
        self.reload()

    def action_reverse(self) -> None:
        if self._refuse_sort_while_ranked():
            return
        self.descending = not self.descending
        self.reload()

    def action_filters(self) -> None:
        def chosen(where: PromptFilter | None) -> None:
            if where is not None:
                self.where = where
                self.reload()

        self.app.push_screen(FilterScreen(self.where), chosen)

    def action_refresh(self) -> None:
        self.post_message(LibraryChanged())

    # -- actions on the highlighted prompt -------------------------------------------------

    def _current(self) -> str | None:
        prompt_id = self.query_one(PromptTable).highlighted_id
        if prompt_id is None:
            self.post_message(StatusMessage("no prompt is highlighted", error=True))
        return prompt_id

    def open_prompt(self, prompt_id: str) -> None:
        from tui.screens.edit import EditScreen

        self._open_editor(EditScreen(prompt_id=prompt_id))

    def _open_editor(self, editor: Screen[str | None]) -> None:
        def closed(saved_id: str | None) -> None:
            if saved_id is not None:
                self.post_message(LibraryChanged(select=saved_id))

        self.app.push_screen(editor, closed)

    @on(PromptTable.Selected)
    def _selected(self, event: PromptTable.Selected) -> None:
        self.open_prompt(event.prompt_id)

    def action_edit(self) -> None:
        if prompt_id := self._current():
            self.open_prompt(prompt_id)

    def action_new(self) -> None:
        from tui.screens.edit import EditScreen

        self._open_editor(EditScreen())

    def action_derive(self) -> None:
        from tui.screens.edit import EditScreen

        if prompt_id := self._current():
            self._open_editor(EditScreen(parent_id=prompt_id))

    def action_copy(self) -> None:
        if prompt_id := self._current():
            self.copy_prompt(prompt_id)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def copy_prompt(self, prompt_id: str) -> None:
        library = self.deck.library
        prompt = library.prompts.get(prompt_id)
        library.usage.record(prompt_id, "copied")
        self.app.call_from_thread(self._copied, prompt.name, prompt.content, prompt_id)

    def _copied(self, name: str, text: str, prompt_id: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {name!r} ({len(text):,} characters)", title="Clipboard")
        self.post_message(LibraryChanged(select=prompt_id))

    def action_use(self) -> None:
        if prompt_id := self._current():
            self.prepare_use(prompt_id)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def prepare_use(self, prompt_id: str) -> None:
        prompt = self.deck.library.prompts.get(prompt_id)
        names = templates.variables(prompt.content)
        if not names:
            self.use_prompt(prompt_id, {})
            return

        def filled(values: dict[str, str] | None) -> None:
            if values is not None:
                self.use_prompt(prompt_id, values)

        self.app.call_from_thread(
            self.app.push_screen, VariablesScreen(prompt.name, prompt.content, names), filled
        )

    @work(thread=True, exclusive=True, group="use", exit_on_error=False)
    def use_prompt(self, prompt_id: str, values: dict[str, str]) -> None:
        text = self.deck.library.usage.use(prompt_id, values)
        self.app.call_from_thread(self._used, text, prompt_id)

    def _used(self, text: str, prompt_id: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Rendered text copied ({len(text):,} characters); use recorded", title="Use")
        self.post_message(LibraryChanged(select=prompt_id))

    def action_rate(self) -> None:
        prompt_id = self._current()
        if prompt_id is None:
            return

        def rated(result: tuple[int, str | None] | None) -> None:
            if result is not None:
                self.rate_prompt(prompt_id, *result)

        self.app.push_screen(RateScreen(), rated)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def rate_prompt(self, prompt_id: str, rating: int, comment: str | None) -> None:
        self.deck.library.usage.rate(prompt_id, rating, comment=comment)
        self.post_message(StatusMessage(f"rated {rating}/5"))
        self.post_message(LibraryChanged(select=prompt_id))

    def action_archive(self) -> None:
        prompt_id = self._current()
        if prompt_id is None:
            return
        restoring = self.where.archived
        question = "Restore this prompt from the archive?" if restoring else "Archive this prompt?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.archive_prompt(prompt_id, restoring)

        self.app.push_screen(
            ConfirmScreen(question, yes="Restore" if restoring else "Archive"), answered
        )

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def archive_prompt(self, prompt_id: str, restoring: bool) -> None:
        library = self.deck.library
        prompt = (
            library.prompts.unarchive(prompt_id)
            if restoring
            else library.prompts.archive(prompt_id)
        )
        verb = "restored" if restoring else "archived (restore it from Archived in the sidebar)"
        self.post_message(StatusMessage(f"{prompt.name!r} {verb}"))
        self.post_message(LibraryChanged())

    def action_embed(self) -> None:
        if self.deck.library.embeddings.embedder is None:
            self.post_message(
                StatusMessage("no embedding provider: see [embedding] in config.toml", error=True)
            )
            return
        self.embed_library()

    def _embed_if_local(self) -> None:
        """New prompts join semantic search at once when embedding is offline and quick."""
        embedder = self.deck.library.embeddings.embedder
        if embedder is not None and embedder.name == "local":
            self.embed_library()

    @work(thread=True, exclusive=True, group="embed", exit_on_error=False)
    def embed_library(self) -> None:
        library = self.deck.library
        embedder = library.embeddings.embedder
        assert embedder is not None
        shown = [0.0]

        def progress(done: int, total: int) -> None:
            if done == total or time.monotonic() - shown[0] > PROGRESS_EVERY:
                shown[0] = time.monotonic()
                text = f"embedding with {embedder.model}: {done:,} of {total:,}"
                self.post_message(StatusMessage(text))

        report = library.embeddings.embed_missing(
            embedder, batch_size=EMBED_BATCH, progress=progress
        )
        self.post_message(
            StatusMessage(
                f"embedded {report.embedded:,} prompts with {report.model} "
                f"({report.up_to_date:,} were current); search uses {report.active_model}"
            )
        )
        self.post_message(LibraryChanged())

    def action_lineage(self) -> None:
        from tui.screens.lineage import LineageScreen

        if prompt_id := self._current():
            self.app.push_screen(LineageScreen(prompt_id))

    def action_analytics(self) -> None:
        from tui.screens.analytics import AnalyticsScreen

        self.app.push_screen(AnalyticsScreen())

    def action_backup(self) -> None:
        from tui.screens.backup import BackupScreen

        self.app.push_screen(BackupScreen())

    def action_import(self) -> None:
        from tui.screens.import_file import ImportScreen

        def imported(changed: bool | None) -> None:
            if not changed:
                return
            self.post_message(LibraryChanged())
            self._embed_if_local()

        self.app.push_screen(ImportScreen(), imported)

    def action_load_sample(self) -> None:
        if self.total == 0 and self.where == PromptFilter():
            self.load_sample()
        else:
            self.post_message(StatusMessage("the sample loads only into an empty library"))

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def load_sample(self) -> None:
        from tui.demo import write_sample_library

        write_sample_library(self.deck.library)
        self.post_message(StatusMessage("sample library loaded"))
        self.app.call_from_thread(self._embed_if_local)
        self.post_message(LibraryChanged())
