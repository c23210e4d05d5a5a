"""A real PostgreSQL for the team-library tests: initdb + pg_ctl into a temporary folder, on a
free port of 127.0.0.1 (no Unix socket), password authentication, stopped at the end.

PostgreSQL refuses to run as root: under root (CI may be) the server runs as the unprivileged
`postgres` account that Debian's packages create (else `nobody`), and its folder is given to
that account. Binaries come from PROMPTDECK_PG_BIN, PATH, or Debian's /usr/lib/postgresql/N/bin.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

USER = "promptdeck"  # the cluster's superuser


class PostgresMissing(Exception):
    """No PostgreSQL binaries on this machine; the message says where they were looked for."""


def find_bin() -> Path:
    override = os.environ.get("PROMPTDECK_PG_BIN")
    places = [Path(override)] if override else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        places.append(Path(on_path).resolve().parent)
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major, reverse=True)
    places += debian
    for place in places:
        if all((place / tool).is_file() for tool in ("initdb", "pg_ctl", "createdb")):
            return place
    raise PostgresMissing(
        "PostgreSQL not found (initdb, pg_ctl, createdb on PATH, in /usr/lib/postgresql/*/bin "
        "or PROMPTDECK_PG_BIN); install it (Debian: apt-get install postgresql) to run the "
        "team-library tests"
    )


def _major(path: Path) -> int:
    name = path.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Postgres:
    """A running cluster; `conninfo(dbname)` is a libpq string (with the password) for it."""

    folder: Path
    bin: Path
    port: int = 0
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    _databases: int = 0

    def conninfo(self, dbname: str) -> str:
        where = f"host=127.0.0.1 port={self.port} dbname={dbname}"
        return f"{where} user={USER} password={self.password}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        data, log = self.folder / "data", self.folder / "server.log"
        self._give_away(self.folder, pwfile)
        self._run(
            "initdb", "-D", data, "-U", USER, "--auth=scram-sha-256", f"--pwfile={pwfile}",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        self.port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            "-c fsync=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop")

    def create_database(self) -> str:
        """A new, empty database: each lake test gets its own catalog."""
        self._databases += 1
        name = f"lake{self._databases}"
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(
            [self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name],
            check=True,
            capture_output=True,
            env=env,
        )
        return name

    def _give_away(self, *paths: Path) -> None:
        account = _server_account()
        if account is not None:
            for path in paths:
                os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, tool: str, *args: str | Path) -> None:
        account = _server_account()
        ids = {} if account is None else {"user": account.pw_uid, "group": account.pw_gid}
        done = subprocess.run(
            [str(self.bin / tool), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=self.folder,
            **ids,  # type: ignore[call-overload]
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")


def _server_account() -> pwd.struct_passwd | None:
    """Who runs the server when we are root (initdb refuses root); None: ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresMissing("running as root with no unprivileged account to run PostgreSQL as")
