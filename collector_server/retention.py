"""The retention job: every project's reports older than its retention are deleted.

``bugrelay serve`` runs it an hour apart (the first run a minute after start); ``bugrelay
retention run`` runs it once, for cron or by hand. With several collectors on PostgreSQL, a
session advisory lock lets one of them run it at a time; the others skip that round. A project's
``retention_days`` of 0 keeps its reports forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from collector_server.settings import Settings
from collector_server.store import Store

logger = logging.getLogger("bugrelay.collector")

INTERVAL_SECONDS = 3600.0
FIRST_RUN_AFTER_SECONDS = 60.0
_LOCK_ID = 0x6275_6773  # "bugs"


@dataclass(slots=True)
class RetentionResult:
    ran: bool = True  # False: another collector holds the lock
    reports: int = 0
    attachments: int = 0
    per_project: dict[str, int] = field(default_factory=dict)


def run_retention(
    store: Store,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> RetentionResult:
    """One pass over every project; returns what was deleted (the files no attachment uses
    any more too, from ``store.blobs``)."""
    now = now or datetime.now(UTC)
    with store.engine.connect() as lock_conn:
        if store.dialect == "postgresql":
            got = lock_conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": _LOCK_ID})
            if not got.scalar_one():
                return RetentionResult(ran=False)
        try:
            return _run(store, settings, now)
        finally:
            if store.dialect == "postgresql":
                lock_conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                lock_conn.commit()


def _run(store: Store, settings: Settings, now: datetime) -> RetentionResult:
    result = RetentionResult()
    for project in store.list_projects():
        days = settings.retention_days if project.retention_days is None else project.retention_days
        if days <= 0:
            continue
        cutoff = now - timedelta(days=days)
        while True:
            deleted = store.delete_reports_before(project.id, cutoff)
            for sha in deleted.orphaned_blobs:
                store.blobs.delete(sha)
            result.reports += deleted.reports
            result.attachments += deleted.attachments
            if deleted.reports:
                result.per_project[project.name] = (
                    result.per_project.get(project.name, 0) + deleted.reports
                )
            if deleted.reports == 0:
                break
    if result.reports:
        logger.info(
            "retention: deleted %d reports and %d attachments (%s)",
            result.reports,
            result.attachments,
            ", ".join(f"{name}: {count}" for name, count in sorted(result.per_project.items())),
        )
    return result


async def retention_loop(
    store: Store,
    settings: Settings,
    *,
    on_result: Callable[[RetentionResult], None] | None = None,
) -> None:
    """Run :func:`run_retention` every hour until cancelled; a failed round is logged."""
    await asyncio.sleep(FIRST_RUN_AFTER_SECONDS)
    while True:
        try:
            result = await asyncio.to_thread(run_retention, store, settings)
        except Exception:
            logger.exception("retention: the round failed; the next one is in an hour")
        else:
            if on_result is not None:
                on_result(result)
        await asyncio.sleep(INTERVAL_SECONDS)
