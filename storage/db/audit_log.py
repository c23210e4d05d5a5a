"""Reading the audit log (every service writes its rows through Database.audit)."""

from __future__ import annotations

from storage.db import rows
from storage.db.database import Database
from storage.models import AuditEntry


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def entries(self, entity: str | None = None, limit: int = 50) -> list[AuditEntry]:
        with self._db.read() as con:
            where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
            found = con.execute(
                f"SELECT {rows.select_list(rows.AUDIT_COLUMNS)} FROM audit_log {where} "
                f"ORDER BY id DESC LIMIT {int(limit)}",
                params,
            ).fetchall()
        return [rows.audit(row) for row in found]
