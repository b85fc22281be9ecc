"""The SDK's offline disk spool: a journal that keeps reports until the collector has them.

The host thread appends a report with one ``os.write`` to an already-open segment file; the
transport's worker makes it durable (:meth:`Spool.sync`), sends what :meth:`Spool.pending`
returns and notes each answer with :meth:`Spool.ack`. Several processes may share one spool
directory (``<root>/<first 16 hex of sha256(DSN)>/``, mode 0700).

Files in the directory::

    <created_ns>-<pid>-<8 hex>.seg   a segment: records appended by one process
    <same name>.ack                  its acks, appended by whoever holds the segment's lock
    corrupt/                         segments with garbage in the middle, kept for inspection
    counts.json, counts.lock         lost-report counts shared by the processes (see add_counts)

A segment starts with the line ``BRSPOOL1\\n``; then records, each written by one ``os.write``::

    offset  size  field
    0       1     marker 0xB5
    1       4     payload length (unsigned, little endian, like every field)
    5       8     created, unix time in milliseconds
    13      16    the report id (UUID bytes)
    29      4     crc32 of bytes 0..28 followed by the payload
    33      n     the payload (opaque bytes)

An ``.ack`` file is a sequence of 17-byte entries: the 16 UUID bytes and one outcome code
(:data:`OUTCOMES`); a short entry at its end (cut by a crash) is ignored. Reading a segment, a
record whose length runs past the end of the file, or whose checksum fails while it ends exactly
at the end of the file, or a tail of zero bytes, is *torn* (the writer died or the disk filled
mid-write): it is skipped and counted. A bad marker or checksum with more data after it is
*corruption*: the segment (and its ``.ack``) is moved to ``corrupt/``, counted once, and the good
records before the damage are still delivered by this process.

Claiming, with ``fcntl.flock``: a process creates a segment under a hidden temporary name, locks
it (``LOCK_EX``), writes the header and only then renames it to ``*.seg``, so a segment visible
to others is always locked by a live writer. The writer keeps the lock until every record is
acked and the files are deleted, or until :meth:`Spool.close`. :meth:`Spool.pending` and
:meth:`Spool.enforce_limits` rescan the directory on their first call and then at most every
``rescan_interval`` seconds (2 by default): a ``*.seg`` nobody holds (``LOCK_EX | LOCK_NB``
succeeds) belongs to a process that died, and the scanner keeps its lock while it replays it, so
two live processes never hand out the same report. Its acked ids are read from its ``.ack``;
claimed segments come first, oldest first, then this process's own. flock locks belong to an
open file description, so a second :class:`Spool` on the same directory in the same process is
treated like another process, and a ``fork()``ed child (which closes its inherited copies and
writes its own segments) never keeps a dead parent's segments locked.

Memory: the index holds a small entry per record not yet acked (offset, id, created, length),
never payloads; :meth:`Spool.pending` reads the payloads from the file when it returns them and
returns at most ``max_reports`` (or ``limit``) records and ``max_bytes`` payload bytes, oldest
first. Call :meth:`Spool.enforce_limits` before :meth:`Spool.pending` so that the index stays
within the limits. Each byte of a segment is parsed once; later calls parse only what was
appended since.

Threads: :meth:`Spool.append` is the only method for host threads (thread-safe, O(1), no
reads, listing, stat or fsync; a rare segment rotation opens a file). Everything else is for
the worker (also thread-safe, but it may wait on disk I/O). The spool only notes evictions and
damage; the caller counts them as lost (:meth:`Spool.add_counts` with what
:meth:`Spool.enforce_limits` and :meth:`Spool.take_problems` return).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import heapq
import json
import os
import struct
import threading
import time
import uuid
import weakref
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # pragma: no cover  (not POSIX)
    fcntl = None  # type: ignore[assignment]

MAGIC = b"BRSPOOL1\n"
MARKER = 0xB5
RECORD_HEADER = struct.Struct("<BIQ16sI")  # marker, length, created (ms), uuid, crc32
ACK_ENTRY = struct.Struct("<16sB")
OUTCOMES = {"delivered": 1, "rejected": 2, "invalid": 3, "expired": 4, "spool_full": 5}
RESCAN_INTERVAL = 2.0

_PRE = struct.Struct("<BIQ16s")  # the header up to the crc
_CRC = struct.Struct("<I")
_HEADER_SIZE = RECORD_HEADER.size
_MAX_PAYLOAD = 2**32 - 1
_CHUNK = 256 * 1024
_STALE_TMP = 60.0  # seconds after which a leftover temporary segment (creator died) is removed
_COUNTS = "counts.json"
_COUNTS_LOCK = "counts.lock"
_CORRUPT = "corrupt"


class SpoolUnavailable(OSError):
    """The spool cannot be used here (directory, disk full, no ``fcntl``): fall back to memory."""


class Record(NamedTuple):
    segment: str
    offset: int
    report_id: str
    payload: bytes
    created: float


class _Entry(NamedTuple):
    offset: int
    uid: bytes
    created_ms: int
    length: int


class _Segment:
    """One segment file this process holds the lock of (its own or a claimed orphan)."""

    __slots__ = (
        "ack_fd",
        "acked",
        "corrupt",
        "count",
        "created_ns",
        "dead",
        "dirty",
        "end",
        "entries",
        "fd",
        "finished",
        "name",
        "own",
        "parsed",
        "path",
        "pending_bytes",
        "scanned",
    )

    def __init__(self, name: str, path: Path, fd: int, *, own: bool, end: int) -> None:
        self.name = name
        self.path = path
        self.fd = fd  # holds the flock; also read from (and, for our own, appended to)
        self.own = own
        self.created_ns = _created_ns(name)
        self.end = end  # own: committed end (set by the host under the lock); claimed: size
        self.finished = not own  # own: no more appends (set under the lock, never unset)
        self.count = 0  # own: records appended
        self.dirty = False  # own: appended to since the last fsync
        self.scanned = len(MAGIC)  # parsed up to here
        self.parsed = 0
        self.dead = False  # torn or corrupt: nothing more to parse
        self.corrupt = False
        self.entries: dict[int, _Entry] = {}  # offset -> record not yet acked
        self.pending_bytes = 0
        self.acked: set[bytes] = set()  # claimed: ids already in the .ack file, until parsed
        self.ack_fd: int | None = None

    @property
    def ack_path(self) -> Path:
        return self.path.with_name(self.name + ".ack")


def _created_ns(name: str) -> int:
    try:
        return int(name.split("-", 1)[0])
    except ValueError:
        return 0


def _uuid_bytes(report_id: str) -> bytes:
    try:
        uid = bytes.fromhex(report_id.replace("-", ""))
    except (ValueError, AttributeError, TypeError):
        uid = b""
    if len(uid) != 16:
        raise ValueError(f"report_id must be a UUID string, got {report_id!r}")
    return uid


def _by_age(index: int, segment: _Segment) -> list[tuple[int, int, _Entry]]:
    return [(entry.created_ms, index, entry) for entry in segment.entries.values()]


def _pread(fd: int, size: int, offset: int) -> bytes:
    """Up to ``size`` bytes at ``offset`` (fewer only at the end of the file)."""
    data = os.pread(fd, size, offset)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = os.pread(fd, size - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _unavailable(exc: OSError, doing: str) -> SpoolUnavailable:
    return SpoolUnavailable(exc.errno, f"{doing}: {exc.strerror or exc}")


def _makedirs(path: Path) -> None:
    """Like ``os.makedirs(path, 0o700)``, but every directory it creates gets mode 0o700."""
    if path.is_dir():
        return
    if path.parent != path:
        _makedirs(path.parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path)) from None


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Reader:
    """Reads a segment in chunks, so that small records cost no syscall each."""

    def __init__(self, fd: int, end: int) -> None:
        self._fd = fd
        self._end = end
        self._buf = b""
        self._base = 0

    def read(self, pos: int, size: int) -> memoryview:
        if pos < self._base or pos + size > self._base + len(self._buf):
            self._buf = _pread(self._fd, max(size, min(_CHUNK, self._end - pos)), pos)
            self._base = pos
        start = pos - self._base
        return memoryview(self._buf)[start : start + size]


_instances: weakref.WeakSet[Spool] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for spool in list(_instances):
        spool._forget_parent()


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere open() refuses anyway
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Spool:
    """The journal of one spool directory, as seen by this process. Make one with :meth:`open`."""

    directory: Path

    def __init__(
        self,
        directory: Path,
        dir_fd: int,
        *,
        max_reports: int,
        max_bytes: int,
        max_age: float,
        fsync: bool,
        segment_bytes: int,
        segment_reports: int,
        rescan_interval: float,
    ) -> None:
        self.directory = directory
        self._dir_fd = dir_fd
        self._max_reports = max_reports
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._fsync = fsync
        self._segment_bytes = segment_bytes
        self._segment_reports = segment_reports
        self._rescan_interval = rescan_interval
        self._lock = threading.Lock()  # the append side: _active, _own, segment.end/count/...
        self._worker_lock = threading.RLock()  # the index: claimed segments, entries, acks
        self._pid = os.getpid()
        self._closed = False
        self._active: _Segment | None = None
        self._own: list[_Segment] = []
        self._claimed: list[_Segment] = []
        self._by_name: dict[str, _Segment] = {}
        self._dir_dirty = False
        self._next_scan = 0.0
        self._others_bytes = 0
        self._problems: Counter[str] = Counter()
        _instances.add(self)

    @classmethod
    def open(
        cls,
        root: str | os.PathLike[str],
        key: str,
        *,
        max_reports: int = 1000,
        max_bytes: int = 64 * 2**20,
        max_age: float = 7 * 86400,
        fsync: bool = True,
        segment_bytes: int = 4 * 2**20,
        segment_reports: int = 1000,
        rescan_interval: float = RESCAN_INTERVAL,
    ) -> Spool:
        """The spool for ``key`` (the DSN) under ``root``; SpoolUnavailable if it cannot be used."""
        for name, value in (
            ("max_reports", max_reports),
            ("max_bytes", max_bytes),
            ("segment_bytes", segment_bytes),
            ("segment_reports", segment_reports),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if max_age <= 0:
            raise ValueError(f"max_age must be positive (seconds), got {max_age!r}")
        if rescan_interval < 0:
            raise ValueError(f"rescan_interval must not be negative, got {rescan_interval!r}")
        if fcntl is None:  # pragma: no cover  (not POSIX)
            raise SpoolUnavailable(errno.ENOSYS, "the spool needs fcntl.flock (POSIX)")
        directory = Path(root) / hashlib.sha256(key.encode()).hexdigest()[:16]
        try:
            _makedirs(directory)
            # Proves the directory is writable (and creates the lock file the counts need).
            os.close(os.open(directory / _COUNTS_LOCK, os.O_RDWR | os.O_CREAT, 0o600))
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise _unavailable(exc, f"cannot use the spool directory {directory}") from exc
        return cls(
            directory,
            dir_fd,
            max_reports=max_reports,
            max_bytes=max_bytes,
            max_age=max_age,
            fsync=fsync,
            segment_bytes=segment_bytes,
            segment_reports=segment_reports,
            rescan_interval=rescan_interval,
        )

    # -- the host thread ---------------------------------------------------------------------

    def append(self, report_id: str, payload: bytes) -> None:
        """Journal one report: one ``os.write``; SpoolUnavailable when the disk refuses it."""
        uid = _uuid_bytes(report_id)
        if len(payload) > _MAX_PAYLOAD:
            raise ValueError(f"payload is {len(payload)} bytes, the spool takes at most 4 GiB")
        pre = _PRE.pack(MARKER, len(payload), time.time_ns() // 1_000_000, uid)
        data = b"".join((pre, _CRC.pack(zlib.crc32(payload, zlib.crc32(pre))), payload))
        if self._pid != os.getpid():  # forked without os.fork() (so without our at-fork hook)
            self._forget_parent()
        with self._lock:
            if self._closed:
                raise SpoolUnavailable(errno.EBADF, "the spool is closed")
            segment = self._active or self._start_segment()
            try:
                written = os.write(segment.fd, data)
                if written != len(data):  # short write: the rest tells us why (or succeeds)
                    _write_all(segment.fd, data[written:])
            except OSError as exc:
                self._abandon(segment)
                raise _unavailable(exc, "cannot append to the spool") from exc
            segment.end += len(data)
            segment.count += 1
            segment.dirty = True
            if segment.end >= self._segment_bytes or segment.count >= self._segment_reports:
                segment.finished = True
                self._active = None

    def _start_segment(self) -> _Segment:
        """Open a new segment (under ``_lock``): rare, so allowed on the host thread."""
        name = f"{time.time_ns()}-{os.getpid()}-{os.urandom(4).hex()}.seg"
        path = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except OSError as exc:
            raise _unavailable(exc, "cannot create a spool segment") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(fd, MAGIC)
            os.rename(tmp, path)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise _unavailable(exc, "cannot create a spool segment") from exc
        segment = _Segment(name, path, fd, own=True, end=len(MAGIC))
        self._own.append(segment)
        self._by_name[name] = segment
        self._active = segment
        self._dir_dirty = True
        return segment

    def _abandon(self, segment: _Segment) -> None:
        """After a failed write (under ``_lock``): cut the partial record, append no more."""
        with contextlib.suppress(OSError):
            os.ftruncate(segment.fd, segment.end)
        segment.finished = True
        if self._active is segment:
            self._active = None

    def _forget_parent(self) -> None:
        """In a forked child: drop the parent's segments (closing, never unlocking, our copies)."""
        self._lock = threading.Lock()
        self._worker_lock = threading.RLock()
        for segment in [*self._own, *self._claimed]:
            for fd in (segment.fd, segment.ack_fd):
                if fd is not None and fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self._active = None
        self._own = []
        self._claimed = []
        self._by_name = {}
        self._dir_dirty = False
        self._next_scan = 0.0
        self._others_bytes = 0
        self._problems = Counter()
        self._pid = os.getpid()

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            self._forget_parent()

    # -- the worker --------------------------------------------------------------------------

    def sync(self) -> None:
        """fsync (with ``fsync=True``) every segment appended to since the last sync."""
        self._check_fork()
        with self._worker_lock:
            with self._lock:
                dirty = [segment for segment in self._own if segment.dirty]
                for segment in dirty:
                    segment.dirty = False
                dir_dirty, self._dir_dirty = self._dir_dirty, False
            if not self._fsync:
                return
            try:
                for segment in dirty:
                    os.fsync(segment.fd)
                if dir_dirty:
                    os.fsync(self._dir_fd)
            except OSError as exc:
                raise _unavailable(exc, "cannot fsync the spool") from exc

    def pending(self, limit: int | None = None) -> list[Record]:
        """Records not yet acked, oldest first: claimed orphans' first, then this process's.

        At most ``limit`` (default ``max_reports``) records and ``max_bytes`` payload bytes (at
        least one record). The payloads are read from the files on each call: ask for a batch,
        send it, ack it, then ask again.
        """
        limit = self._max_reports if limit is None else min(limit, self._max_reports)
        self._check_fork()
        with self._worker_lock:
            if self._closed:
                return []
            try:
                segments = self._refresh()
                records: list[Record] = []
                size = 0
                for segment in segments:
                    for entry in list(segment.entries.values()):
                        if len(records) >= limit or (
                            records and size + entry.length > self._max_bytes
                        ):
                            return records
                        payload = _pread(segment.fd, entry.length, entry.offset + _HEADER_SIZE)
                        if len(payload) != entry.length:  # cut since it was parsed
                            self._lose(segment, "torn", entry)
                            continue
                        size += entry.length
                        records.append(
                            Record(
                                segment.name,
                                entry.offset,
                                str(uuid.UUID(bytes=entry.uid)),
                                payload,
                                entry.created_ms / 1000,
                            )
                        )
                return records
            except SpoolUnavailable:
                raise
            except OSError as exc:
                raise _unavailable(exc, "cannot read the spool") from exc

    def pending_ids(self) -> set[str]:
        """The ids of every record not yet acked that this process handles (no payloads read)."""
        self._check_fork()
        with self._worker_lock:
            if self._closed:
                return set()
            try:
                segments = self._refresh()
            except SpoolUnavailable:
                raise
            except OSError as exc:
                raise _unavailable(exc, "cannot read the spool") from exc
            return {
                str(uuid.UUID(bytes=entry.uid))
                for segment in segments
                for entry in segment.entries.values()
            }

    def ack(self, record: Record, outcome: str) -> None:
        """Note durably that ``record`` is done (``outcome`` is one of :data:`OUTCOMES`)."""
        code = OUTCOMES.get(outcome)
        if code is None:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, got {outcome!r}")
        self._check_fork()
        with self._worker_lock:
            if self._closed:
                raise SpoolUnavailable(errno.EBADF, "the spool is closed")
            segment = self._by_name.get(record.segment)
            entry = None if segment is None else segment.entries.get(record.offset)
            if segment is None or entry is None:
                return  # acked already (or never ours): nothing to note
            self._write_acks(segment, [entry], code)
            self._retire_if_done(segment)

    def enforce_limits(self) -> dict[str, int]:
        """Evict (ack as ``expired`` / ``spool_full``) the oldest records beyond the limits.

        ``max_bytes`` counts every segment in the directory (other live processes' by their file
        size, as of the last rescan); ``max_reports`` counts the records this process handles.
        Only records this process handles are evicted. Returns how many, by reason.
        """
        self._check_fork()
        with self._worker_lock:
            if self._closed:
                return {}
            try:
                return self._enforce_limits()
            except SpoolUnavailable:
                raise
            except OSError as exc:
                raise _unavailable(exc, "cannot enforce the spool's limits") from exc

    def _enforce_limits(self) -> dict[str, int]:
        segments = self._refresh()
        evicted: Counter[str] = Counter()
        cutoff = (time.time() - self._max_age) * 1000
        for segment in segments:
            old = [entry for entry in segment.entries.values() if entry.created_ms < cutoff]
            if old:
                self._write_acks(segment, old, OUTCOMES["expired"])
                evicted["expired"] += len(old)
        count = sum(len(segment.entries) for segment in segments)
        size = sum(segment.pending_bytes for segment in segments) + self._others_bytes
        if count > self._max_reports or size > self._max_bytes:
            victims: dict[int, list[_Entry]] = {}
            oldest_first = heapq.merge(
                *(_by_age(index, segment) for index, segment in enumerate(segments)),
                key=lambda item: (item[0], item[1]),
            )
            for _, index, entry in oldest_first:
                if count <= self._max_reports and size <= self._max_bytes:
                    break
                victims.setdefault(index, []).append(entry)
                count -= 1
                size -= _HEADER_SIZE + entry.length
            for index, entries in victims.items():
                self._write_acks(segments[index], entries, OUTCOMES["spool_full"])
                evicted["spool_full"] += len(entries)
        for segment in segments:
            self._retire_if_done(segment)
        return dict(evicted)

    def take_problems(self) -> dict[str, int]:
        """Counts of ``torn`` and ``corrupted`` records seen since the last call."""
        self._check_fork()
        with self._worker_lock:
            problems = dict(+self._problems)
            self._problems.clear()
            return problems

    def stats(self) -> dict[str, int]:
        """``pending`` records, their ``bytes`` and held ``segments``, as this process sees them."""
        with self._lock:
            own = [(segment, segment.count, segment.end) for segment in self._own]
        claimed = self._claimed
        pending = sum(len(segment.entries) for segment in claimed)
        size = sum(segment.pending_bytes for segment in claimed)
        for segment, count, end in own:
            unparsed = 0 if segment.dead else count - segment.parsed
            pending += len(segment.entries) + max(0, unparsed)
            size += segment.pending_bytes + (0 if segment.dead else max(0, end - segment.scanned))
        return {"pending": pending, "bytes": size, "segments": len(own) + len(claimed)}

    def close(self) -> None:
        """Stop appending, fsync, release the locks; what is pending stays for the next process."""
        self._check_fork()
        with self._worker_lock:
            with self._lock:
                if self._closed:
                    return
                self._closed = True
                self._active = None
                for segment in self._own:
                    segment.finished = True
            with contextlib.suppress(OSError):
                self.sync()
            for segment in [*self._claimed, *self._own]:
                with contextlib.suppress(OSError):
                    if not self._retire_if_done(segment):
                        self._release(segment)
            with contextlib.suppress(OSError):
                os.close(self._dir_fd)
            _instances.discard(self)

    # -- the index ---------------------------------------------------------------------------

    def _refresh(self) -> list[_Segment]:
        """Claim orphans (when a rescan is due), parse new records; every held segment, in order."""
        now = time.monotonic()
        if now >= self._next_scan:
            self._scan_directory()
            self._next_scan = time.monotonic() + self._rescan_interval
        with self._lock:
            own = [(segment, segment.end) for segment in self._own]
        for segment in self._claimed:  # parsed once, when claimed (they no longer grow)
            self._parse(segment, segment.end)
        for segment, end in own:
            self._parse(segment, end)
        for segment in [*self._claimed, *(segment for segment, _ in own)]:
            self._retire_if_done(segment)
        return [*self._claimed, *(segment for segment, _ in own if segment.fd >= 0)]

    def _scan_directory(self) -> None:
        others = 0
        names: set[str] = set()
        acks: list[str] = []
        temporaries: list[os.DirEntry[str]] = []
        claimed: list[_Segment] = []
        with os.scandir(self.directory) as listing:
            entries = list(listing)
        for item in entries:
            name = item.name
            if name.endswith(".seg"):
                names.add(name)
                if name in self._by_name:
                    continue
                segment = self._try_claim(Path(item.path), name)
                if segment is None:
                    with contextlib.suppress(OSError):
                        others += item.stat().st_size
                else:
                    claimed.append(segment)
            elif name.endswith(".seg.ack"):
                acks.append(name)
            elif name.startswith(".") and name.endswith(".seg.tmp"):
                temporaries.append(item)
        self._others_bytes = others
        self._remove_leftovers(names, acks, temporaries)
        if claimed:
            for segment in claimed:
                self._by_name[segment.name] = segment
            self._claimed = sorted(
                [*self._claimed, *claimed], key=lambda segment: (segment.created_ns, segment.name)
            )

    def _try_claim(self, path: Path, name: str) -> _Segment | None:
        """Lock the segment at ``path`` if nobody holds it: a dead process's, now ours."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            stat = os.fstat(fd)
            # Deleted (or moved aside) by its holder just before we got the lock?
            if stat.st_nlink == 0 or os.stat(path).st_ino != stat.st_ino:
                os.close(fd)
                return None
        except OSError:  # BlockingIOError: a live process holds it
            os.close(fd)
            return None
        segment = _Segment(name, path, fd, own=False, end=stat.st_size)
        try:
            magic = _pread(fd, len(MAGIC), 0)
            with open(segment.ack_path, "rb") as acks:
                data = acks.read()
        except FileNotFoundError:
            data = b""
        except OSError:
            os.close(fd)
            return None
        if magic != MAGIC:
            if segment.end <= len(MAGIC) and MAGIC.startswith(magic.rstrip(b"\x00")):
                self._stop_parsing(segment, segment.end)  # its creator died writing the header
            else:
                self._damaged(segment, 0, segment.end)
        step = ACK_ENTRY.size
        segment.acked = {data[i : i + 16] for i in range(0, len(data) - step + 1, step)}
        return segment

    def _remove_leftovers(
        self, names: set[str], acks: list[str], temporaries: list[os.DirEntry[str]]
    ) -> None:
        """Remove what dead processes left half-done: stray ``.ack`` and temporary segments."""
        for name in acks:  # an .ack whose segment is gone (its owner died while deleting)
            segment_name = name[: -len(".ack")]
            if segment_name not in names and segment_name not in self._by_name:
                path = self.directory / name
                if not path.with_name(segment_name).exists():
                    with contextlib.suppress(OSError):
                        path.unlink()
        for item in temporaries:  # a segment whose creator died before renaming it
            with contextlib.suppress(OSError):
                if time.time() - item.stat().st_mtime < _STALE_TMP:
                    continue
                fd = os.open(item.path, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    os.unlink(item.path)
                finally:
                    os.close(fd)

    def _parse(self, segment: _Segment, end: int) -> None:
        """Index the records of ``segment`` between what was parsed and ``end``."""
        pos = segment.scanned
        if segment.dead or pos >= end:
            return
        reader = _Reader(segment.fd, end)
        while pos < end:
            head = reader.read(pos, _HEADER_SIZE)
            if len(head) < _HEADER_SIZE:
                self._torn(segment, end)
                return
            marker, length, created_ms, uid, crc = RECORD_HEADER.unpack(head)
            if marker != MARKER:
                self._damaged(segment, pos, end)
                return
            stop = pos + _HEADER_SIZE + length
            if stop > end:
                self._torn(segment, end)
                return
            body = reader.read(pos + _HEADER_SIZE, length)
            if len(body) < length:
                self._torn(segment, end)
                return
            if zlib.crc32(body, zlib.crc32(head[: _PRE.size])) != crc:
                if stop == end:
                    self._torn(segment, end)
                else:
                    self._damaged(segment, pos, end)
                return
            if uid not in segment.acked:
                segment.entries[pos] = _Entry(pos, uid, created_ms, length)
                segment.pending_bytes += _HEADER_SIZE + length
            segment.parsed += 1
            pos = stop
            segment.scanned = pos
        if not segment.own:
            segment.acked = set()  # every record is indexed: the ack file's ids are not needed

    def _torn(self, segment: _Segment, end: int) -> None:
        self._problems["torn"] += 1
        self._stop_parsing(segment, end)

    def _damaged(self, segment: _Segment, pos: int, end: int) -> None:
        """A bad marker or checksum at ``pos``: a zero-filled tail is torn, else corruption."""
        while pos < end:
            chunk = _pread(segment.fd, min(_CHUNK, end - pos), pos)
            if not chunk:
                break
            if chunk.strip(b"\x00"):
                self._corrupted(segment, end)
                return
            pos += len(chunk)
        self._torn(segment, end)

    def _corrupted(self, segment: _Segment, end: int) -> None:
        self._problems["corrupted"] += 1
        self._stop_parsing(segment, end)
        segment.corrupt = True
        aside = self.directory / _CORRUPT
        with contextlib.suppress(OSError):
            _makedirs(aside)
            ack_path = segment.ack_path
            os.rename(segment.path, aside / segment.name)
            segment.path = aside / segment.name
            with contextlib.suppress(FileNotFoundError):
                os.rename(ack_path, segment.ack_path)

    def _stop_parsing(self, segment: _Segment, end: int) -> None:
        segment.dead = True
        segment.scanned = end
        segment.acked = set()
        if segment.own:
            with self._lock:
                segment.finished = True
                if self._active is segment:
                    self._active = None

    def _lose(self, segment: _Segment, problem: str, entry: _Entry) -> None:
        self._problems[problem] += 1
        del segment.entries[entry.offset]
        segment.pending_bytes -= _HEADER_SIZE + entry.length

    def _write_acks(self, segment: _Segment, entries: list[_Entry], code: int) -> None:
        created = False
        if segment.ack_fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            try:
                segment.ack_fd = os.open(segment.ack_path, flags | os.O_EXCL, 0o600)
                created = True
            except FileExistsError:
                segment.ack_fd = os.open(segment.ack_path, flags, 0o600)
        _write_all(segment.ack_fd, b"".join(ACK_ENTRY.pack(entry.uid, code) for entry in entries))
        if self._fsync:
            os.fsync(segment.ack_fd)
            if created:
                os.fsync(self._dir_fd)
        for entry in entries:
            if segment.entries.pop(entry.offset, None) is not None:
                segment.pending_bytes -= _HEADER_SIZE + entry.length

    def _retire_if_done(self, segment: _Segment) -> bool:
        """Delete a segment that takes no more appends and whose records are all acked."""
        if segment.fd < 0 or segment.entries:
            return False
        if segment.own:
            with self._lock:
                finished, end = segment.finished, segment.end
            if not finished or (segment.scanned < end and not segment.dead):
                return False
        if not segment.corrupt:  # a corrupt segment stays in corrupt/ for inspection
            with contextlib.suppress(FileNotFoundError):
                os.unlink(segment.path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(segment.ack_path)
        self._release(segment)
        return True

    def _release(self, segment: _Segment) -> None:
        """Close the segment's files (which releases its lock) and forget it."""
        for fd in (segment.ack_fd, segment.fd):
            if fd is not None and fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        segment.ack_fd = None
        segment.fd = -1
        self._by_name.pop(segment.name, None)
        if segment.own:
            with self._lock:
                self._own = [other for other in self._own if other is not segment]
        else:
            self._claimed = [other for other in self._claimed if other is not segment]

    # -- lost-report counts, shared by the processes -----------------------------------------

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add to the durable counts of lost reports (by reason)."""
        self._update_counts(counts, 1)

    def subtract_counts(self, counts: Mapping[str, int]) -> None:
        """Subtract what the collector has been told (never below 0)."""
        self._update_counts(counts, -1)

    def counts(self) -> dict[str, int]:
        """The durable counts of lost reports not yet told to the collector."""
        try:
            with self._counts_locked():
                return self._read_counts()
        except OSError as exc:
            raise _unavailable(exc, "cannot read the spool's counts") from exc

    @contextlib.contextmanager
    def _counts_locked(self) -> Iterator[None]:
        fd = os.open(self.directory / _COUNTS_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read_counts(self) -> dict[str, int]:
        try:
            data = json.loads((self.directory / _COUNTS).read_bytes())
        except FileNotFoundError:
            return {}
        except ValueError:  # damaged by something else: start again rather than fail forever
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(reason): count
            for reason, count in data.items()
            if isinstance(count, int) and not isinstance(count, bool) and count > 0
        }

    def _update_counts(self, counts: Mapping[str, int], sign: int) -> None:
        for reason, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"count for {reason!r} must be an int >= 0, got {count!r}")
        if not any(counts.values()):
            return
        try:
            with self._counts_locked():
                current = self._read_counts()
                for reason, count in counts.items():
                    current[reason] = max(0, current.get(reason, 0) + sign * count)
                data = json.dumps({k: v for k, v in sorted(current.items()) if v}).encode()
                tmp = self.directory / (_COUNTS + ".tmp")  # only the lock's holder writes it
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    _write_all(fd, data)
                    if self._fsync:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, self.directory / _COUNTS)
                if self._fsync:
                    _fsync_directory(self.directory)
        except OSError as exc:
            raise _unavailable(exc, "cannot update the spool's counts") from exc
