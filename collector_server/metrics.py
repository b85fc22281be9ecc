"""Prometheus metrics, one registry per app so that several apps in one process do not clash."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

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

        self.intake_seconds = Histogram(
            "bugrelay_intake_seconds",
            "Time from a report request's arrival to its answer, for answered reports.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "bugrelay_write_batch_size",
            "Reports written per database transaction (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.rate_limit_backend_errors = Counter(
            "bugrelay_rate_limit_backend_errors",
            "Rate-limit checks that could not reach the shared backend (requests let through).",
            registry=self.registry,
        )

    def count_discarded(self, project_id: int, counts: Mapping[str, int]) -> None:
        for reason, count in counts.items():
            self.sdk_discarded.labels(project_id=str(project_id), reason=reason).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
