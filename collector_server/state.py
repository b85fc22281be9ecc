from __future__ import annotations

from dataclasses import dataclass, field

from collector_server.config import Policies
from collector_server.metrics import Metrics
from collector_server.project_cache import ProjectCache
from collector_server.ratelimit import RateLimiter
from collector_server.settings import Settings
from collector_server.store import Store
from collector_server.store.writer import GroupCommitter


@dataclass(slots=True)
class AppState:
    """What every route needs, kept on ``app.state.bugrelay``."""

    settings: Settings
    store: Store
    metrics: Metrics
    projects: ProjectCache
    writer: GroupCommitter
    rate_limiter: RateLimiter | None = None  # None: rate limiting is off
    policies: Policies = field(default_factory=Policies)  # grouping and severity per project
