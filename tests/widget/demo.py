"""The demo shop the browser tests use: a page that logs, errors, clicks and fails a fetch.

Two ways to serve it: through an app with the SDK's middleware (same-origin delivery, the
widget injected, the server's trail joined) under a strict CSP with a nonce, or as a plain
page on another origin that loads the widget from the collector with a DSN (CORS).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import sdk

SECRET = "hunter2-" + secrets.token_hex(4)  # typed into the page's masked fields
MASKED_TEXT = "IBAN DE89 " + secrets.token_hex(4)
log = logging.getLogger("shop.checkout")
log.setLevel(logging.INFO)

BODY = """
<header class="bar"><h1>Demo shop</h1><a href="#" id="to-cart">Cart</a></header>
<main>
  <p id="intro">Three items in your cart. The Pay button is broken on purpose.</p>
  <img src="/static/pixel.png" alt="a product" width="40" height="40">
  <label>Card holder <input id="holder" name="holder" value="{secret}"></label>
  <label>Password <input id="password" type="password" value="{secret}"></label>
  <div id="iban" data-bugrelay-mask>{masked}</div>
  <button id="pay" class="primary big">Pay now</button>
  <button id="crash">Break something</button>
  <button id="report">Report a problem</button>
  <div id="page-modal" class="modal" role="dialog" aria-label="Page modal" hidden>A page modal</div>
</main>
"""

SCRIPT = """document.addEventListener("DOMContentLoaded", () => {
document.getElementById("to-cart").addEventListener("click", (e) => {
  e.preventDefault(); history.pushState({}, "", "/cart?step=2&token=abc123");
});
document.getElementById("pay").addEventListener("click", async () => {
  console.warn("paying", {amount: 42, currency: "EUR"});
  try { await fetch("/api/pay?session_token=s3cr3t", {method: "POST"}); } catch (e) {}
});
document.getElementById("crash").addEventListener("click", () => {
  setTimeout(() => { throw new TypeError("cart.total is not a function"); }, 0);
});
window.addEventListener("load", () => console.log("demo shop loaded"));
});
"""

STYLE = """
body { font: 16px/1.4 system-ui, sans-serif; margin: 0; background: #fafafa; color: #111; }
.bar { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; background: #1e3a8a; }
.bar h1 { color: #fff; font-size: 1.2rem; margin: 0; } .bar a { color: #fff; }
main { padding: 1rem; display: grid; gap: .75rem; max-width: 32rem; }
#iban { padding: .5rem; background: #fde68a; }
.modal { position: fixed; inset: 20% 20%; z-index: 99999; background: #fff; border: 1px solid; }
"""


def page(head: str, lang: str = "en") -> str:
    body = BODY.format(secret=SECRET, masked=MASKED_TEXT)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>Demo shop</title>{head}</head><body>{body}</body></html>"
    )


PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf50000003010100c9fe92ef0000000049454e44ae426082"
)


def shop_app(nonce: str = "demo-nonce") -> Any:
    """The shop as a Starlette app with the middleware: strict CSP, script and style by URL."""
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import HTMLResponse, JSONResponse, Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    from sdk.integrations.asgi import BugRelayMiddleware  # noqa: PLC0415

    csp = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self';"
        " img-src 'self' data: blob:; connect-src 'self'"
    )

    def index(request: Request) -> Response:
        lang = request.query_params.get("lang", "en")
        head = (
            '<link rel="stylesheet" href="/static/shop.css">'
            f'<script src="/static/shop.js" nonce="{nonce}" defer></script>'
        )
        log.info("rendered the cart page")
        sdk.set_user(id="customer-7", plan="enterprise", segment="vip")
        return HTMLResponse(page(head, lang), headers={"Content-Security-Policy": csp})

    def pay(_: Request) -> Response:
        log.error("payment provider answered 502 for order %s", "A-1001")
        return JSONResponse({"error": "payment failed"}, status_code=500)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "shop.js":
            return Response(SCRIPT, media_type="application/javascript")
        if name == "shop.css":
            return Response(STYLE, media_type="text/css")
        return Response(PIXEL, media_type="image/png")

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/cart", index),
            Route("/api/pay", pay, methods=["POST"]),
            Route("/static/{name}", static),
        ]
    )
    return BugRelayMiddleware(app)


def direct_page(collector_url: str, dsn: str, release: str, extra: str = "") -> str:
    """The shop as a plain page on its own origin, loading the widget from the collector."""
    head = (
        f"<style>{STYLE}</style><script>{SCRIPT}</script>"
        f'<script src="{collector_url}/widget.js" data-dsn="{dsn}" data-release="{release}"'
        f" {extra} async></script>"
    )
    return page(head)
