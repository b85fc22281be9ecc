"""Attachments beside a report: their limits and checks, and where their bytes are kept.

Three ways in, one check: the file parts of a ``multipart/form-data`` report, a ``PUT`` of one
file to ``.../reports/{id}/attachments/{name}`` (both in :mod:`collector_server.api.attachments`),
and the v1 inline base64 ``attachments`` of the report JSON (:func:`inline_attachments`). Each
becomes a :class:`NewAttachment` through :func:`check_attachment`, which refuses with an
:class:`~collector_server.errors.ApiError` that names the attachment and the limit.

Images (a declared ``image/png``, ``image/jpeg``, ``image/gif``, ``image/webp`` or
``image/bmp``) are opened with Pillow, which reads their header and verifies their structure
without decoding the pixels: the real type must be the declared one, and the dimensions must be
sane (a small PNG can claim 20000 x 20000 pixels and cost gigabytes to whoever views it). Every
other file is kept as it came, its content type reduced to a plain ``type/subtype``. Nothing
trusts that type when serving: an attachment is always served as a download, with
``X-Content-Type-Options: nosniff``.

The bytes are kept by a :class:`BlobStore`, chosen by ``BUGRELAY_ATTACHMENTS``:
:class:`DatabaseBlobs` (the default: in the attachment's row, written in the same transaction
as the report, read by every replica) or :class:`DirectoryBlobs` (content-addressed files under
a directory on one machine).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tempfile
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PIL import Image, UnidentifiedImageError, features

from collector_server.errors import ApiError

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

    from collector_server.settings import Settings
    from collector_server.store.projects import Project
    from sdk.models import Report

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_COUNT = 10
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # an 8K screen (33 MP), or a page 1920 x 20 000
DEFAULT_MAX_IMAGE_SIDE = 65_535  # JPEG's own maximum
BLOB_GRACE_SECONDS = 3600  # a directory blob this young is never deleted (see DirectoryBlobs)
MAX_NAME = 100  # attachments.name is String(100)
MAX_CONTENT_TYPE = 100  # attachments.content_type is String(100)
OCTET_STREAM = "application/octet-stream"

# Declared image types that are checked, and the Pillow format each must really be.
IMAGE_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/bmp": "BMP",
    **({"image/webp": "WEBP"} if features.check("webp") else {}),
}
IMAGE_TYPES = {fmt: mime for mime, fmt in IMAGE_FORMATS.items()}
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp",
}
_NAME_PART = r"[a-z0-9][a-z0-9!#$&^_.+-]*"  # an RFC 6838 restricted name
_MEDIA_TYPE = re.compile(rf"{_NAME_PART}/{_NAME_PART}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Image.MAX_IMAGE_PIXELS is Pillow's global: one check at a time sets it to its own limit.
_PILLOW_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    max_bytes: int = DEFAULT_MAX_BYTES  # one attachment
    max_count: int = DEFAULT_MAX_COUNT  # attachments per report, however they came
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS  # width x height of one image
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE  # the longer side of one image

    @classmethod
    def for_project(cls, project: Project, settings: Settings) -> AttachmentLimits:
        """The project's own limits (``bugrelay project set``), else the collector's."""
        return cls(
            max_bytes=project.max_attachment_bytes or settings.max_attachment_bytes,
            max_count=(
                settings.max_attachments
                if project.max_attachments is None
                else project.max_attachments
            ),
        )


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A checked attachment, ready to store."""

    name: str
    content_type: str  # sanitised; for images, the real type
    data: bytes
    size: int
    sha256: str  # hex
    width: int | None = None  # images only
    height: int | None = None


def check_attachment(
    name: str, declared_content_type: str | None, data: bytes, limits: AttachmentLimits
) -> NewAttachment:
    """Check one attachment; raises an :class:`ApiError` naming it and what is wrong."""
    check_name(name)
    if len(data) > limits.max_bytes:
        raise attachment_too_large(name, limits.max_bytes, len(data))
    content_type = sanitise_content_type(declared_content_type)
    width = height = None
    if content_type.startswith("image/"):
        width, height = _check_image(name, content_type, data, limits)
    return NewAttachment(
        name=name,
        content_type=content_type,
        data=data,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )


def check_attachment_set(items: Sequence[NewAttachment], limits: AttachmentLimits) -> None:
    """The attachments of one report together: at most ``max_count``, names unique."""
    if len(items) > limits.max_count:
        raise too_many_attachments(limits.max_count, len(items))
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ApiError(
                422,
                "duplicate_attachment",
                f"two attachments are named {item.name!r}; each name is used once per report",
            )
        seen.add(item.name)


def inline_attachments(
    report: Report, limits: AttachmentLimits | None = None
) -> tuple[Report, list[NewAttachment]]:
    """The v1 inline attachments (base64 in the JSON), checked, and the report without them.

    The report that comes back has ``attachments == []``, so that its stored payload holds no
    bytes; the attachments' metadata lives in the attachments table, like that of attachments
    that came as files, and the admin API lists it from there.
    """
    limits = limits or AttachmentLimits()
    if not report.attachments:
        return report, []
    if len(report.attachments) > limits.max_count:
        raise too_many_attachments(limits.max_count, len(report.attachments))
    items = [
        # The wire model has checked the base64 and that it holds `size` bytes.
        check_attachment(a.name, a.content_type, base64.b64decode(a.data), limits)
        for a in report.attachments
    ]
    check_attachment_set(items, limits)
    return report.model_copy(update={"attachments": []}), items


def check_name(name: str) -> None:
    """A file name: 1 to 100 characters, no slash or backslash, no control characters, no
    ``..``; so that it is safe as a path segment, in a header and on anyone's disk."""
    problem = None
    if not name.strip():
        problem = "is empty"
    elif len(name) > MAX_NAME:
        problem = f"has {len(name)} characters, more than {MAX_NAME}"
    elif "/" in name or "\\" in name:
        problem = "contains a slash; it is a file name, not a path"
    elif ".." in name:
        problem = "contains '..'"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
        problem = "contains a control or formatting character"
    if problem is not None:
        shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."
        raise ApiError(422, "invalid_attachment", f"the attachment name {shown!r} {problem}")


def sanitise_content_type(declared: str | None) -> str:
    """``type/subtype`` in lower case, without parameters; anything else is octet-stream."""
    media_type = (declared or "").partition(";")[0].strip().lower()
    media_type = _ALIASES.get(media_type, media_type)
    if len(media_type) > MAX_CONTENT_TYPE or not _MEDIA_TYPE.fullmatch(media_type):
        return OCTET_STREAM
    return media_type


def attachment_too_large(name: str, limit: int, size: int | None = None) -> ApiError:
    what = f"is {size} bytes, more than" if size is not None else "is larger than"
    return ApiError(
        413,
        "attachment_too_large",
        f"the attachment {name!r} {what} the limit of {limit} bytes per attachment",
    )


def too_many_attachments(limit: int, count: int | None = None) -> ApiError:
    got = f"{count} attachments, more" if count is not None else "more attachments"
    return ApiError(
        413, "too_many_attachments", f"{got} than the limit of {limit} attachments per report"
    )


def _check_image(
    name: str, content_type: str, data: bytes, limits: AttachmentLimits
) -> tuple[int, int]:
    """The real type and the dimensions from the header, and the structure verified, without
    decoding the pixels. Returns (width, height)."""
    expected = IMAGE_FORMATS.get(content_type)
    if expected is None:
        checked = ", ".join(sorted(IMAGE_FORMATS))
        raise ApiError(
            415,
            "unsupported_image_type",
            f"the attachment {name!r} is declared {content_type}; the image types this collector"
            f" takes are {checked} (send other files as {OCTET_STREAM})",
        )
    with _PILLOW_LOCK:
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
        try:
            with Image.open(io.BytesIO(data), formats=sorted(IMAGE_TYPES)) as image:
                real, (width, height) = image.format, image.size
                _check_dimensions(name, width, height, limits)
                if real != expected:
                    raise ApiError(
                        422,
                        "image_type_mismatch",
                        f"the attachment {name!r} is declared {content_type} but is "
                        f"{IMAGE_TYPES.get(real or '', real)}",
                    )
                image.verify()
        except ApiError:
            raise
        # Over the limit Pillow warns, over twice the limit it raises; in tests (warnings are
        # errors) and in production alike the image is refused: by this or _check_dimensions.
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _image_bomb(name, limits) from None
        except UnidentifiedImageError:
            raise ApiError(
                422,
                "invalid_image",
                f"the attachment {name!r} is declared {content_type} but is not an image of a "
                f"type this collector takes ({', '.join(sorted(IMAGE_FORMATS))})",
            ) from None
        except Exception as exc:  # Pillow's many ways to say "corrupt"
            raise ApiError(
                422,
                "invalid_image",
                f"the attachment {name!r} is not a valid {content_type} image: {exc}",
            ) from None
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    return width, height


def _check_dimensions(name: str, width: int, height: int, limits: AttachmentLimits) -> None:
    if width < 1 or height < 1:
        raise ApiError(422, "invalid_image", f"the image {name!r} claims {width} x {height} pixels")
    if width * height > limits.max_image_pixels or max(width, height) > limits.max_image_side:
        raise _image_bomb(name, limits, f" ({width} x {height})")


def _image_bomb(name: str, limits: AttachmentLimits, size: str = "") -> ApiError:
    return ApiError(
        422,
        "image_bomb",
        f"the image {name!r} claims more pixels{size} than the limit of "
        f"{limits.max_image_pixels} pixels and {limits.max_image_side} per side",
    )


class CorruptBlobError(RuntimeError):
    """A blob store holds bytes under a sha256 that they do not hash to."""


class BlobStore(ABC):
    """Where attachments' bytes are kept, by their sha256 (hex): the same bytes are kept once.

    With ``in_database`` the bytes ride in the attachment's own row (``attachments.data``),
    written by the store in the report's transaction; ``put`` is not called for new rows then.
    Otherwise the store calls ``put`` before it inserts the row (``data`` NULL), so that a row
    never names bytes that are not kept; a transaction that then fails leaves the blob behind,
    unused (harmless: a later upload of the same bytes uses it).
    """

    in_database: ClassVar[bool]

    @abstractmethod
    def put(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` under ``sha256``; durable when this returns. Idempotent."""

    @abstractmethod
    def get(self, sha256: str) -> bytes | None:
        """The bytes kept under ``sha256``, None when there are none."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Forget the bytes (the retention job calls it for blobs no attachment uses)."""


class DatabaseBlobs(BlobStore):
    """Bytes in ``attachments.data``: every replica on the database reads them, and they are
    as durable as the report (the same transaction)."""

    in_database = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, sha256: str, data: bytes) -> None:
        """Fill in the bytes of every attachment of ``sha256`` whose row has none (rows stored
        while the bytes were kept in a directory, when moving to the database)."""
        from sqlalchemy import update  # noqa: PLC0415

        table = _table()
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.sha256 == sha256, table.c.data.is_(None))
                .values(data=data)
            )

    def get(self, sha256: str) -> bytes | None:
        from sqlalchemy import select  # noqa: PLC0415

        table = _table()
        with self.engine.connect() as conn:
            data = conn.execute(
                select(table.c.data)
                .where(table.c.sha256 == sha256, table.c.data.is_not(None))
                .limit(1)
            ).scalar_one_or_none()
        return None if data is None else bytes(data)

    def delete(self, sha256: str) -> None:
        """Nothing to do: the bytes go with their rows."""


class DirectoryBlobs(BlobStore):
    """Content-addressed files, ``<path>/<sha[:2]>/<sha>``, for a collector on one machine.

    Each file is written to a temporary file beside it, flushed to disk (fsync) and renamed into
    place, then the directory is flushed: a crash leaves either the whole file or none. Files are
    read back only when they hash to their name. Replicas on other machines cannot read them:
    for several collectors, use the database (or a shared filesystem that honours fsync).
    """

    in_database = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def file(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"{sha256!r} is not a sha256 in hex")
        return self.path / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        target = self.file(sha256)
        try:
            if hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
                os.utime(target)  # kept already; fresh again, so the retention job leaves it
                return
        except FileNotFoundError:
            pass
        created = not target.parent.exists()
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)
        if created:
            _fsync_directory(target.parent.parent)

    def get(self, sha256: str) -> bytes | None:
        try:
            data = self.file(sha256).read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CorruptBlobError(f"{self.file(sha256)} does not hold the bytes of its name")
        return data

    def delete(self, sha256: str) -> None:
        """Remove the file unless it was written or reused within :data:`BLOB_GRACE_SECONDS`.

        The retention job finds a blob unused in its transaction and deletes it after; an
        upload of the same bytes in between has just written or touched the file (``put``
        comes before its row), so a young file is left: it is someone's, or will be soon.
        """
        target = self.file(sha256)
        try:
            if time.time() - target.stat().st_mtime < BLOB_GRACE_SECONDS:
                return
        except FileNotFoundError:
            return
        target.unlink(missing_ok=True)


BLOB_STORES: dict[str, Callable[[str, Engine], BlobStore]] = {
    "database": lambda _arg, engine: DatabaseBlobs(engine),
    "dir": lambda arg, _engine: DirectoryBlobs(arg),
}
"""``BUGRELAY_ATTACHMENTS`` is ``<kind>`` or ``<kind>:<argument>``: ``database``, ``dir:/path``."""


def blob_store(setting: str, engine: Engine) -> BlobStore:
    """The blob store a ``BUGRELAY_ATTACHMENTS`` value names."""
    kind, _, argument = setting.partition(":")
    factory = BLOB_STORES.get(kind)
    if factory is None or (kind == "dir") != bool(argument):
        raise ValueError(
            f"BUGRELAY_ATTACHMENTS must be 'database' or 'dir:<path>', not {setting!r}"
        )
    return factory(argument, engine)


def _table() -> Table:
    from collector_server.store.tables import attachments  # noqa: PLC0415  (the store imports us)

    return attachments


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
