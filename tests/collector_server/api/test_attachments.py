"""Attachments: the store on real databases, the multipart reader and the upload and download
routes on a real HTTP server, and end to end through the collector.

Three layers, each on real things:

- the store (:class:`AttachmentStore`) on SQLite and PostgreSQL;
- :func:`read_multipart` in a small Starlette app, and :func:`put_attachment` /
  :func:`get_attachment` added to the collector's own app, each served by uvicorn on a loopback
  port in this process;
- the same through a ``bugrelay serve`` process: multipart reports, inline v1 attachments,
  uploads beside a report, the admin listing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import uvicorn
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from collector_server.api import attachments as api
from collector_server.app import create_app
from collector_server.attachments import (
    AttachmentLimits,
    DirectoryBlobs,
    NewAttachment,
    check_attachment,
)
from collector_server.errors import ApiError, api_error_handler
from collector_server.pipeline import assess
from collector_server.settings import Settings
from collector_server.store import ReportNotFoundError, Store
from collector_server.store.attachments import (
    AttachmentConflictError,
    TooManyAttachmentsError,
)
from collector_server.store.reports import NewReport
from collector_server.store.tables import attachments as attachments_table
from sdk.models import Report
from tests.support import ADMIN_TOKEN, Collector, free_port, run_concurrently

TS = "2026-11-25T10:00:00Z"
LIMITS = AttachmentLimits()


# --- real bytes ---------------------------------------------------------------------------


def png(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "JPEG")
    return out.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, compressed 1-bit PNG of 20000 x 20000 pixels: about 50 KB, 400 MP."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\0" * (1 + (width + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bomb_png()


def report_json(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "created_at": TS, "title": "Checkout fails", **fields}


@dataclass
class Part:
    field: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def multipart(parts: Iterable[Part], boundary: str = "bugrelay-test-boundary") -> tuple[bytes, str]:
    """A multipart/form-data body written by hand, so that tests control every header."""
    out = bytearray()
    for part in parts:
        disposition = f'form-data; name="{part.field}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if part.content_type is not None:
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def report_part(body: dict[str, Any] | None = None, *, as_file: bool = False) -> Part:
    data = json.dumps(body or report_json()).encode()
    if as_file:
        return Part("report", data, "report.json", "application/json")
    return Part("report", data)


def file_part(name: str, data: bytes, content_type: str | None = None) -> Part:
    return Part("file", data, name, content_type)


# --- servers ------------------------------------------------------------------------------


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """``app`` on uvicorn on a loopback port, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def new_report(project_id: int, attachments: list[NewAttachment] | None = None) -> NewReport:
    report = Report.model_validate(report_json())
    return NewReport(
        project_id,
        report,
        assess(report),
        report.model_dump_json(exclude_none=True),
        attachments=attachments or [],
    )


def attachment(name: str, data: bytes, content_type: str = "text/plain") -> NewAttachment:
    return check_attachment(name, content_type, data, LIMITS)


# --- the store, on SQLite and PostgreSQL ----------------------------------------------------


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


def test_a_report_and_its_attachments_are_stored_in_one_transaction(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    shot = check_attachment("shot.png", "image/png", png(), LIMITS)
    log = attachment("app.log", b"boom")
    stored = store.ingest(new_report(project.id, [shot, log]))
    listed = store.list_attachments(project.id, stored.report_id)
    assert [(a["name"], a["content_type"], a["size"], a["width"], a["height"]) for a in listed] == [
        ("shot.png", "image/png", len(shot.data), 64, 48),
        ("app.log", "text/plain", 4, None, None),
    ]
    assert listed[0]["sha256"] == hashlib.sha256(shot.data).hexdigest()
    got = store.get_attachment(project.id, stored.report_id, "shot.png")
    assert got.data == shot.data
    assert got.info() == listed[0]
    assert store.get_attachment(project.id, stored.report_id, "nope") is None
    # Only the report's own project sees them.
    other = store.create_project(f"att-{secrets.token_hex(4)}")
    assert store.list_attachments(other.id, stored.report_id) == []
    assert store.get_attachment(other.id, stored.report_id, "shot.png") is None


def test_a_report_whose_attachments_fail_is_not_stored_either(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    # The same name twice (the checks refuse it; here they are skipped): the insert fails.
    item = new_report(project.id, [attachment("a", b"1"), attachment("a", b"2")])
    with pytest.raises(IntegrityError):
        store.ingest(item)
    assert store.count_reports(project.id) == 0
    assert store.get_report(project.id, str(item.report.id)) is None


def test_a_repeated_report_keeps_the_attachments_of_its_first_delivery(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    first = new_report(project.id, [attachment("a.txt", b"first")])
    store.ingest(first)
    again = NewReport(
        project.id,
        first.report,
        first.assessment,
        first.payload,
        attachments=[attachment("a.txt", b"second"), attachment("b.txt", b"x")],
    )
    assert store.ingest(again).created is False
    listed = store.list_attachments(project.id, str(first.report.id))
    assert [(a["name"], a["size"]) for a in listed] == [("a.txt", 5)]


def test_adding_is_idempotent_by_name_and_bytes(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    report_id = store.ingest(new_report(project.id)).report_id
    item = attachment("trace.txt", b"trace")
    assert store.add_attachment(project.id, report_id, item, LIMITS) is True
    assert store.add_attachment(project.id, report_id, item, LIMITS) is False
    with pytest.raises(AttachmentConflictError, match=r"trace\.txt"):
        store.add_attachment(project.id, report_id, attachment("trace.txt", b"other"), LIMITS)
    assert len(store.list_attachments(project.id, report_id)) == 1


def test_adding_needs_the_report_in_that_project(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    other = store.create_project(f"att-{secrets.token_hex(4)}")
    report_id = store.ingest(new_report(project.id)).report_id
    item = attachment("a", b"x")
    for project_id, rid in ((other.id, report_id), (project.id, str(uuid.uuid4()))):
        with pytest.raises(ReportNotFoundError):
            store.add_attachment(project_id, rid, item, LIMITS)


def test_adding_counts_every_attachment_of_the_report(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    report_id = store.ingest(new_report(project.id, [attachment("inline", b"1")])).report_id
    limits = AttachmentLimits(max_count=2)
    assert store.add_attachment(project.id, report_id, attachment("second", b"2"), limits)
    with pytest.raises(TooManyAttachmentsError) as caught:
        store.add_attachment(project.id, report_id, attachment("third", b"3"), limits)
    assert caught.value.limit == 2
    # A repeat of one it has is still a repeat, not one too many.
    assert store.add_attachment(project.id, report_id, attachment("second", b"2"), limits) is False


def test_concurrent_uploads_of_one_file_store_it_once(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    report_id = store.ingest(new_report(project.id)).report_id
    item = attachment("same.txt", b"same bytes")
    results: list[bool] = []
    lock = threading.Lock()

    def upload() -> None:
        created = store.add_attachment(project.id, report_id, item, LIMITS)
        with lock:
            results.append(created)

    run_concurrently(upload, 8)
    assert sorted(results) == [False] * 7 + [True]
    assert len(store.list_attachments(project.id, report_id)) == 1


def test_concurrent_uploads_cannot_pass_the_count_limit(store: Store) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    report_id = store.ingest(new_report(project.id)).report_id
    limits = AttachmentLimits(max_count=3)
    refused: list[int] = []
    counter = iter(range(100))
    lock = threading.Lock()

    def upload() -> None:
        with lock:
            n = next(counter)
        try:
            store.add_attachment(project.id, report_id, attachment(f"f{n}", b"x"), limits)
        except TooManyAttachmentsError:
            with lock:
                refused.append(n)

    run_concurrently(upload, 8)
    assert len(refused) == 5
    assert len(store.list_attachments(project.id, report_id)) == 3


def test_directory_blobs_keep_the_bytes_out_of_the_row(store: Store, tmp_path: Path) -> None:
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    in_row = store.ingest(new_report(project.id, [attachment("before.txt", b"in the row")]))
    blobs = DirectoryBlobs(tmp_path / "blobs")
    store.blobs = blobs
    item = attachment("after.txt", b"in a file")
    report_id = store.ingest(new_report(project.id, [item])).report_id
    assert blobs.file(item.sha256).read_bytes() == b"in a file"
    with store.engine.connect() as conn:
        data = conn.execute(
            select(attachments_table.c.data).where(attachments_table.c.report_id == report_id)
        ).scalar_one()
    assert data is None
    assert store.get_attachment(project.id, report_id, "after.txt").data == b"in a file"
    # Rows stored before the switch keep their bytes where they are.
    assert store.get_attachment(project.id, in_row.report_id, "before.txt").data == b"in the row"
    # A file that went missing is reported as missing, not as empty.
    blobs.file(item.sha256).unlink()
    assert store.get_attachment(project.id, report_id, "after.txt").data is None


# --- read_multipart, in a small app ---------------------------------------------------------

JSON_LIMIT = 4096
SMALL = AttachmentLimits(max_bytes=8192, max_count=2)


async def _upload(request: Request) -> Response:
    raw, items = await api.read_multipart(request, JSON_LIMIT, SMALL)
    return JSONResponse(
        {
            "report": json.loads(raw),
            "attachments": [
                {
                    "name": i.name,
                    "content_type": i.content_type,
                    "size": i.size,
                    "sha256": i.sha256,
                    "width": i.width,
                }
                for i in items
            ],
        }
    )


@pytest.fixture(scope="module")
def reader_url() -> Iterator[str]:
    app = Starlette(
        routes=[Route("/upload", _upload, methods=["POST"])],
        exception_handlers={ApiError: api_error_handler},
    )
    with serve(app) as url:
        yield url + "/upload"


def post_parts(url: str, parts: Iterable[Part], **headers: str) -> requests.Response:
    body, content_type = multipart(parts)
    return requests.post(
        url, data=body, headers={"Content-Type": content_type, **headers}, timeout=30
    )


def error_of(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def test_a_multipart_report_gives_its_json_and_checked_files(reader_url: str) -> None:
    body = report_json()
    shot = png()
    response = post_parts(
        reader_url,
        [report_part(body), file_part("shot.png", shot, "image/png"), file_part("a.log", b"x")],
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["report"] == body
    assert answer["attachments"] == [
        {
            "name": "shot.png",
            "content_type": "image/png",
            "size": len(shot),
            "sha256": hashlib.sha256(shot).hexdigest(),
            "width": 64,
        },
        {
            "name": "a.log",
            "content_type": "application/octet-stream",
            "size": 1,
            "sha256": hashlib.sha256(b"x").hexdigest(),
            "width": None,
        },
    ]


def test_the_report_part_may_be_a_file_and_is_no_attachment(reader_url: str) -> None:
    parts = [
        report_part(as_file=True),
        file_part("a.txt", b"a", "text/plain"),
        file_part("b.txt", b"b", "text/plain"),
    ]
    response = post_parts(reader_url, parts)
    assert response.status_code == 200, response.text
    assert [a["name"] for a in response.json()["attachments"]] == ["a.txt", "b.txt"]


def test_a_report_alone_is_fine(reader_url: str) -> None:
    response = post_parts(reader_url, [report_part()])
    assert response.status_code == 200, response.text
    assert response.json()["attachments"] == []


MULTIPART_CASES = [
    ("no report part", [file_part("a.txt", b"a")], 422, "missing_report_part", "report"),
    ("two report parts", [report_part(), report_part()], 422, "invalid_multipart", "one"),
    (
        "an unknown text part",
        [report_part(), Part("comment", b"hello")],
        422,
        "unexpected_part",
        "comment",
    ),
    (
        "more text parts than the parser takes",
        [report_part(), *(Part(f"t{n}", b"x") for n in range(6))],
        422,
        "unexpected_part",
        "4",
    ),
    (
        "one file over the count",
        [report_part(), *(file_part(f"{n}.txt", b"x") for n in range(3))],
        413,
        "too_many_attachments",
        "limit of 2",
    ),
    (
        "many files over the count (the parser's own limit)",
        [report_part(), *(file_part(f"{n}.txt", b"x") for n in range(6))],
        413,
        "too_many_attachments",
        "limit of 2",
    ),
    (
        "a file over its limit",
        [report_part(), file_part("big.bin", b"x" * 8193)],
        413,
        "attachment_too_large",
        "8192",
    ),
    (
        "a report text part over the JSON limit",
        [Part("report", json.dumps(report_json(description="x" * 5000)).encode())],
        413,
        "report_too_large",
        "4096",
    ),
    (
        "a report file part over the JSON limit",
        [Part("report", b" " * 5000, "report.json", "application/json")],
        413,
        "report_too_large",
        "4096",
    ),
    (
        "a file without a name",
        [report_part(), file_part("", b"x")],
        422,
        "invalid_attachment",
        "empty",
    ),
    (
        "a file named with a path",
        [report_part(), file_part("../../etc/passwd", b"x")],
        422,
        "invalid_attachment",
        "slash",
    ),
    (
        "two files of one name",
        [report_part(), file_part("a.txt", b"1"), file_part("a.txt", b"2")],
        422,
        "duplicate_attachment",
        "a.txt",
    ),
    (
        "a JPEG said to be a PNG",
        [report_part(), file_part("shot.png", jpeg(), "image/png")],
        422,
        "image_type_mismatch",
        "image/jpeg",
    ),
]


@pytest.mark.parametrize(
    ("parts", "status", "code", "named"),
    [case[1:] for case in MULTIPART_CASES],
    ids=[case[0] for case in MULTIPART_CASES],
)
def test_multipart_refusals_are_specific(
    reader_url: str, parts: list[Part], status: int, code: str, named: str
) -> None:
    got_status, got_code, message = error_of(post_parts(reader_url, parts))
    assert (got_status, got_code) == (status, code), message
    assert named in message


def test_an_image_bomb_part_is_refused(reader_url: str) -> None:
    limits = AttachmentLimits()
    small_bomb = bomb_png(8_000, 6_000)  # 48 MP, about 8 KB: within SMALL's byte limit
    assert len(small_bomb) <= SMALL.max_bytes
    status, code, message = error_of(
        post_parts(reader_url, [report_part(), file_part("b.png", small_bomb, "image/png")])
    )
    assert (status, code) == (422, "image_bomb")
    assert str(limits.max_image_pixels) in message


def test_the_whole_body_is_bounded_before_it_is_parsed(reader_url: str) -> None:
    limit = api.multipart_limit(JSON_LIMIT, SMALL)
    body, content_type = multipart([report_part(), file_part("a", b"x" * (limit + 1))])
    response = requests.post(
        reader_url, data=body, headers={"Content-Type": content_type}, timeout=30
    )
    status, code, message = error_of(response)
    assert (status, code) == (413, "body_too_large")
    assert str(limit) in message


def test_a_chunked_body_is_cut_off_at_the_limit(reader_url: str) -> None:
    limit = api.multipart_limit(JSON_LIMIT, SMALL)
    body, content_type = multipart([report_part(), file_part("a", b"x" * (limit * 4))])

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = requests.post(
        reader_url, data=chunks(), headers={"Content-Type": content_type}, timeout=30
    )
    status, code, _ = error_of(response)
    assert (status, code) == (413, "body_too_large")


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Content-Type": "application/json"}, 415, "unsupported_media_type"),
        ({"Content-Type": "multipart/form-data"}, 400, "malformed_multipart"),
        (
            {
                "Content-Type": "multipart/form-data; boundary=bugrelay-test-boundary",
                "Content-Encoding": "gzip",
            },
            415,
            "unsupported_encoding",
        ),
    ],
    ids=["json", "no boundary", "gzip"],
)
def test_the_wrong_kind_of_body_is_refused(
    reader_url: str, headers: dict[str, str], status: int, code: str
) -> None:
    body, _ = multipart([report_part()])
    response = requests.post(reader_url, data=body, headers=headers, timeout=30)
    assert error_of(response)[:2] == (status, code)


# --- the upload and download routes, in the collector's app ----------------------------------


@dataclass
class App:
    url: str
    store: Store
    project_id: int
    key: str
    other_key: str
    small_project_id: int  # max 2 attachments of 4096 bytes
    small_key: str

    def upload(
        self,
        report_id: str,
        name: str,
        data: bytes,
        content_type: str | None = "text/plain",
        *,
        project_id: int | None = None,
        key: str | None = None,
        **headers: str,
    ) -> requests.Response:
        pid = self.project_id if project_id is None else project_id
        key = self.key if key is None else key
        sent = {"X-BugRelay-Key": key, **headers} if key else dict(headers)
        if content_type is not None:
            sent["Content-Type"] = content_type
        return requests.put(
            f"{self.url}/api/v1/projects/{pid}/reports/{report_id}/attachments/{quote(name)}",
            data=data,
            headers=sent,
            timeout=30,
        )

    def download(self, report_id: str, name: str, token: str = ADMIN_TOKEN) -> requests.Response:
        return requests.get(
            f"{self.url}{api.attachment_path(self.project_id, report_id, name)}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def new_report(self, project_id: int | None = None, key: str | None = None) -> str:
        body = report_json()
        pid = self.project_id if project_id is None else project_id
        response = requests.post(
            f"{self.url}/api/v1/projects/{pid}/reports",
            json=body,
            headers={"X-BugRelay-Key": key or self.key},
            timeout=30,
        )
        assert response.status_code == 202, response.text
        return str(body["id"])


@pytest.fixture(params=["database", "dir"])
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[App]:
    settings = Settings.from_env(
        {
            "BUGRELAY_DATA_DIR": str(tmp_path / "data"),
            "BUGRELAY_DATABASE_URL": database_url,
            "BUGRELAY_ADMIN_TOKEN": ADMIN_TOKEN,
            "BUGRELAY_RATE_LIMIT": "off",
            "BUGRELAY_ATTACHMENTS": (
                f"dir:{tmp_path / 'blobs'}" if request.param == "dir" else "database"
            ),
        }
    )
    store = Store.open(settings.database_url)
    project = store.create_project(f"att-{secrets.token_hex(4)}")
    other = store.create_project(f"att-{secrets.token_hex(4)}")
    small = store.create_project(f"att-{secrets.token_hex(4)}")
    small = store.update_project(small.name, {"max_attachments": 2, "max_attachment_bytes": 4096})
    with serve(create_app(settings, store)) as url:
        yield App(
            url, store, project.id, project.public_key, other.public_key, small.id, small.public_key
        )


def test_an_upload_is_stored_and_served_as_a_download(app: App) -> None:
    report_id = app.new_report()
    shot = png()
    response = app.upload(report_id, "screen shot.png", shot, "image/png")
    assert response.status_code == 201, response.text
    assert response.json() == {
        "report_id": report_id,
        "name": "screen shot.png",
        "size": len(shot),
        "sha256": hashlib.sha256(shot).hexdigest(),
        "content_type": "image/png",
    }
    served = app.download(report_id, "screen shot.png")
    assert served.status_code == 200, served.text
    assert served.content == shot
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"screen shot.png\"; filename*=UTF-8''screen%20shot.png"
    )
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_html_is_served_as_a_download_that_is_never_sniffed(app: App) -> None:
    report_id = app.new_report()
    page = b"<html><script>alert(document.cookie)</script></html>"
    assert app.upload(report_id, "page.html", page, "text/html; charset=utf-8").status_code == 201
    assert app.upload(report_id, "noname", b"<script>", None).status_code == 201
    served = app.download(report_id, "page.html")
    assert served.content == page
    assert served.headers["Content-Type"] == "text/html"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert app.download(report_id, "noname").headers["Content-Type"] == "application/octet-stream"


def test_a_non_ascii_name_survives_the_round_trip(app: App) -> None:
    report_id = app.new_report()
    name = 'снимок "1".png'
    assert app.upload(report_id, name, png(), "image/png").status_code == 201
    served = app.download(report_id, name)
    assert served.status_code == 200
    disposition = served.headers["Content-Disposition"]
    assert 'filename="______ _1_.png"' in disposition
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition


def test_a_repeat_is_200_and_other_bytes_under_the_name_are_409(app: App) -> None:
    report_id = app.new_report()
    first = app.upload(report_id, "trace.txt", b"trace", "text/plain")
    assert first.status_code == 201
    again = app.upload(report_id, "trace.txt", b"trace", "application/x-whatever")
    assert again.status_code == 200
    assert again.json() == first.json()  # the first upload's type stays
    status, code, message = error_of(app.upload(report_id, "trace.txt", b"other"))
    assert (status, code) == (409, "attachment_conflict")
    assert "trace.txt" in message


def test_the_admin_listing_gives_metadata_and_working_urls(app: App) -> None:
    report_id = app.new_report()
    app.upload(report_id, "a b.txt", b"hello")
    listing = requests.get(
        f"{app.url}/api/v1/projects/{app.project_id}/reports/{report_id}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    (item,) = listing.json()["attachments"]
    assert item["name"] == "a b.txt"
    assert item["size"] == 5
    assert item["url"] == app.url + api.attachment_path(app.project_id, report_id, "a b.txt")
    served = requests.get(
        item["url"], headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )
    assert served.content == b"hello"


@pytest.mark.parametrize(
    ("label", "status", "code"),
    [
        ("no key", 401, "missing_key"),
        ("another project's key", 403, "key_of_another_project"),
        ("no such report", 404, "report_not_found"),
        ("a report of another project", 404, "report_not_found"),
        ("not a report id", 400, "invalid_report_id"),
        ("a bad name", 422, "invalid_attachment"),
        ("gzip", 415, "unsupported_encoding"),
        ("a bomb", 422, "image_bomb"),
        ("a JPEG said to be a PNG", 422, "image_type_mismatch"),
        ("not an image", 422, "invalid_image"),
        ("an SVG", 415, "unsupported_image_type"),
    ],
)
def test_upload_refusals_are_specific_and_store_nothing(
    app: App, bomb: bytes, label: str, status: int, code: str
) -> None:
    report_id = app.new_report()
    name, data, content_type = "f.png", png(), "image/png"
    kwargs: dict[str, Any] = {}
    if label == "no key":
        kwargs["key"] = ""
    elif label == "another project's key":
        kwargs["key"] = app.other_key
    elif label == "no such report":
        report_id = str(uuid.uuid4())
    elif label == "a report of another project":
        report_id = app.new_report(app.small_project_id, app.small_key)
    elif label == "not a report id":
        report_id = "not-a-uuid"
    elif label == "a bad name":
        name = "a..png"
    elif label == "gzip":
        kwargs["Content-Encoding"] = "gzip"
    elif label == "a bomb":
        data = bomb
    elif label == "a JPEG said to be a PNG":
        data = jpeg()
    elif label == "not an image":
        data = b"<html>"
    elif label == "an SVG":
        data, content_type = b"<svg/>", "image/svg+xml"
    response = app.upload(report_id, name, data, content_type, **kwargs)
    got = error_of(response)
    assert got[:2] == (status, code), got
    if label not in ("no such report", "not a report id", "a report of another project"):
        assert app.store.list_attachments(app.project_id, report_id) == []


def test_upload_limits_are_the_projects_and_named(app: App) -> None:
    report_id = app.new_report(app.small_project_id, app.small_key)

    def upload(name: str, data: bytes) -> requests.Response:
        return app.upload(report_id, name, data, project_id=app.small_project_id, key=app.small_key)

    status, code, message = error_of(upload("big.txt", b"x" * 4097))
    assert (status, code) == (413, "attachment_too_large")
    assert "4096" in message
    # Without a Content-Length, the body is cut off while it is read.
    response = app.upload(
        report_id,
        "big.txt",
        iter([b"x" * 4000, b"x" * 4000]),
        project_id=app.small_project_id,
        key=app.small_key,
    )
    assert error_of(response)[:2] == (413, "attachment_too_large")
    assert upload("1.txt", b"1").status_code == 201
    assert upload("2.txt", b"2").status_code == 201
    status, code, message = error_of(upload("3.txt", b"3"))
    assert (status, code) == (413, "too_many_attachments")
    assert "2" in message


def test_the_default_limit_of_5_mib_is_answered_before_the_body_is_read(app: App) -> None:
    report_id = app.new_report()
    status, code, message = error_of(app.upload(report_id, "big.bin", b"x" * (5 * 1024 * 1024 + 1)))
    assert (status, code) == (413, "attachment_too_large")
    assert str(5 * 1024 * 1024) in message
    assert app.upload(report_id, "max.bin", b"x" * (5 * 1024 * 1024)).status_code == 201


def test_downloads_need_the_admin_token_and_an_existing_attachment(app: App) -> None:
    report_id = app.new_report()
    app.upload(report_id, "a.txt", b"a")
    assert error_of(app.download(report_id, "a.txt", token="wrong"))[:2] == (
        401,
        "invalid_admin_token",
    )
    assert error_of(app.download(report_id, "b.txt"))[:2] == (404, "attachment_not_found")
    assert error_of(app.download(str(uuid.uuid4()), "a.txt"))[:2] == (404, "attachment_not_found")
    missing_project = requests.get(
        f"{app.url}{api.attachment_path(987654, report_id, 'a.txt')}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert error_of(missing_project)[:2] == (404, "project_not_found")


# --- end to end, through `bugrelay serve` ---------------------------------------------------


def post_multipart(collector: Collector, parts: Iterable[Part]) -> requests.Response:
    body, content_type = multipart(parts)
    return requests.post(
        collector.reports_url,
        data=body,
        headers={"X-BugRelay-Key": collector.public_key, "Content-Type": content_type},
        timeout=60,
    )


def put_file(
    collector: Collector, report_id: str, name: str, data: bytes, content_type: str, key: str = ""
) -> requests.Response:
    return requests.put(
        f"{collector.reports_url}/{report_id}/attachments/{quote(name)}",
        data=data,
        headers={"X-BugRelay-Key": key or collector.public_key, "Content-Type": content_type},
        timeout=60,
    )


def admin_get_url(collector: Collector, url: str) -> requests.Response:
    return requests.get(
        url, headers={"Authorization": f"Bearer {collector.admin_token}"}, timeout=30
    )


def test_e2e_a_multipart_report_with_a_screenshot(collector: Collector) -> None:
    body = report_json()
    shot = png()
    response = post_multipart(
        collector,
        [report_part(body), file_part("shot.png", shot, "image/png"), file_part("a.log", b"x")],
    )
    assert response.status_code == 202, response.text
    stored = collector.get_report(body["id"]).json()
    listed = {a["name"]: a for a in stored["attachments"]}
    assert set(listed) == {"shot.png", "a.log"}
    assert (listed["shot.png"]["width"], listed["shot.png"]["size"]) == (64, len(shot))
    served = admin_get_url(collector, listed["shot.png"]["url"])
    assert served.content == shot
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment;")


def test_e2e_inline_v1_attachments_leave_the_stored_json(collector: Collector) -> None:
    data = b"log line\n"
    body = report_json(
        attachments=[
            {
                "name": "app.log",
                "content_type": "text/plain",
                "size": len(data),
                "data": base64.b64encode(data).decode(),
            }
        ]
    )
    assert collector.post_report(body).status_code == 202
    (item,) = collector.get_report(body["id"]).json()["attachments"]
    assert "data" not in item
    assert (item["name"], item["size"]) == ("app.log", len(data))
    assert admin_get_url(collector, item["url"]).content == data


def test_e2e_a_refused_attachment_refuses_the_whole_report(
    collector: Collector, bomb: bytes
) -> None:
    for parts, code in (
        ([file_part("b.png", bomb, "image/png")], "image_bomb"),
        ([file_part("j.png", jpeg(), "image/png")], "image_type_mismatch"),
        ([file_part(f"{n}.txt", b"x") for n in range(11)], "too_many_attachments"),
    ):
        body = report_json()
        response = post_multipart(collector, [report_part(body), *parts])
        assert error_of(response)[:2] in ((413, code), (422, code)), response.text
        assert collector.get_report(body["id"]).status_code == 404


def test_e2e_upload_beside_a_report(collector: Collector) -> None:
    body = report_json()
    assert collector.post_report(body).status_code == 202
    report_id = body["id"]
    first = put_file(collector, report_id, "trace.txt", b"trace", "text/plain")
    assert first.status_code == 201, first.text
    assert put_file(collector, report_id, "trace.txt", b"trace", "text/plain").status_code == 200
    assert error_of(put_file(collector, report_id, "trace.txt", b"other", "text/plain"))[:2] == (
        409,
        "attachment_conflict",
    )
    too_large = put_file(
        collector, report_id, "big.bin", b"x" * (5 * 1024 * 1024 + 1), "text/plain"
    )
    assert error_of(too_large)[:2] == (413, "attachment_too_large")
    for n in range(9):
        assert put_file(collector, report_id, f"{n}.txt", b"x", "text/plain").status_code == 201
    assert error_of(put_file(collector, report_id, "11th.txt", b"x", "text/plain"))[:2] == (
        413,
        "too_many_attachments",
    )
    listed = collector.get_report(report_id).json()["attachments"]
    assert len(listed) == 10


def test_e2e_another_projects_key_cannot_upload(collector: Collector) -> None:
    body = report_json()
    assert collector.post_report(body).status_code == 202
    dsn = collector.create_project(f"att-e2e-{secrets.token_hex(4)}")
    other_key = dsn.removeprefix("http://").partition("@")[0]
    response = put_file(collector, body["id"], "a.txt", b"a", "text/plain", key=other_key)
    assert error_of(response)[:2] == (403, "key_of_another_project")


def test_e2e_stored_timestamps_are_utc(collector: Collector) -> None:
    body = report_json()
    assert collector.post_report(body).status_code == 202
    assert put_file(collector, body["id"], "a.txt", b"a", "text/plain").status_code == 201
    (item,) = collector.get_report(body["id"]).json()["attachments"]
    assert datetime.fromisoformat(item["created_at"]).utcoffset() == UTC.utcoffset(None)
