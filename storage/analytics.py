"""Analytics from the mart views, generations and prices, the relevance lifecycle."""

from __future__ import annotations

from storage.core import LibraryCore


class AnalyticsMixin(LibraryCore):
    pass
