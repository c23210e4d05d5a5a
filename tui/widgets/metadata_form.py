"""MetadataForm: the editable fields of a prompt, each with its own inline error line."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from storage.models import FORMAT_TYPES, Prompt

# (field, label, placeholder)
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "what the prompt is for"),
    ("description", "Description", "one line"),
    ("folder", "Folder", "e.g. eng/review"),
    ("tags", "Tags", "comma separated"),
    ("phase", "Phase", "ideation, draft, testing, production…"),
    ("provider", "Provider", "openai, anthropic, ollama…"),
    ("model", "Model", "e.g. gpt-4o"),
    ("temperature", "Temperature", "0 to 2"),
    ("max_tokens", "Max tokens", "e.g. 1024"),
    ("persona", "Persona", "who the model should be"),
)
FIELD_NAMES = tuple(f for f, _, _ in TEXT_FIELDS) + ("format_type",)


def _shown(field: str, value: Any) -> str:
    if value is None:
        return ""
    if field == "tags":
        return ", ".join(value)
    if field == "temperature":
        return f"{value:g}"
    return str(value)


class MetadataForm(VerticalScroll):
    DEFAULT_CSS = """
    MetadataForm { padding: 1 1 0 1; }
    MetadataForm .field-row { height: 1; }
    MetadataForm .field-row Label { width: 12; color: $text-muted; }
    MetadataForm .field-row Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    MetadataForm .field-row Input:focus { background: $accent 30%; }
    MetadataForm .field-row .-error { background: $error 40%; }
    MetadataForm Select { width: 1fr; }
    MetadataForm .field-error {
        color: $text-error; text-style: bold; display: none; margin-bottom: 1;
    }
    MetadataForm .field-error.-shown { display: block; }
    """

    def compose(self) -> ComposeResult:
        for field, label, placeholder in TEXT_FIELDS:
            with Horizontal(classes="field-row"):
                yield Label(label)
                yield Input(placeholder=placeholder, id=f"field-{field}")
            yield Static(id=f"error-{field}", classes="field-error")
        with Horizontal(classes="field-row", id="format-row"):
            yield Label("Format")
            yield Select[str](
                ((f, f) for f in FORMAT_TYPES),
                allow_blank=False,
                value="auto",
                id="field-format_type",
                compact=True,
            )
        yield Static(id="error-format_type", classes="field-error")

    def load(self, values: dict[str, Any]) -> None:
        for field, _, _ in TEXT_FIELDS:
            self.query_one(f"#field-{field}", Input).value = _shown(field, values.get(field))
        self.query_one("#field-format_type", Select).value = values.get("format_type") or "auto"

    def values(self) -> dict[str, Any]:
        """What the form holds, as storage takes it (storage validates and normalises)."""
        result: dict[str, Any] = {}
        for field, _, _ in TEXT_FIELDS:
            raw = self.query_one(f"#field-{field}", Input).value
            if field == "tags":
                result[field] = tuple(t.strip() for t in raw.split(",") if t.strip())
            elif field in ("name", "description", "folder"):
                result[field] = raw.strip()
            else:
                result[field] = raw.strip() or None
        result["format_type"] = self.query_one("#field-format_type", Select).value
        return result

    def show_error(self, field: str, message: str) -> bool:
        """Show the error under its field; False when the form has no such field."""
        field = "tags" if field == "tag" else field
        if field not in FIELD_NAMES:
            return False
        error = self.query_one(f"#error-{field}", Static)
        error.update(message)
        error.add_class("-shown")
        widget = self.query_one(f"#field-{field}")
        # Not Input's own "-invalid": it draws a tall frame that a one-line row cuts to "▊▔▔".
        widget.add_class("-error")
        widget.focus()
        return True

    def clear_errors(self) -> None:
        for error in self.query(".field-error"):
            error.remove_class("-shown")
        for widget in self.query(".-error"):
            widget.remove_class("-error")

    @on(Input.Changed)
    @on(Select.Changed)
    def _mended(self, event: Input.Changed | Select.Changed) -> None:
        """A field's error goes when its value changes."""
        widget = event.control
        if widget.has_class("-error") and widget.id:
            widget.remove_class("-error")
            field = widget.id.removeprefix("field-")
            self.query_one(f"#error-{field}").remove_class("-shown")


def normal_value(value: Any) -> Any:
    """Form values compare equal to stored ones: '' and None alike, numbers as numbers."""
    if value in ("", None, ()):
        return None
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def prompt_values(prompt: Prompt) -> dict[str, Any]:
    """A prompt's fields as the form shows them."""
    return {field: getattr(prompt, field) for field in FIELD_NAMES}
