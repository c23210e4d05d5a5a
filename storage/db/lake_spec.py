"""What names a team library: `ducklake:postgres:<libpq conninfo>`, and how it is shown.

The conninfo may carry a password (`password=...`, or `user:secret@` in a postgresql:// URI).
It goes to DuckDB's ATTACH and nowhere else: messages, the audit log, backups and the local
folder's name use `LakeSpec.label`, which keeps the host, port, database and user only, and
`redact` scrubs any text DuckDB hands back (its errors repeat the conninfo)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from storage.errors import PromptdeckError

PREFIX = "ducklake:"
CATALOG = "postgres:"
_SHOWN_KEYS = ("host", "hostaddr", "port", "dbname", "user")
_PAIR = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")
# user:password@ in a URI, up to the last @ before the path: a password may hold an
# unencoded @ (libpq would stop at the first one, the label and messages must hide all).
_URI_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:@/\s]*):[^/\s]*@")
_SECRET_PAIR = re.compile(r"(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", re.I)


def is_lake(where: str) -> bool:
    return where.startswith(PREFIX)


@dataclass(frozen=True)
class LakeSpec:
    conninfo: str  # what libpq gets, password and all: never shown
    label: str  # ducklake:postgres:host=... port=... dbname=... user=...

    @property
    def name(self) -> str:
        """The catalog's database name (the library's name), else a short digest."""
        if "://" in self.conninfo:  # scheme://...@host/dbname?...
            path = self.conninfo.split("://", 1)[1].split("?", 1)[0].rsplit("@", 1)[-1]
            found = path.split("/", 1)[1] if "/" in path else ""
        else:
            found = dict(_PAIR.findall(self.conninfo)).get("dbname", "").strip("'")
        return found if re.fullmatch(r"[\w.-]+", found) else f"lake-{self.key[:8]}"

    @property
    def key(self) -> str:
        """A stable digest of the shown parts: names the lake's local folder."""
        return hashlib.sha256(self.label.encode()).hexdigest()[:16]

    def redact(self, text: str) -> str:
        """`text` with the conninfo (and any password in it) replaced by the label."""
        text = text.replace(self.conninfo, self.label)
        text = _URI_PASSWORD.sub(r"\1:***@", text)
        return _SECRET_PAIR.sub(r"\1=***", text)


def parse_lake(where: str) -> LakeSpec:
    if not is_lake(where) or not where[len(PREFIX) :].startswith(CATALOG):
        shown = where.split(":", 2)[:2]
        raise PromptdeckError(
            f"{':'.join(shown)}: a team library is ducklake:postgres:<libpq conninfo>, "
            "e.g. ducklake:postgres:host=db.example dbname=prompts",
            field="db",
        )
    conninfo = where[len(PREFIX) + len(CATALOG) :].strip()
    if not conninfo:
        raise PromptdeckError(
            "ducklake:postgres: give the catalog's connection, e.g. "
            "ducklake:postgres:host=db.example dbname=prompts",
            field="db",
        )
    return LakeSpec(conninfo, PREFIX + CATALOG + _shown(conninfo))


def _shown(conninfo: str) -> str:
    if "://" in conninfo:
        return _shown_uri(conninfo)
    pairs = dict(_PAIR.findall(conninfo))
    kept = [f"{k}={pairs[k]}" for k in _SHOWN_KEYS if k in pairs]
    return " ".join(kept) or "(default connection)"


def _shown_uri(conninfo: str) -> str:
    """scheme://user@host:port/dbname: the query (`?password=...`) and everything between the
    user and the last @ go."""
    scheme, rest = conninfo.split("://", 1)
    rest = rest.split("?", 1)[0]
    if "@" not in rest:
        return f"{scheme}://{rest}"
    credentials, where = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{where}"
