"""ModelChoice: the provider and model a run uses (and, in compare, the version it sends), one
compact row each. A model left as the provider's default follows a change of provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select


@dataclass(frozen=True)
class Choice:
    provider: str
    model: str
    version: str  # "" for the current version (compare only)


class ModelChoice(Vertical):
    DEFAULT_CSS = """
    ModelChoice { height: auto; }
    ModelChoice .choice-row { height: 1; }
    ModelChoice .choice-row Label { width: 9; color: $text-muted; }
    ModelChoice .choice-row Input, ModelChoice .choice-row Select { width: 1fr; }
    """

    def __init__(
        self,
        providers: tuple[str, ...],
        provider: str,
        default_model: Callable[[str], str],
        *,
        version: str | None = None,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self._providers = providers
        self._provider = provider
        self._default_model = default_model
        self._version = version
        self._shown_default = default_model(provider)

    def compose(self) -> ComposeResult:
        if self._version is not None:
            with Horizontal(classes="choice-row"):
                yield Label("Version")
                yield Input(
                    self._version, placeholder="current, N or @label", compact=True, id="version"
                )
        with Horizontal(classes="choice-row"):
            yield Label("Provider")
            options = [(name, name) for name in self._providers]
            yield Select(
                options, value=self._provider, allow_blank=False, compact=True, id="provider"
            )
        with Horizontal(classes="choice-row"):
            yield Label("Model")
            yield Input(self._shown_default, placeholder="model name", compact=True, id="model")

    def chosen(self) -> Choice:
        provider = self.query_one("#provider", Select).value
        version = self.query_one_optional("#version", Input)
        return Choice(
            str(provider),
            self.query_one("#model", Input).value.strip(),
            version.value.strip() if version is not None else "",
        )

    def suggest_model(self, model: str) -> None:
        """Show `model` (the prompt's own, once it is read) unless one was typed."""
        box = self.query_one("#model", Input)
        if box.value.strip() in ("", self._shown_default):
            box.value = model
        self._shown_default = model

    def choose(self, *, provider: str | None = None, model: str | None = None) -> None:
        if provider is not None and provider in self._providers:
            self.query_one("#provider", Select).value = provider
        if model is not None:
            self.query_one("#model", Input).value = model

    @on(Select.Changed, "#provider")
    def _provider_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self._provider:
            self._provider = event.value
            self.suggest_model(self._default_model(event.value))

    def choose_version(self, version: str) -> None:
        box = self.query_one_optional("#version", Input)
        if box is not None:
            box.value = version
