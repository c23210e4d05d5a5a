"""The lifecycle settings kept in the library's config table, checked against their rules."""

from __future__ import annotations

from storage.analytics.config_keys import RULES, clean_setting
from storage.analytics.models import Setting
from storage.db.database import Database
from storage.errors import NotFound


class SettingsService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def values(self) -> dict[str, str]:
        with self._db.read() as con:
            return dict(con.execute("SELECT key, value FROM config ORDER BY key").fetchall())

    def all(self) -> list[Setting]:
        """Every lifecycle setting with its description, by key."""
        with self._db.read() as con:
            found = con.execute("SELECT key, value, description FROM config ORDER BY key")
            return [Setting(*row) for row in found.fetchall()]

    def get(self, key: str) -> Setting:
        for item in self.all():
            if item.key == key:
                return item
        raise NotFound(f"config: no setting {key!r}; settings are {', '.join(RULES)}")

    def set(self, key: str, value: object) -> Setting:
        """Change a setting, checked against its type and range (config_keys.RULES)."""
        cleaned = clean_setting(key, value)
        for tx in self._db.write_attempts("set config"):
            with tx as con:
                row = con.execute("SELECT value, description FROM config WHERE key = ?", [key])
                before = row.fetchone()
                if before is None:
                    raise NotFound(f"config: no setting {key!r} in this library")
                con.execute("UPDATE config SET value = ? WHERE key = ?", [cleaned, key])
                self._db.audit(con, "config", f"config:{key}", before=before[0], after=cleaned)
                setting = Setting(key, cleaned, before[1])
        return setting
