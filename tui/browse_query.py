"""What the browse list shows, as plain state: the filter, the sort, the search mode, and the
one list query in flight (keystrokes typed meanwhile fold into one query of the newest state).
The screen turns keys into calls here and the requests it returns into workers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from storage.models import PromptFilter

SEARCH_MODES = ("text", "semantic", "hybrid")
SORT_CYCLE = ("updated", "name", "uses", "rating", "folder", "model", "created")
ASCENDING_SORTS = ("name", "folder", "model")  # alphabetical keys start at A
MIN_SEARCH = 2  # characters typed before the list is searched


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One list query: ranked by `mode` when set (a search), else sorted."""

    where: PromptFilter
    sort: str
    descending: bool
    mode: str | None
    select: str | None = None  # a prompt to put the cursor on


@dataclass
class BrowseQuery:
    where: PromptFilter = field(default_factory=PromptFilter)
    sort: str = "updated"
    descending: bool = True
    search_mode: str = SEARCH_MODES[0]
    prepared: set[str] = field(default_factory=set)  # modes whose index or vectors are loaded
    in_flight: bool = False
    pending: bool = False  # the state changed while a query ran
    pending_select: str | None = None

    # -- the state -------------------------------------------------------------------------

    @property
    def ranking_mode(self) -> str | None:
        """The mode that ranks the list while text is typed (text search ranks by BM25 from
        the first keystroke: in DuckDB until the held index has loaded)."""
        return self.search_mode if self.where.text else None

    @property
    def filtered(self) -> bool:
        return self.where != PromptFilter()

    def type_text(self, typed: str) -> bool:
        """The search box changed; whether what the list searches for did (a space typed
        after a word leaves it as it was). One letter would match a third of a big library
        (and no BM25 term): the list is searched from MIN_SEARCH characters."""
        text = typed.strip()
        before = self.where
        self.where = replace(self.where, text=text if len(text) >= MIN_SEARCH else None)
        return self.where != before

    def clear_text(self) -> None:
        self.where = replace(self.where, text=None)

    @property
    def searching(self) -> bool:
        """Search text narrows the list (esc on the list clears it)."""
        return self.where.text is not None

    def filter_label(self) -> str:
        """The active filter besides the search text, for the count: "folder eng · tag x"."""
        where = self.where
        parts = [f"folder {where.folder}"] if where.folder else []
        parts += [f"tag {tag}" for tag in where.tags]
        parts += [
            f"{facet} {value}"
            for facet in ("phase", "provider", "model")
            if (value := getattr(where, facet))
        ]
        if where.archived:
            parts.append("archived")
        return " · ".join(parts)

    def scope(self, folder: str | None, tag: str | None, archived: bool) -> None:
        self.where = replace(
            self.where, folder=folder, tags=(tag,) if tag else (), archived=archived
        )

    def next_sort(self) -> str:
        position = SORT_CYCLE.index(self.sort) if self.sort in SORT_CYCLE else -1
        self.sort = SORT_CYCLE[(position + 1) % len(SORT_CYCLE)]
        self.descending = self.sort not in ASCENDING_SORTS
        return self.sort

    def reverse(self) -> None:
        self.descending = not self.descending

    def next_mode(self) -> str:
        position = SEARCH_MODES.index(self.search_mode)
        self.search_mode = SEARCH_MODES[(position + 1) % len(SEARCH_MODES)]
        return self.search_mode

    # -- the query in flight ---------------------------------------------------------------

    def request(self, select: str | None = None) -> ListRequest | None:
        """The query to run now, or None when one is running: it is run when that one ends."""
        if self.in_flight:
            self.pending = True
            self.pending_select = select or self.pending_select
            return None
        self.in_flight = True
        return ListRequest(self.where, self.sort, self.descending, self.ranking_mode, select)

    def finished(self) -> ListRequest | None:
        """The query in flight ended: the folded query of the newest state, if any."""
        self.in_flight = False
        if not self.pending:
            return None
        self.pending = False
        select, self.pending_select = self.pending_select, None
        return self.request(select)

    def more(self) -> ListRequest:
        """The next page of what is shown (not subject to folding: it extends a result)."""
        return ListRequest(self.where, self.sort, self.descending, self.ranking_mode)

    def is_current(self, where: PromptFilter, mode: str | None) -> bool:
        """A page belongs to what is shown (not to a result the user has moved on from)."""
        return where == self.where and mode == self.ranking_mode
