"""What happens to a report between validation and storage.

    scrub -> fingerprint -> (dedup, in the store's transaction) -> severity -> outbox

Each step is a small pure function of the report; :func:`assess` runs the ones that need no
database. Grouping itself happens in :meth:`collector_server.store.Store.ingest`, inside the
same transaction that stores the report, so concurrent collectors never split or double-count
a group.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector_server.pipeline.fingerprint import fingerprint
from collector_server.pipeline.severity import Severity, assess_severity
from sdk.models import Report


@dataclass(frozen=True, slots=True)
class Assessment:
    fingerprint: str
    severity: Severity


def assess(report: Report) -> Assessment:
    return Assessment(fingerprint=fingerprint(report), severity=assess_severity(report))


__all__ = ["Assessment", "Severity", "assess"]
