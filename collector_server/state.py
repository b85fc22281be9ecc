from __future__ import annotations

from dataclasses import dataclass

from collector_server.metrics import Metrics
from collector_server.ratelimit import TokenBuckets
from collector_server.settings import Settings
from collector_server.store import Store


@dataclass(slots=True)
class AppState:
    """What every route needs, kept on ``app.state.bugrelay``."""

    settings: Settings
    store: Store
    metrics: Metrics
    per_ip: TokenBuckets | None = None  # None: rate limiting is off
    per_key: TokenBuckets | None = None
