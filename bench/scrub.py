"""What the collector's scrubbing costs a report, as ratios against validating the same report.

    .venv/bin/python bench/scrub.py [--rounds N] [--calls N]

Three reports of about 3.5 KB as JSON, each a typical bug report (a description, 8 actions of
several kinds, 4 log records, an exception with 4 frames, 2 failed requests, tags, extra):

1. clean: nothing in it to scrub, the common case; ``scrub_report`` only runs its pre-check.
   Target: at most 1.0 (scrubbing costs no more than validating).
2. secret-laden: the same report with a secret of every pattern spread over its fields;
   ``scrub_report`` scrubs it field by field, validates it again and lists the paths. No target:
   it is the rare case, shown so that nobody is surprised by it.
3. scrubbed: the secret-laden report as scrubbing left it, with ``[Filtered]`` where the secrets
   were, as reports the SDK scrubbed arrive. The pre-check calls it clean without scrubbing it,
   after a closer look at each denied name it finds before a separator. No target.

The anchor, ``Report.model_validate`` of the same decoded JSON, is what the intake already does
for every report. Figures are medians over rounds; each round times a batch of calls of one
kind, the kinds interleaved.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from collector_server.pipeline.scrub import ScrubSettings, scrub_report
from sdk.models import Report

TS = "2026-11-25T10:00:00Z"
SETTINGS = ScrubSettings()

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsIm5hbWUiOiJBbm4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
SECRETS = {  # field -> text with a secret, one per pattern and a few denied keys
    "description": "Logged in with password=hunter2 and the page went blank.",
    "log": "POST /api/login Authorization: Bearer 9f8e7d6c5b4a39281706",
    "action": f"reset link /reset/{JWT} opened",
    "card": "paid with 4111 1111 1111 1111, then nothing",
    "iban": "refund to DE89 3704 0044 0532 0130 00",
    "aws": "boto3 used AKIAIOSFODNN7EXAMPLE",
    "vendor": "git push with ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "url": "https://app:s3cret@db.internal.example/shop?token=abc123&page=2",
}


def clean_report() -> dict[str, Any]:
    categories = ("ui.click", "navigation", "http", "log", "ui.input")
    actions = [
        {
            "timestamp": f"2026-11-25T10:00:{i:02d}Z",
            "category": categories[i % len(categories)],
            "message": f"clicked button {i} on the settings page",
            "data": {"selector": f"#b{i}", "page": "/settings/profile"}
            if i % 2
            else {"url": f"https://shop.example.com/api/items/{i}?page=2", "status": 200},
        }
        for i in range(8)
    ]
    logs = [
        {
            "timestamp": f"2026-11-25T10:00:{i:02d}Z",
            "level": "warning" if i % 3 else "error",
            "logger": "shop.api",
            "message": f"GET /api/items/{i} took {i * 37} ms (cache miss, retry {i % 3})",
        }
        for i in range(4)
    ]
    frames = [
        {
            "module": f"shop.cart.step{i}",
            "function": f"compute_total_{i}",
            "file": f"shop/cart/step{i}.py",
            "line": 10 + i,
            "in_app": True,
            "code": f"total = sum(item.price for item in cart.items[{i}:])",
        }
        for i in range(4)
    ]
    return {
        "id": str(uuid.UUID(int=1)),
        "created_at": TS,
        "title": "Save does nothing on the profile page",
        "description": "I clicked Save and nothing happened. " * 2,
        "user": {"id": "42", "email": "ann@example.com", "name": "Ann", "plan": "pro"},
        "app": {"name": "shop", "release": "2.4.1", "environment": "production"},
        "runtime": {"name": "CPython", "version": "3.11.7"},
        "os": {"name": "Linux", "version": "6.1"},
        "browser": {"name": "Chrome", "url": "https://shop.example.com/settings?tab=profile"},
        "actions": actions,
        "logs": logs,
        "exception": {"type": "KeyError", "value": "'price'", "frames": frames},
        "network": [
            {"method": "POST", "url": "https://shop.example.com/api/save?draft=1", "status": 500},
            {"method": "GET", "url": "/api/profile", "status": 502, "duration_ms": 31.5},
        ],
        "tags": {"feature": "settings", "page": "profile", "build": "881"},
        "extra": {"cart": {"items": 3, "total": "59.90", "currency": "EUR"}, "order": "A-77"},
    }


def secret_report() -> dict[str, Any]:
    data = clean_report()
    data["description"] += SECRETS["description"]
    data["logs"][3]["message"] = SECRETS["log"]
    data["actions"][5]["message"] = SECRETS["action"]
    data["actions"][2]["message"] = SECRETS["card"]
    data["actions"][7]["data"]["headers"] = [["Authorization", "Basic YXBwOnMzY3JldA=="]]
    data["logs"][1]["message"] = SECRETS["iban"]
    data["exception"]["value"] = SECRETS["aws"]
    data["extra"]["push"] = SECRETS["vendor"]
    data["extra"]["api_key"] = "k-123456"
    data["network"][0]["url"] = SECRETS["url"]
    return data


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(data: dict[str, Any], rounds: int, calls: int) -> tuple[float, float]:
    report = Report.model_validate(data)
    scrub_report(report, SETTINGS)  # the scrubber of the settings is built once, not timed
    validate, scrub = [], []
    for _ in range(rounds):
        validate.append(per_call(lambda: Report.model_validate(data), calls))
        scrub.append(per_call(lambda: scrub_report(report, SETTINGS), calls))
    return statistics.median(validate), statistics.median(scrub)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    scrubbed = scrub_report(Report.model_validate(secret_report()), SETTINGS)[0]
    reports = {
        "clean": clean_report(),
        "secret-laden": secret_report(),
        "scrubbed": scrubbed.model_dump(mode="json", exclude_none=True),
    }
    for name, data in reports.items():
        report = Report.model_validate(data)
        _, paths = scrub_report(report, SETTINGS)
        size = len(json.dumps(data, separators=(",", ":")))
        validate, scrub = measure(data, args.rounds, args.calls)
        print(
            f"{name:>12}: {size} bytes, {len(paths)} fields scrubbed; "
            f"validate {validate * 1e6:.1f} us, scrub_report {scrub * 1e6:.1f} us, "
            f"ratio {scrub / validate:.2f}" + (" (target <= 1.0)" if name == "clean" else "")
        )


if __name__ == "__main__":
    main()
