"""The widget's cost to a page, measured in real Chromium: size, evaluation, per-fetch overhead.

    .venv/bin/python bench/widget.py [--loads 40] [--fetches 400]

- **Size**: the core and the screenshot chunk, minified and gzipped (-9), against the 15 KB
  budget of the core.
- **Evaluation on page load**: the core inlined in a page, timed from just before its script
  element to just after (parse, compile and run), against an anchor script of the same size
  that only assigns a string; pages alternate, medians of ``--loads`` each. The figure is the
  extra time of the widget over the anchor, and their ratio.
- **Per-fetch overhead**: ``fetch()`` of a local endpoint through the widget's wrapper against
  the page's own unwrapped ``fetch`` saved before the widget loaded, interleaved in blocks, for
  an answer that succeeds (200) and one that fails (404, which the wrapper records); the ratio
  of medians.

All figures are ratios within one run (this machine is shared and noisy); the milliseconds are
printed for orientation only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sdk.integrations import assets  # noqa: E402
from tests.support import serve_asgi  # noqa: E402
from tests.widget.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

CORE_BUDGET = 15 * 1024


def sizes() -> dict[str, int]:
    return {name: len(gzip.compress(assets.asset(name).body, 9)) for name in assets.NAMES}


def bench_app() -> Any:
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import HTMLResponse, JSONResponse, Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    core = assets.asset("widget.js").body.decode()
    anchor_literal = json.dumps("x" * max(0, len(core) - 20))

    def page(request: Request) -> Response:
        kind = request.query_params.get("kind", "widget")
        code = core if kind == "widget" else f"window.__anchor={anchor_literal};"
        html = (
            "<!doctype html><html><head><meta charset=utf-8>"
            "<script>window.__plainFetch=window.fetch;window.__t0=performance.now()</script>"
            f'<script data-endpoint="/x" data-button="false">{code}</script>'
            "<script>window.__t1=performance.now()</script></head><body>bench</body></html>"
        )
        return HTMLResponse(html)

    def ok(_: Request) -> Response:
        return JSONResponse({"ok": True})

    def missing(_: Request) -> Response:
        return JSONResponse({"error": "no"}, status_code=404)

    return Starlette(routes=[Route("/", page), Route("/ok", ok), Route("/missing", missing)])


FETCH_LOOP = """async ([path, n, wrapped]) => {
  const f = wrapped ? window.fetch : window.__plainFetch;
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await f(path);
    await r.arrayBuffer();
    times.push(performance.now() - t);
  }
  return times;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--fetches", type=int, default=400)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    gz = sizes()
    print("size (gzip -9):")
    for name, size in gz.items():
        print(f"  {name:22} {size:7,d} B  ({size / 1024:.1f} KB)")
    core = gz["widget.js"]
    print(f"  core against the 15 KB budget: {core / CORE_BUDGET:.2f} of it")

    with serve_asgi(bench_app()) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        evaluation: dict[str, list[float]] = {"widget": [], "anchor": []}
        for _ in range(args.loads):
            for kind in ("anchor", "widget"):
                page.goto(f"{url}/?kind={kind}")
                evaluation[kind].append(page.evaluate("window.__t1 - window.__t0"))
        widget_ms = statistics.median(evaluation["widget"])
        anchor_ms = statistics.median(evaluation["anchor"])
        print("evaluation on page load (median):")
        print(f"  widget {widget_ms:.2f} ms, anchor of the same size {anchor_ms:.2f} ms")
        print(f"  widget / anchor: {widget_ms / max(anchor_ms, 1e-3):.2f}")

        page.goto(f"{url}/?kind=widget")
        print("per-fetch overhead (median of", args.fetches, "each, interleaved):")
        for path in ("/ok", "/missing"):
            plain: list[float] = []
            wrapped: list[float] = []
            page.evaluate(FETCH_LOOP, [path, 20, True])  # warm up both paths
            page.evaluate(FETCH_LOOP, [path, 20, False])
            block = 25
            for _ in range(max(1, args.fetches // block)):
                plain += page.evaluate(FETCH_LOOP, [path, block, False])
                wrapped += page.evaluate(FETCH_LOOP, [path, block, True])
            p, w = statistics.median(plain), statistics.median(wrapped)
            print(f"  {path:9} unwrapped {p:.3f} ms, wrapped {w:.3f} ms, ratio {w / p:.3f}")
        browser.close()


if __name__ == "__main__":
    main()
