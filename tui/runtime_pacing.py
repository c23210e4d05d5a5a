"""What the app changes in Python's runtime while it runs, so that the work of a keystroke is
not held up by the rest of the process, and gives back when it ends.

* The switch interval: how long a thread runs before another waiting for the GIL gets it
  (Python's default: 5 ms). A worker's DuckDB query takes the GIL back at every step of the
  query (its client checks for Ctrl-C there), so while the UI thread drew a screen each step
  waited up to 5 ms: a report that takes 85 ms alone took 400-560 ms; at 0.5 ms, 155-170 ms.
* The collector. What is alive once the app has started (modules, Textual's machinery, the
  library) is frozen: no full collection walks it again. Full collections still walked the
  ~80,000 objects made since (at a million prompts mostly the cached lines of drawn widgets)
  in 40-60 ms each, several times while a query was typed, holding up the keystroke they fell
  in (bench_tui's maxima of 111-164 ms at 1M where the rest were 40-100). They now wait until
  no key has been pressed for IDLE_BEFORE_COLLECTING seconds, or, in a long burst of work
  without a pause, for FULL_COLLECTION_THRESHOLD younger collections (Python: 10)."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

SWITCH_INTERVAL = 0.0005
FULL_COLLECTION_THRESHOLD = 1_000
IDLE_BEFORE_COLLECTING = 2.0


class RuntimePacing:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._switch_interval = sys.getswitchinterval()  # (given back by `stop`)
        self._thresholds = gc.get_threshold()
        self._last_key = clock()
        self._collected = True

    def start(self) -> None:
        gc.freeze()
        sys.setswitchinterval(SWITCH_INTERVAL)
        first, second, _ = self._thresholds
        gc.set_threshold(first, second, FULL_COLLECTION_THRESHOLD)

    def key_pressed(self) -> None:
        self._last_key, self._collected = self._clock(), False

    def collect_if_idle(self) -> bool:
        """A full collection, when keys were pressed since the last and none for a while
        (called by a timer every IDLE_BEFORE_COLLECTING seconds); whether it ran."""
        if self._collected or self._clock() - self._last_key < IDLE_BEFORE_COLLECTING:
            return False
        gc.collect()
        self._collected = True
        return True

    def stop(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()  # what the app froze can be collected again once it is gone
