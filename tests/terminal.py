"""A process on a pseudo-terminal of its own, as a user's shell runs it: the terminal is its
controlling terminal (what /dev/tty opens), while stdout (and stderr, if asked) go to pipes,
as under `$(...)`. Used by the pick CLI test and bench_pick.py."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path


def _take_the_terminal() -> None:
    """(In the child, a session leader after start_new_session) make stdin, the terminal's
    slave side, the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`Terminal([script, "pick"])`: the process runs; `screen` is what it drew on the
    terminal (escape sequences and all), `send` types, `wait` returns the exit code."""

    def __init__(
        self,
        argv: Sequence[str | Path],
        *,
        env: dict[str, str] | None = None,
        size: tuple[int, int] = (80, 24),
        stderr_to_terminal: bool = True,
    ) -> None:
        self.master, slave = os.openpty()
        columns, lines = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        # No COLUMNS or LINES: the size must come from the terminal itself.
        unset = ("COLUMNS", "LINES")
        environment = {k: v for k, v in (env or os.environ).items() if k not in unset}
        environment.setdefault("TERM", "xterm-256color")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 - the test's own console script
            [str(part) for part in argv],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave if stderr_to_terminal else subprocess.PIPE,
            env=environment,
            start_new_session=True,
            preexec_fn=_take_the_terminal,  # noqa: PLW1509 - no threads of ours yet
        )
        os.close(slave)
        self._screen = bytearray()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.stdout = b""
        self.stderr = b""

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the last holder of the slave side has gone
                chunk = b""
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                self._screen += chunk
                self._changed.notify_all()

    @property
    def screen(self) -> str:
        with self._changed:
            return self._screen.decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        """Seconds from the start until `text` was drawn (fails after `timeout`)."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        with self._changed:
            while wanted not in self._screen:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    shown = self._screen.decode("utf-8", "replace")
                    raise AssertionError(f"{text!r} was not drawn; the terminal shows:\n{shown}")
                self._changed.wait(min(left, 0.05))
            return time.perf_counter() - self.started

    def send(self, keys: str, *, pause: float = 0.15) -> None:
        """Type `keys` (escape sequences as written: "\\x1b[B" is down), then let the
        picker take them in."""
        os.write(self.master, keys.encode())
        time.sleep(pause)

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code, once the process has ended; stdout and stderr are read by then."""
        out, err = self.process.communicate(timeout=timeout)
        self.stdout, self.stderr = out or b"", err or b""
        self._reader.join(timeout=5)
        os.close(self.master)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.wait()
