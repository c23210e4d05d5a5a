"""Who runs an eval: `host:pid` of the process, kept in eval_runs.owner while it runs, so that
an eval whose process ended without finishing it (killed, the machine restarted) reads as
`interrupted` instead of `running` forever. A process on another host cannot be asked: its
running eval stays running."""

from __future__ import annotations

import os
import socket


def current() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(owner: str | None) -> bool:
    """Whether the process named may still be running the eval (None: an eval started before
    owners were kept, long gone)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return host != socket.gethostname()  # another machine's: it cannot be told
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True
