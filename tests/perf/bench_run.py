"""`promptdeck run`: from the server's first byte to the first character on the process's stdout.

    python tests/perf/bench_run.py [--rounds 15] [--script PATH]

A chat API on 127.0.0.1 (OpenAI's protocol: server-sent events) answers each request by
writing its headers and the first event, holding "Hello", in one write; the clock starts just
before that write and stops when the first byte arrives on the pipe from the process's stdout
(one process, so one clock). The rest of the answer follows 50 ms later, so that only the first
piece is timed. Each round runs `promptdeck run` (a real process on a real library, with an API
key, so its text goes through the key hiding) and then the reference: a bare `python` process
that posts with httpx, reads the same stream line by line and writes the first text it finds,
the least a streaming client must do. Rounds interleave the two, so the load of a shared
machine weighs on both alike; the figures are medians (and the slowest round)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from storage import Library

TARGET_MS = 20.0
KEY = "sk-bench-0123456789abcdefghijklmnopqrstuvwxyz"
FIRST, REST = "Hello", (", ", "world", "!")

REFERENCE = """
import json, sys, httpx
url, key = sys.argv[1], sys.argv[2]
body = {"model": "m", "messages": [{"role": "user", "content": "Greet you."}], "stream": True}
headers = {"Authorization": f"Bearer {key}"}
with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as response:
    for line in response.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            text = json.loads(line[6:])["choices"][0]["delta"].get("content")
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
"""


def _event(text: str | None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return f"data: {json.dumps({'model': 'm', 'choices': [choice]})}\n\n".encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class Api:
    """Streams FIRST, then REST after a pause; `sent` is when the first byte went out."""

    def __init__(self) -> None:
        self.sent = 0.0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                api.sent = time.perf_counter()
                self.wfile.write(head + _chunk(_event(FIRST)))
                self.wfile.flush()
                time.sleep(0.05)
                rest = [_event(p) for p in REST] + [_event(None, "stop"), b"data: [DONE]\n\n"]
                self.wfile.write(b"".join(_chunk(e) for e in rest) + b"0\r\n\r\n")
                self.wfile.flush()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


def first_character(api: Api, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(first byte sent -> first byte on stdout, process start -> first byte), in ms."""
    api.sent = 0.0
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None
    first = os.read(child.stdout.fileno(), 64)
    seen = time.perf_counter()
    out, err = child.communicate(timeout=60)
    if child.returncode or not first.startswith(b"H"):
        raise SystemExit(f"{argv[1:]} failed ({child.returncode}): {err.decode().strip()}")
    return (seen - api.sent) * 1000, (seen - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--script", type=Path, help="the promptdeck to time (default: installed)")
    args = parser.parse_args()
    script = args.script or Path(sys.executable).parent / "promptdeck"
    api = Api()
    with tempfile.TemporaryDirectory() as tmp:
        db, config = Path(tmp) / "bench.duckdb", Path(tmp) / "config.toml"
        with Library(db) as library:
            library.prompts.create("Greet", "Greet {{who}}.")
        config.write_text(
            f'[llm]\nprovider = "openai"\nbase_url = "{api.url}"\napi_key = "{KEY}"\nmodel = "m"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "PROMPTDECK_CONFIG": str(config), "PROMPTDECK_DB": str(db)}
        ours_argv = [str(script), "run", "Greet", "who=you"]
        bare_argv = [sys.executable, "-c", REFERENCE, f"{api.url}/chat/completions", KEY]
        first_character(api, ours_argv, env)  # warm the OS's file cache
        first_character(api, bare_argv, env)
        ours, bare = [], []
        for _ in range(args.rounds):
            ours.append(first_character(api, ours_argv, env))
            bare.append(first_character(api, bare_argv, env))
        with Library(db) as library:
            recorded = len(library.runs.list_runs(limit=1000))
    api.server.shutdown()

    def median(rows: list[tuple[float, float]], index: int) -> float:
        return statistics.median(row[index] for row in rows)

    ours_first, bare_first = median(ours, 0), median(bare, 0)
    rows = [
        ("figure", "measured (ms)", "target", "reference (ms)", "ratio"),
        ("run: server's first byte -> first character on stdout", f"{ours_first:.2f}",
         f"<= {TARGET_MS:g}", f"{bare_first:.2f}", f"{ours_first / bare_first:.1f}x"),
        ("  slowest round", f"{max(r[0] for r in ours):.2f}", "",
         f"{max(r[0] for r in bare):.2f}", ""),
        ("run: process start -> first character (for scale)", f"{median(ours, 1):.0f}", "",
         f"{median(bare, 1):.0f}", f"{median(ours, 1) / median(bare, 1):.1f}x"),
    ]  # fmt: skip
    print(f"\npromptdeck run, OpenAI protocol on 127.0.0.1, median of {args.rounds} rounds")
    print("reference: python + httpx.stream, iter_lines, json.loads, write + flush")
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"runs recorded: {recorded} (one per round of promptdeck, and the warm-up)")
    ok = ours_first <= TARGET_MS
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
