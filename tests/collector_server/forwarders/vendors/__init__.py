"""Fakes of the ticketing vendors' APIs for the forwarders' contract tests.

``VendorFake(profile)`` is a real HTTP server on a loopback port (``base_url``) that checks every
request against the vendor's published contract in ``../shared/contracts/``, answers like the
vendor, keeps tickets in memory and sends the vendor's signed status webhooks::

    with VendorFake(GitHubProfile(token="t", repo="acme/shop")) as github:
        forwarder = GitHubForwarder(base_url=github.base_url, ...)
        ...
        assert github.violations == []
        github.send_webhook(collector_url, "closed", number=1)

One module per vendor; ``_core`` holds the server and the request pipeline.
"""

from tests.collector_server.forwarders.vendors._core import (
    CONTRACTS,
    Answer,
    Call,
    Route,
    VendorFake,
    VendorProfile,
    Violation,
    contract_validator,
    schema_errors,
)
from tests.collector_server.forwarders.vendors.github import GitHubProfile
from tests.collector_server.forwarders.vendors.gitlab import GitLabProfile
from tests.collector_server.forwarders.vendors.jira import JiraProfile
from tests.collector_server.forwarders.vendors.linear import LinearProfile
from tests.collector_server.forwarders.vendors.slack import SlackProfile
from tests.collector_server.forwarders.vendors.telegram import TelegramProfile
from tests.collector_server.forwarders.vendors.zendesk import ZendeskProfile

__all__ = [
    "CONTRACTS",
    "Answer",
    "Call",
    "GitHubProfile",
    "GitLabProfile",
    "JiraProfile",
    "LinearProfile",
    "Route",
    "SlackProfile",
    "TelegramProfile",
    "VendorFake",
    "VendorProfile",
    "Violation",
    "ZendeskProfile",
    "contract_validator",
    "schema_errors",
]
