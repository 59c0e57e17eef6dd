"""Datasets persisted without a file of their own: one row of a SQLite table,
as a model registry or a warehouse table would hold them. ``RecordDataset``
says what it holds (``fingerprint()``), so the bridge can cache the nodes
around it; ``OpaqueRecordDataset`` cannot, so its producer always runs."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from typing import Any

from kedro.io import AbstractDataset


class RecordDataset(AbstractDataset[dict, dict]):
    def __init__(self, database: str, key: str) -> None:
        self.database = database
        self.key = key

    def _describe(self) -> dict[str, Any]:
        return {"database": self.database, "key": self.key}

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.database)
        connection.execute("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, body TEXT)")
        return connection

    def _row(self) -> str | None:
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT body FROM records WHERE key = ?", (self.key,)
            ).fetchone()
        return row[0] if row else None

    def load(self) -> dict:
        body = self._row()
        if body is None:
            raise ValueError(f"no record {self.key!r} in {self.database}")
        return json.loads(body)

    def save(self, data: dict) -> None:
        with closing(self._connect()) as connection, connection:
            connection.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?)",
                (self.key, json.dumps(data, sort_keys=True)),
            )

    def _exists(self) -> bool:
        return self._row() is not None

    def fingerprint(self) -> str | None:
        body = self._row()
        return None if body is None else hashlib.sha256(body.encode()).hexdigest()


class OpaqueRecordDataset(RecordDataset):
    fingerprint = None  # type: ignore[assignment]  # cannot say what it holds
