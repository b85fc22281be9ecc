"""Prometheus metrics, one registry per app so that several apps in one process do not clash."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest

# The *_created gauges double the output and nobody reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.accepted = Counter(
            "bugrelay_reports_accepted",
            "Reports stored (first delivery of a report id).",
            registry=self.registry,
        )
        self.repeated = Counter(
            "bugrelay_reports_repeated",
            "Deliveries of a report id that was stored before (answered, nothing stored).",
            registry=self.registry,
        )
        self.refused = Counter(
            "bugrelay_reports_refused",
            "Report submissions refused, by the error code of the answer.",
            ["reason"],
            registry=self.registry,
        )
        self.sdk_discarded = Counter(
            "bugrelay_sdk_discarded_reports",
            "Reports that SDKs say they had to give up on, by project and reason.",
            ["project_id", "reason"],
            registry=self.registry,
        )

    def count_discarded(self, project_id: int, counts: Mapping[str, int]) -> None:
        for reason, count in counts.items():
            self.sdk_discarded.labels(project_id=str(project_id), reason=reason).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
