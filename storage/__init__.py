"""promptdeck storage: the data layer. Never imports Textual."""

from storage.errors import PromptdeckError
from storage.library import Library
from storage.models import Prompt, PromptFilter, PromptSummary, PromptVersion

__all__ = ["Library", "Prompt", "PromptFilter", "PromptSummary", "PromptVersion", "PromptdeckError"]
