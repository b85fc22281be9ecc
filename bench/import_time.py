"""How much `import sdk` and `sdk.init()` cost a host app, as ratios against anchors.

Each figure is the median of N fresh interpreters (`python -X importtime` is not used: it adds
its own overhead). Printed as ratios to `python -c pass` and to `import json`, and to sentry-sdk
when it is installed, all measured in this run.

    .venv/bin/python bench/import_time.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

SNIPPETS = {
    "bare interpreter": "pass",
    "import json": "import json",
    "import sdk": "import sdk",
    "import sdk + init(dsn)": "import sdk; sdk.init('http://k@127.0.0.1:9/1')",
    "import sentry_sdk": "import sentry_sdk",
    "import sentry_sdk + init(dsn)": "import sentry_sdk; sentry_sdk.init('http://k@127.0.0.1:9/1')",
}


def measure(code: str, runs: int) -> float | None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
        if result.returncode:
            return None
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    results = {name: measure(code, runs) for name, code in SNIPPETS.items()}
    bare = results["bare interpreter"]
    assert bare is not None
    print(f"median of {runs} fresh interpreters; cost = time minus the bare interpreter's")
    print(f"{'':32} {'ms':>8} {'cost ms':>8} {'x bare':>8}")
    for name, value in results.items():
        if value is None:
            print(f"{name:32} {'(not installed)':>26}")
            continue
        print(f"{name:32} {value * 1000:8.1f} {(value - bare) * 1000:8.1f} {value / bare:8.2f}")
    print()
    for label, ours_name, theirs_name in (
        ("import", "import sdk", "import sentry_sdk"),
        ("import + init", "import sdk + init(dsn)", "import sentry_sdk + init(dsn)"),
    ):
        ours, theirs = results[ours_name], results[theirs_name]
        if ours is not None and theirs is not None:
            ratio = (ours - bare) / max(theirs - bare, 1e-9)
            print(f"{label} cost, sdk / sentry_sdk: {ratio:.2f}")


if __name__ == "__main__":
    main()
