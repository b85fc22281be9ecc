"""The widget in real Chromium, reporting to the real collector.

A demo shop page logs, throws, clicks, navigates and fails a fetch; the user opens the widget
(launcher, shortcut, the page's own button), fills it in, takes a screenshot and sends. The
stored report must hold every piece of context, the server's trail of the same session, and
nothing of the masked fields, in the report or in the screenshot's pixels.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

import sdk
from tests.support import Collector, TcpGate, serve_asgi, start_collector, wait_until
from tests.widget.demo import MASKED_TEXT, SECRET, direct_page, shop_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
RELEASE = "2.4.1"
CSP_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """A collector of these tests' own, on SQLite: what is tested here does not depend on the
    database, and the suite's shared collectors (and their databases) are left alone."""
    data = tmp_path_factory.mktemp("widget-collector")
    with start_collector(data, f"sqlite:///{data / 'bugrelay.sqlite3'}") as running:
        yield running


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    with serve_asgi(shop_app()) as url:
        yield url


@pytest.fixture
def direct_url(collector: Collector) -> Iterator[Any]:
    """Serves the plain demo page (another origin than the collector's); call with the DSN."""
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import HTMLResponse, Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    from tests.widget.demo import PIXEL  # noqa: PLC0415

    settings: dict[str, str] = {"dsn": collector.dsn, "extra": ""}

    def index(request: Request) -> Response:
        lang = request.query_params.get("lang")
        html = direct_page(collector.url, settings["dsn"], RELEASE, settings["extra"])
        if lang:
            html = html.replace('<html lang="en">', f'<html lang="{lang}">')
        return HTMLResponse(html)

    def pixel(_: Request) -> Response:
        return Response(PIXEL, media_type="image/png")

    app = Starlette(routes=[Route("/", index), Route("/static/pixel.png", pixel)])
    with serve_asgi(app) as url:

        def configure(dsn: str | None = None, extra: str = "") -> str:
            settings["dsn"] = dsn or collector.dsn
            settings["extra"] = extra
            return url

        yield configure


def fill_in(page: Any, description: str, *, title: str = "", email: str = "") -> None:
    page.locator("[part=description]").fill(description)
    if title:
        page.locator("[part=title]").fill(title)
    if email:
        page.locator("[part=email]").fill(email)


def send(page: Any) -> str:
    page.locator("[part=send]").click()
    page.locator("[part=done-message]").wait_for(timeout=30_000)
    report_id: str = page.locator("[part=report-id]").input_value()
    return report_id


def stored_report(collector: Collector, report_id: str) -> dict[str, Any]:
    wait_until(lambda: collector.get_report(report_id).status_code == 200, timeout=30)
    report: dict[str, Any] = collector.get_report(report_id).json()
    return report


def attachment(collector: Collector, report_id: str, name: str) -> bytes:
    path = f"/api/v1/projects/{collector.project_id}/reports/{report_id}/attachments/{name}"
    answer = collector.admin_get(path)
    assert answer.status_code == 200, answer.text
    return answer.content


def test_a_report_from_a_real_page_has_every_piece_of_context(
    context: Any, shop_url: str, collector: Collector
) -> None:
    """Same-origin through the middleware, under a strict CSP with a nonce."""
    sdk.init(dsn=collector.dsn, release=RELEASE)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(shop_url + "/?utm=1&token=abc123")
    page.locator("#holder").fill(SECRET)  # typed by the user, as well as prefilled
    page.click("#to-cart")
    with page.expect_response("**/api/pay*"):
        page.click("#pay")
    page.click("#crash")
    page.wait_for_function("() => true")  # let the thrown error reach the window
    page.locator("[part=launcher]").click()
    dialog = page.get_by_role("dialog", name="Report a bug")
    dialog.wait_for()
    fill_in(page, "Pay now does nothing, the cart stays", title="Pay broken", email="ann@ex.com")
    page.locator("[part=category-bug]").check()
    page.locator("[part=impact-blocks_work]").check()
    page.locator("[part=screenshot]").click()
    surface = page.locator("[part=surface]")
    surface.wait_for(timeout=30_000)
    box = surface.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 10, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 40)
    page.mouse.up()
    masked_boxes = page.evaluate(
        """() => ['#holder', '#password', '#iban'].map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom];
        })"""
    )
    report_id = send(page)
    assert sdk.flush(10)
    report = stored_report(collector, report_id)

    assert report["kind"] == "bug"
    assert report["title"] == "Pay broken"
    assert report["impact"] == "blocks_work"
    assert report["tags"]["category"] == "bug"
    assert report["app"]["release"] == RELEASE
    assert report["sdk"]["name"] == "bugrelay.widget"
    browser = report["browser"]
    assert "Chrome" in browser["user_agent"]
    assert browser["viewport"] == {"width": 1100, "height": 800}
    assert browser["screen"]["width"] > 0
    assert browser["pixel_ratio"] == 1
    assert browser["language"] == "en-US"
    assert browser["timezone"]
    assert browser["url"].startswith(shop_url + "/cart?step=2")
    assert report["os"]["name"]
    assert report["runtime"]["name"]
    # The user: what the server knows about this session, with the email typed in the form.
    assert report["user"] == {
        "id": "customer-7",
        "plan": "enterprise",
        "segment": "vip",
        "email": "ann@ex.com",
    }
    logs = [(entry["logger"], entry["message"]) for entry in report["logs"]]
    assert ("console", "demo shop loaded") in logs
    assert any(m.startswith("paying") and "EUR" in m for lg, m in logs if lg == "console")
    assert ("shop.checkout", "rendered the cart page") in logs
    assert ("shop.checkout", "payment provider answered 502 for order A-1001") in logs
    steps = [(a["category"], a["message"]) for a in report["actions"]]
    categories = {c for c, _ in steps}
    assert {"navigation", "ui.click", "http", "error", "request"} <= categories
    clicks = [a for a in report["actions"] if a["category"] == "ui.click"]
    assert {"message": "#pay", "text": "Pay now"} in [
        {"message": a["message"], "text": (a.get("data") or {}).get("text")} for a in clicks
    ]
    assert ("request", "GET / 200") in steps
    assert ("request", "POST /api/pay 500") in steps
    failed = [n for n in report["network"] if "/api/pay" in n["url"]]
    assert [(n["method"], n["status"]) for n in failed] == [("POST", 500)]
    assert failed[0]["duration_ms"] >= 0
    exception = report["exception"]
    assert exception["type"] == "TypeError"
    assert exception["value"] == "cart.total is not a function"
    assert exception["handled"] is False
    assert exception["stack"]
    assert exception["frames"]
    assert set(report["extra"]["page_load"]) >= {"ttfb_ms", "dom_content_loaded_ms", "load_ms"}
    assert report["links"]["session_id"]
    # Nothing secret anywhere: the masked fields, the password, the query tokens.
    text = json.dumps(report)
    for secret in (SECRET, MASKED_TEXT, "abc123", "s3cr3t"):
        assert secret not in text
    assert page.evaluate("window.__csp") == []

    (shot,) = report["attachments"]
    assert (shot["name"], shot["content_type"]) == ("screenshot.png", "image/png")
    image = Image.open(io.BytesIO(attachment(collector, report_id, "screenshot.png")))
    assert image.width == 1100  # the viewport, at a device pixel ratio of 1
    rgb = image.convert("RGB")
    for left, top, right, bottom in masked_boxes:
        inner = rgb.crop((int(left) + 2, int(top) + 2, int(right) - 2, int(bottom) - 2))
        colours = inner.getcolors(maxcolors=4)
        assert colours is not None
        assert len(colours) == 1, f"a masked box at {left, top} shows more than one colour"
    # Not a blank image: the page's text and colours are there.
    assert len(rgb.getcolors(maxcolors=100_000) or range(100_001)) > 10


def test_keyboard_alone_opens_fills_and_sends(
    context: Any, direct_url: Any, collector: Collector
) -> None:
    page = context.new_page()
    page.goto(direct_url(extra='data-attach="#report"'))
    page.wait_for_function("() => window.BugRelay && document.querySelector('bugrelay-widget')")
    page.keyboard.press("Alt+Shift+B")  # the default shortcut
    page.get_by_role("dialog", name="Report a bug").wait_for()
    page.keyboard.type("The search box forgets what I typed")

    def focused_part() -> str | None:
        part: str | None = page.evaluate(
            "() => { const h = document.querySelector('bugrelay-widget');"
            " return document.activeElement === h && h.shadowRoot.activeElement"
            " ? h.shadowRoot.activeElement.getAttribute('part') : 'outside'; }"
        )
        return part

    seen = []
    for _ in range(60):  # Tab walks the dialog and never leaves it
        page.keyboard.press("Tab")
        seen.append(focused_part())
        if seen[-1] == "send":
            break
    assert "outside" not in seen
    assert seen[-1] == "send"
    page.keyboard.press("Enter")
    page.locator("[part=done-message]").wait_for(timeout=30_000)
    report_id = page.locator("[part=report-id]").input_value()
    report = stored_report(collector, report_id)
    assert report["description"] == "The search box forgets what I typed"
    page.keyboard.press("Escape")

    # The page's own button opens it; Esc closes it and focus goes back to that button.
    page.locator("#report").click()
    page.get_by_role("dialog", name="Report a bug").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("dialog", name="Report a bug").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "report"


def test_axe_finds_nothing_in_english_and_russian(
    context: Any, direct_url: Any, tmp_path: Path
) -> None:
    out = ROOT / "docs" / "img" if os.environ.get("BUGRELAY_UPDATE_SCREENSHOTS") else tmp_path
    axe = AXE.read_text()
    examples = {"en": "Pay now does nothing", "ru": "Кнопка «Оплатить» ничего не делает"}
    for lang, name in (("en", "Report a bug"), ("ru", "Сообщить об ошибке")):
        page = context.new_page()
        page.goto(direct_url() + f"?lang={lang}")
        page.wait_for_function("() => document.querySelector('bugrelay-widget')")
        page.locator("#holder").fill("")  # the docs' pictures show no test secrets
        page.locator("[part=launcher]").click()
        page.locator("[part=description]").fill(examples[lang])
        page.locator("[part=impact-annoying]").check()
        page.screenshot(path=str(out / f"widget-{lang}.png"))
        page.reload()
        page.wait_for_function("() => document.querySelector('bugrelay-widget')")
        page.evaluate(axe)
        closed = page.evaluate(AXE_RUN)
        assert closed == [], closed
        page.locator("[part=launcher]").click()
        page.get_by_role("dialog", name=name).wait_for()
        page.locator("[part=review]").click()  # the preview open, too
        opened = page.evaluate(AXE_RUN)
        assert opened == [], opened
        page.locator("[part=send]").click()  # empty: the errors shown
        page.locator("[part=description-error]").wait_for()
        invalid = page.evaluate(AXE_RUN)
        assert invalid == [], invalid
        page.locator("[part=description]").fill(examples[lang])  # fixed: the error goes
        assert page.locator("[part=description-error]").inner_text() == ""
        assert page.locator("[part=description]").get_attribute("aria-invalid") is None
        page.close()


AXE_RUN = """async () => {
  const result = await axe.run({ include: [["bugrelay-widget"]] });
  return result.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target).join(" | "));
}"""


@pytest.fixture
def gate(collector: Collector) -> Iterator[TcpGate]:
    """The network between the page and the collector, which a test cuts and restores."""
    relay = TcpGate(int(collector.url.rsplit(":", 1)[1]))
    try:
        yield relay
    finally:
        relay.close()


def through(gate: TcpGate, collector: Collector) -> str:
    """The collector's DSN, reached through the gate."""
    return f"http://{collector.public_key}@127.0.0.1:{gate.port}/{collector.project_id}"


def test_offline_then_online_delivers_exactly_once_and_a_reload_keeps_it(
    context: Any, direct_url: Any, collector: Collector, gate: TcpGate
) -> None:
    page = context.new_page()
    page.goto(direct_url(dsn=through(gate, collector)))
    page.locator("[part=launcher]").click()
    gate.close()  # the network to the collector is gone
    fill_in(page, "Sent while offline")
    report_id = send(page)
    assert collector.get_report(report_id).status_code == 404
    page.reload()  # the page comes back; the collector is still unreachable
    page.wait_for_function("() => document.querySelector('bugrelay-widget')")
    assert collector.get_report(report_id).status_code == 404
    assert page.evaluate(OUTBOX_IDS) == [report_id]
    gate.open()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    report = stored_report(collector, report_id)
    assert report["description"] == "Sent while offline"
    wait_until(lambda: page.evaluate(OUTBOX_IDS) == [])
    group = collector.admin_get(
        f"/api/v1/projects/{collector.project_id}/groups/{report['group_id']}"
    ).json()
    assert group["report_count"] == 1


OUTBOX_IDS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("bugrelay");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("outbox").objectStore("outbox").getAllKeys();
    request.onsuccess = () => { resolve(request.result); open.result.close(); };
  };
})"""


def test_a_fixed_report_shows_its_release_and_takes_a_rating(
    context: Any, direct_url: Any, collector: Collector
) -> None:
    page = context.new_page()
    url = direct_url(extra='data-status-interval="0"')
    page.goto(url)
    page.locator("[part=launcher]").click()
    fill_in(page, "Export to CSV loses the last row")
    report_id = send(page)
    report = stored_report(collector, report_id)
    fixed = requests.patch(
        f"{collector.url}/api/v1/projects/{collector.project_id}/groups/{report['group_id']}",
        json={"status": "fixed", "fixed_in": "2.4.2"},
        headers={"Authorization": f"Bearer {collector.admin_token}"},
        timeout=10,
    )
    assert fixed.status_code == 200, fixed.text
    page.reload()
    notice = page.locator("[part=notice]")
    notice.wait_for(timeout=30_000)
    assert "2.4.2" in notice.inner_text()
    star = page.locator("[part=rating-5]").get_attribute("id")
    page.locator(f"label[for={star}]").click()  # the fifth star, as a user clicks it
    assert page.locator("[part=rating-5]").is_checked()
    page.locator("[part=rating-comment]").fill("Quick fix, thanks")
    page.locator("[part=rating-send]").click()
    page.locator("[part=notice-status]").filter(has_text="Thank").wait_for()
    again = requests.post(
        f"{collector.url}/api/v1/projects/{collector.project_id}/reports/{report_id}/rating",
        json={"score": 1},
        headers={"X-BugRelay-Key": collector.public_key},
        timeout=10,
    )
    assert again.status_code == 409  # the widget's rating was stored
    page.reload()
    page.wait_for_function("() => document.querySelector('bugrelay-widget')")
    assert page.locator("[part=notice]").count() == 0  # asked once only


def test_russian_themed_and_above_the_pages_own_modal(context: Any, direct_url: Any) -> None:
    page = context.new_page()
    page.goto(direct_url() + "?lang=ru")
    page.add_style_tag(content="bugrelay-widget { --bugrelay-accent: rgb(200, 0, 90); }")
    page.evaluate("document.getElementById('page-modal').hidden = false")  # z-index 99999
    page.locator("[part=launcher]").click()
    dialog = page.get_by_role("dialog", name="Сообщить об ошибке")
    dialog.wait_for()
    assert page.locator("[part=send]").inner_text() == "Отправить"
    send_colour = page.locator("[part=send]").evaluate("(b) => getComputedStyle(b).backgroundColor")
    assert send_colour == "rgb(200, 0, 90)"
    box = dialog.bounding_box()
    assert box is not None
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).localName",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == "bugrelay-widget"


def test_the_api_never_throws_into_the_page(context: Any, direct_url: Any) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(direct_url())
    page.wait_for_function("() => document.querySelector('bugrelay-widget')")
    thrown = page.evaluate(
        """() => {
            const calls = [
              () => BugRelay.init(null), () => BugRelay.init({ dsn: "not a dsn" }),
              () => BugRelay.open(42), () => BugRelay.setUser("nobody"), () => BugRelay.attach(7),
              () => BugRelay.close(), () => BugRelay.close(), () => BugRelay.init({ fields: 3 }),
            ];
            const throws = (call) => { try { call(); return false; } catch (e) { return true; } };
            return calls.filter(throws).length;
        }"""
    )
    assert thrown == 0
    # The page's own hooks still run: the widget chains, never replaces.
    assert page.evaluate("(async () => (await fetch('/static/pixel.png')).status)()") == 200
    page.evaluate("history.pushState({}, '', '/moved')")
    assert page.url.endswith("/moved")
    assert errors == []


def test_a_pending_report_goes_out_as_a_beacon_when_the_page_is_hidden(
    context: Any, direct_url: Any, collector: Collector, gate: TcpGate
) -> None:
    page = context.new_page()
    page.goto(direct_url(dsn=through(gate, collector)))
    page.locator("[part=launcher]").click()
    gate.close()
    fill_in(page, "Sent as the tab closes")
    report_id = send(page)
    gate.open()
    with page.expect_request(lambda r: r.resource_type == "ping" and "/reports" in r.url):
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    report = stored_report(collector, report_id)
    assert report["description"] == "Sent as the tab closes"


def discarded_count(collector: Collector, reason: str) -> float:
    metrics = requests.get(collector.url + "/metrics", timeout=10).text
    label = f'project_id="{collector.project_id}",reason="{reason}"'
    for line in metrics.splitlines():
        if line.startswith("bugrelay_sdk_discarded_reports_total{") and label in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_report_refused_for_good_is_counted_and_shown(
    context: Any, direct_url: Any, collector: Collector
) -> None:
    before = discarded_count(collector, "rejected")
    page = context.new_page()
    page.goto(direct_url())
    page.wait_for_function("() => window.BugRelay && document.querySelector('bugrelay-widget')")
    # A page hook that breaks the report: the collector refuses it with a 422.
    page.evaluate("BugRelay.init({ beforeSend: (r) => ({ ...r, kind: 'nonsense' }) })")
    page.locator("[part=launcher]").click()
    fill_in(page, "This one the collector cannot take")
    with page.expect_response(lambda r: "/reports" in r.url and r.status == 422):
        page.locator("[part=send]").click()
    page.locator("[part=form-error]").filter(has_text="422").wait_for()
    wait_until(lambda: discarded_count(collector, "rejected") == before + 1)
    assert page.evaluate(OUTBOX_IDS) == []  # given up, not retried for ever
