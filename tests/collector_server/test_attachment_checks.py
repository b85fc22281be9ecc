"""Attachment checks, inline v1 attachments and the directory blob store, on real bytes."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
from PIL import Image

from collector_server.attachments import (
    BLOB_GRACE_SECONDS,
    OCTET_STREAM,
    AttachmentLimits,
    CorruptBlobError,
    DatabaseBlobs,
    DirectoryBlobs,
    NewAttachment,
    blob_store,
    check_attachment,
    check_attachment_set,
    inline_attachments,
    sanitise_content_type,
)
from collector_server.errors import ApiError
from collector_server.store import Store
from sdk.models import Report

LIMITS = AttachmentLimits()


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A real 1-bit PNG of any size, written row by row (Pillow would hold it all in memory):
    20000 x 20000 is 50 MB of pixels in about 50 KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + (width + 7) // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def refusal(name: str, content_type: str | None, data: bytes, limits: AttachmentLimits) -> ApiError:
    with pytest.raises(ApiError) as caught:
        check_attachment(name, content_type, data, limits)
    return caught.value


def test_an_image_is_checked_and_measured() -> None:
    data = image_bytes("PNG")
    item = check_attachment("screenshot.png", "image/png", data, LIMITS)
    assert (item.content_type, item.width, item.height) == ("image/png", 40, 30)
    assert item.size == len(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("declared", "fmt"),
    [("image/jpeg", "JPEG"), ("image/jpg", "JPEG"), ("image/gif", "GIF"), ("IMAGE/PNG", "PNG")],
)
def test_each_checked_image_type_and_its_aliases(declared: str, fmt: str) -> None:
    item = check_attachment("a", declared, image_bytes(fmt), LIMITS)
    assert item.content_type == Image.MIME[fmt]
    assert item.width == 40


def test_other_files_are_kept_as_given_with_a_plain_content_type() -> None:
    item = check_attachment("app.log", "Text/Plain; charset=latin-1", b"\x00\xffline", LIMITS)
    assert (item.content_type, item.data, item.width) == ("text/plain", b"\x00\xffline", None)
    # An image declared as a file is a file: not sniffed, not refused.
    assert check_attachment("x.bin", None, image_bytes("JPEG"), LIMITS).content_type == OCTET_STREAM


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (None, OCTET_STREAM),
        ("", OCTET_STREAM),
        ("text/html", "text/html"),
        ("application/vnd.api+json; q=1", "application/vnd.api+json"),
        ("not a type", OCTET_STREAM),
        ("text/plain\r\nX-Evil: 1", OCTET_STREAM),
        ("a/" + "b" * 200, OCTET_STREAM),
    ],
)
def test_content_types_are_sanitised(declared: str | None, expected: str) -> None:
    assert sanitise_content_type(declared) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 101,
        "logs/app.log",
        "C:\\shot.png",
        "..",
        "a..b",
        "shot\x00.png",
        "line\nbreak",
        "evil\u202egnp.exe",  # a right-to-left override hiding the real extension
    ],
)
def test_bad_names_are_refused_by_name(name: str) -> None:
    error = refusal(name, "text/plain", b"x", LIMITS)
    assert (error.status, error.code) == (422, "invalid_attachment")


def test_a_name_of_100_characters_of_any_script_is_fine() -> None:
    assert check_attachment("снимок экрана 🖼" + "x" * 85, None, b"x", LIMITS).name


def test_too_large_names_the_limit() -> None:
    error = refusal("big.log", "text/plain", b"x" * 1025, AttachmentLimits(max_bytes=1024))
    assert (error.status, error.code) == (413, "attachment_too_large")
    assert "1024" in error.message
    assert "big.log" in error.message


def test_an_image_that_is_another_type_is_refused() -> None:
    error = refusal("shot.png", "image/png", image_bytes("JPEG"), LIMITS)
    assert (error.status, error.code) == (422, "image_type_mismatch")
    assert "image/jpeg" in error.message


@pytest.mark.parametrize(
    "data", [b"<html><script>alert(1)</script></html>", image_bytes("PNG")[:60], b""]
)
def test_an_image_that_is_no_image_or_broken_is_refused(data: bytes) -> None:
    error = refusal("shot.png", "image/png", data, LIMITS)
    assert (error.status, error.code) == (422, "invalid_image")


def test_a_declared_image_type_that_is_not_checked_is_unsupported() -> None:
    error = refusal("a.svg", "image/svg+xml", b"<svg onload='alert(1)'/>", LIMITS)
    assert (error.status, error.code) == (415, "unsupported_image_type")
    assert "image/png" in error.message


@pytest.mark.parametrize(
    ("size", "why"),
    [
        ((20_000, 20_000), "over twice the limit: Pillow's DecompressionBombError"),
        ((8_000, 8_000), "over the limit: Pillow's DecompressionBombWarning"),
        ((70_000, 1), "a side over the limit"),
    ],
)
def test_image_bombs_are_refused_without_decoding(size: tuple[int, int], why: str) -> None:
    data = png_header_only(*size)
    assert len(data) < 200_000, why
    error = refusal("bomb.png", "image/png", data, LIMITS)
    assert (error.status, error.code) == (422, "image_bomb"), why
    assert str(LIMITS.max_image_pixels) in error.message


def test_the_pixel_limit_is_the_callers_and_pillows_global_is_left_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    data = image_bytes("PNG", (100, 100))
    error = refusal("a.png", "image/png", data, AttachmentLimits(max_image_pixels=9_999))
    assert error.code == "image_bomb"
    assert check_attachment("a.png", "image/png", data, AttachmentLimits(max_image_pixels=10_000))
    assert before == Image.MAX_IMAGE_PIXELS


def test_a_bomb_is_refused_also_where_warnings_are_not_errors(tmp_path: Path) -> None:
    """Production does not turn Pillow's warning into an error; the size check refuses."""
    path = tmp_path / "mid.png"
    path.write_bytes(png_header_only(8_000, 8_000))
    code = (
        "import sys; from pathlib import Path\n"
        "from collector_server.attachments import AttachmentLimits, check_attachment\n"
        "from collector_server.errors import ApiError\n"
        "try:\n"
        "    check_attachment('mid.png', 'image/png', Path(sys.argv[1]).read_bytes(),"
        " AttachmentLimits())\n"
        "except ApiError as exc:\n"
        "    print(exc.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "image_bomb", result.stderr


def test_a_set_is_limited_in_count_and_names_are_unique() -> None:
    item = check_attachment("a.txt", None, b"a", LIMITS)
    other = check_attachment("b.txt", None, b"b", LIMITS)
    check_attachment_set([item, other], AttachmentLimits(max_count=2))
    with pytest.raises(ApiError) as caught:
        check_attachment_set([item, other], AttachmentLimits(max_count=1))
    assert (caught.value.status, caught.value.code) == (413, "too_many_attachments")
    assert "1" in caught.value.message
    with pytest.raises(ApiError) as caught:
        check_attachment_set([item, item], LIMITS)
    assert (caught.value.status, caught.value.code) == (422, "duplicate_attachment")


def report_with(*attachments: tuple[str, str, bytes]) -> Report:
    return Report.model_validate(
        {
            "id": str(uuid.uuid4()),
            "created_at": "2026-11-25T10:00:00Z",
            "title": "Checkout fails",
            "attachments": [
                {
                    "name": name,
                    "content_type": content_type,
                    "size": len(data),
                    "data": base64.b64encode(data).decode(),
                }
                for name, content_type, data in attachments
            ],
        }
    )


def test_inline_attachments_leave_the_report_and_are_checked() -> None:
    png = image_bytes("PNG")
    report = report_with(("shot.png", "image/png", png), ("app.log", "text/plain", b"boom"))
    stripped, items = inline_attachments(report, LIMITS)
    assert stripped.attachments == []
    assert stripped.id == report.id
    assert report.attachments  # the caller's report is not changed
    assert "data" not in stripped.model_dump_json()
    assert [(i.name, i.content_type, i.data, i.width) for i in items] == [
        ("shot.png", "image/png", png, 40),
        ("app.log", "text/plain", b"boom", None),
    ]


def test_a_report_without_inline_attachments_is_returned_as_is() -> None:
    report = report_with()
    assert inline_attachments(report) == (report, [])


@pytest.mark.parametrize(
    ("attachments", "limits", "code"),
    [
        ((("shot.png", "image/png", b"GIF89a"),), LIMITS, "invalid_image"),
        ((("a", "text/plain", b"1"), ("a", "text/plain", b"2")), LIMITS, "duplicate_attachment"),
        (
            (("a", "text/plain", b"1"), ("b", "text/plain", b"2")),
            AttachmentLimits(max_count=1),
            "too_many_attachments",
        ),
        ((("a", "text/plain", b"12345"),), AttachmentLimits(max_bytes=4), "attachment_too_large"),
        ((("a/b", "text/plain", b"1"),), LIMITS, "invalid_attachment"),
    ],
)
def test_inline_attachments_are_refused_as_uploads_are(
    attachments: tuple[tuple[str, str, bytes], ...], limits: AttachmentLimits, code: str
) -> None:
    with pytest.raises(ApiError) as caught:
        inline_attachments(report_with(*attachments), limits)
    assert caught.value.code == code


def test_directory_blobs_are_content_addressed_and_leave_no_temporary_files(
    tmp_path: Path,
) -> None:
    blobs = DirectoryBlobs(tmp_path / "blobs")
    data = b"screenshot bytes"
    sha = hashlib.sha256(data).hexdigest()
    assert blobs.get(sha) is None
    blobs.put(sha, data)
    blobs.put(sha, data)  # idempotent
    assert blobs.get(sha) == data
    assert blobs.file(sha) == tmp_path / "blobs" / sha[:2] / sha
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [sha]
    blobs.delete(sha)  # just written: someone's upload may be about to name it
    assert blobs.get(sha) == data
    old = time.time() - BLOB_GRACE_SECONDS - 1
    os.utime(blobs.file(sha), (old, old))
    blobs.put(sha, data)  # an upload of the same bytes makes it young again
    blobs.delete(sha)
    assert blobs.get(sha) == data
    os.utime(blobs.file(sha), (old, old))
    blobs.delete(sha)
    blobs.delete(sha)
    assert blobs.get(sha) is None


def test_directory_blobs_refuse_names_that_are_not_a_sha256(tmp_path: Path) -> None:
    blobs = DirectoryBlobs(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ValueError):
            blobs.put(bad, b"x")


def test_directory_blobs_never_hand_out_bytes_that_do_not_match(tmp_path: Path) -> None:
    blobs = DirectoryBlobs(tmp_path)
    sha = hashlib.sha256(b"good").hexdigest()
    blobs.put(sha, b"good")
    blobs.file(sha).write_bytes(b"evil")
    with pytest.raises(CorruptBlobError):
        blobs.get(sha)
    blobs.put(sha, b"good")  # a put of the right bytes repairs it
    assert blobs.get(sha) == b"good"


def test_the_setting_chooses_the_blob_store(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        assert isinstance(blob_store("database", store.engine), DatabaseBlobs)
        chosen = blob_store(f"dir:{tmp_path / 'files'}", store.engine)
        assert isinstance(chosen, DirectoryBlobs)
        assert chosen.path == tmp_path / "files"
        for bad in ("dir:", "s3:bucket", "database:x", ""):
            with pytest.raises(ValueError, match="BUGRELAY_ATTACHMENTS"):
                blob_store(bad, store.engine)
    finally:
        store.close()


def test_new_attachments_are_plain_values() -> None:
    item = NewAttachment("a", "text/plain", b"x", 1, hashlib.sha256(b"x").hexdigest())
    assert item == check_attachment("a", "text/plain", b"x", LIMITS)
