"""netkeiba's URL scheme, relative to two configurable base URLs.

The live site splits pages over two hosts (``db.netkeiba.com`` for the archive,
``race.netkeiba.com`` for cards and fresh results). The offline replica serves
both from one loopback port under ``/db`` and ``/race``, so every URL here is
built from a :class:`SiteUrls` rather than hard-coded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LIVE_DB_BASE = "https://db.netkeiba.com"
LIVE_RACE_BASE = "https://race.netkeiba.com"


@dataclass(frozen=True)
class SiteUrls:
    db_base: str = LIVE_DB_BASE
    race_base: str = LIVE_RACE_BASE

    @classmethod
    def replica(cls, host: str = "127.0.0.1", port: int = 8765) -> SiteUrls:
        return cls(db_base=f"http://{host}:{port}/db", race_base=f"http://{host}:{port}/race")

    def race_result(self, race_id: str) -> str:
        """Final result page (archive). Never changes once published."""
        return f"{self.db_base.rstrip('/')}/race/{race_id}/"

    def day_list(self, day: dt.date) -> str:
        """Archive list of the races run on ``day``."""
        return f"{self.db_base.rstrip('/')}/race/list/{day:%Y%m%d}/"

    def upcoming_list(self, day: dt.date) -> str:
        """race.netkeiba's list of the races held on ``day`` (also future days)."""
        return f"{self.race_base.rstrip('/')}/top/race_list_sub.html?kaisai_date={day:%Y%m%d}"

    def race_card(self, race_id: str) -> str:
        return f"{self.race_base.rstrip('/')}/race/shutuba.html?race_id={race_id}"

    def fresh_result(self, race_id: str) -> str:
        return f"{self.race_base.rstrip('/')}/race/result.html?race_id={race_id}"

    def horse(self, horse_id: str) -> str:
        return f"{self.db_base.rstrip('/')}/horse/{horse_id}/"

    def horse_pedigree(self, horse_id: str) -> str:
        return f"{self.db_base.rstrip('/')}/horse/ped/{horse_id}/"

    def horse_results(self, horse_id: str) -> str:
        return f"{self.db_base.rstrip('/')}/horse/ajax_horse_results.html?input=UTF-8&id={horse_id}"
