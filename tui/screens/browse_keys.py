"""The browse screen's keys: each with its id (for the keymap in the config file) and the
line the help screen and the command palette show."""

from __future__ import annotations

from textual.binding import BindingType

from tui.keys import key

# fmt: off
BROWSE_KEYS: list[BindingType] = [
    # The app's help key, repeated so that the footer shows it first at 80 columns.
    key("question_mark,f1", "app.help", "Help", "browse.help", "Every key"),
    key("slash", "focus_search", "Search", "browse.search",
        "Search names, descriptions and content as you type"),
    key("ctrl+t", "cycle_search_mode", "Mode", "browse.search_mode",
        "Search mode: text (BM25), semantic (embeddings) or hybrid (both fused)"),
    key("n", "new", "New", "browse.new", "Write a new prompt"),
    key("e", "edit", "Edit", "browse.edit",
        "Open the highlighted prompt in the editor", show=False),
    key("d", "derive", "Derive", "browse.derive",
        "Write a new prompt derived from the highlighted one"),
    key("y", "copy", "Copy", "browse.copy",
        "Copy the content to the clipboard (OSC 52, works over SSH)"),
    key("u", "use", "Use", "browse.use",
        "Fill in the variables, copy the rendered text and record a use"),
    key("x", "run", "Run", "browse.run",
        "Run the prompt: fill its variables, choose the model, watch the answer stream in"),
    key("X", "runs", "Runs", "browse.runs",
        "The prompt's runs, newest first (and compare from there)", show=False),
    key("v", "evals", "Evals", "browse.evals",
        "The prompt's test cases: run them, see the matrix and the scorecard", show=False),
    key("r", "rate", "Rate", "browse.rate", "Rate the prompt 1 to 5"),
    key("a", "archive", "Archive", "browse.archive",
        "Archive the prompt (or restore it, in the archive)"),
    key("s", "sort", "Sort", "browse.sort", "Sort by the next column"),
    key("S", "reverse", "Reverse", "browse.reverse", "Reverse the sort order", show=False),
    key("f", "filters", "Filter", "browse.filters",
        "Filter by phase, provider, model, archived"),
    key("ctrl+r", "refresh", "Refresh", "browse.refresh",
        "Reload the library (after changes from the CLI)", show=False),
    key("E", "embed", "Embed", "browse.embed",
        "Embed the prompts that have no current vector, or move search to the configured"
        " model", show=False),
    key("L", "load_sample", "Load sample", "browse.sample",
        "Fill an empty library with the sample prompts", show=False),
    # f9: inside tmux, ctrl+b is the prefix key.
    key("ctrl+b,f9", "toggle_sidebar", "Sidebar", "browse.sidebar",
        "Show or hide the folder and tag sidebar", show=False),
    key("ctrl+l", "focus_list", "List", "browse.focus_list",
        "Focus the prompt list", show=False),
    key("escape", "clear_search", "Clear search", "browse.clear_search",
        "Clear the search (in the search box: clear it, or go to the list when empty)",
        show=False),
    key("ctrl+g", "lineage", "Lineage", "browse.lineage",
        "The derivation graph around the highlighted prompt"),
    key("t", "analytics", "Analytics", "browse.analytics", "Usage, cost and ratings over time"),
    key("b", "backup", "Backup", "browse.backup",
        "Back the library up to a folder of Parquet files", show=False),
    key("i", "import", "Import", "browse.import",
        "Import prompts from a CSV, JSON, JSONL, Markdown or Parquet file", show=False),
    key("q", "app.quit", "Quit", "browse.quit", "Quit promptdeck"),
]
# fmt: on
