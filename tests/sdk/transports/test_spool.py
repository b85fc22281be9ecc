"""The disk spool against real files, real flock locks and real second processes (no mocks)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sdk.transports.spool import MAGIC, Record, Spool, SpoolUnavailable

REPO = Path(__file__).resolve().parents[3]
KEY = "https://key@bugrelay.example/1"
HEADER = 33  # marker, length, created (ms), uuid, crc32: the documented record header

MakeSpool = Callable[..., Spool]


def rid(n: int) -> str:
    return str(uuid.UUID(int=n))


def ids(records: list[Record]) -> list[str]:
    return [record.report_id for record in records]


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"), key=lambda path: int(path.name.split("-")[0]))


def record_bytes(n: int, payload: bytes, created_ms: int) -> bytes:
    """One record exactly as the module docstring describes it, built independently."""
    pre = struct.pack("<BIQ16s", 0xB5, len(payload), created_ms, uuid.UUID(int=n).bytes)
    return pre + struct.pack("<I", zlib.crc32(pre + payload)) + payload


@pytest.fixture
def make(tmp_path: Path) -> Iterator[MakeSpool]:
    """``Spool.open`` on ``tmp_path`` (rescanning at every call, no fsync unless asked)."""
    opened: list[Spool] = []

    def make(root: Path = tmp_path, **options: Any) -> Spool:
        options.setdefault("rescan_interval", 0)
        options.setdefault("fsync", False)
        spool = Spool.open(root, KEY, **options)
        opened.append(spool)
        return spool

    yield make
    for spool in opened:
        spool.close()


def python(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter (a real second process); its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


HOLDER = """
import sys, uuid
from sdk.transports.spool import Spool
root, key, first, count, size = sys.argv[1:6]
spool = Spool.open(root, key, fsync=False)
for n in range(int(first), int(first) + int(count)):
    spool.append(str(uuid.UUID(int=n)), b"p" * int(size))
print("ready", flush=True)
sys.stdin.readline()
"""


class Holder:
    """A second process that appended reports and holds its segment until told to exit."""

    def __init__(self, root: Path, first: int, count: int, size: int = 10) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(root), KEY, str(first), str(count), str(size)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "ready\n"

    def exit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.wait(60) == 0
        self._close_pipes()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(60) == -signal.SIGKILL
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    running: list[Holder] = []
    yield running
    for holder in running:
        if holder.process.poll() is None:
            holder.kill()


@contextmanager
def tmpfs(mount_point: Path, options: str) -> Iterator[Path]:
    mount_point.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


# -- one process ------------------------------------------------------------------------------


def test_round_trip_oldest_first_across_segments(make: MakeSpool) -> None:
    spool = make(fsync=True, segment_reports=2)
    for n in range(1, 6):
        spool.append(rid(n), b"report %d" % n)
    spool.sync()
    records = spool.pending()
    assert ids(records) == [rid(n) for n in range(1, 6)]
    assert [record.payload for record in records] == [b"report %d" % n for n in range(1, 6)]
    assert all(abs(record.created - time.time()) < 60 for record in records)
    first, second, third = (path.name for path in segments(spool.directory))
    assert [record.segment for record in records] == [first, first, second, second, third]
    assert spool.stats() == {"pending": 5, "bytes": 5 * (HEADER + 8), "segments": 3}
    assert spool.pending() == records  # the index answers again, nothing is lost or repeated


def test_a_segment_is_deleted_with_its_ack_file_once_every_record_is_acked(
    make: MakeSpool,
) -> None:
    spool = make(fsync=True, segment_reports=2)
    for n in range(1, 4):
        spool.append(rid(n), b"{}")
    first, second, third = spool.pending()
    spool.ack(first, "delivered")
    assert (spool.directory / (first.segment + ".ack")).exists()
    spool.ack(second, "rejected")
    assert not (spool.directory / first.segment).exists()
    assert not (spool.directory / (first.segment + ".ack")).exists()
    spool.ack(third, "invalid")  # the active segment takes more appends: it stays
    assert (spool.directory / third.segment).exists()
    spool.ack(third, "delivered")  # acking twice is harmless
    assert spool.pending() == []
    assert spool.stats() == {"pending": 0, "bytes": 0, "segments": 1}
    spool.close()
    assert sorted(p.name for p in spool.directory.iterdir()) == ["counts.lock"]


def test_records_and_acks_are_written_as_documented(make: MakeSpool) -> None:
    spool = make()
    before = time.time_ns() // 1_000_000
    spool.append(rid(7), b'{"title": "x"}')
    [segment] = segments(spool.directory)
    created_ns, pid, random_hex = segment.name.removesuffix(".seg").split("-")
    assert int(pid) == os.getpid()
    assert int(created_ns) > 0
    assert len(random_hex) == 8
    data = segment.read_bytes()
    assert data.startswith(MAGIC)
    created_ms = struct.unpack_from("<Q", data, len(MAGIC) + 5)[0]
    assert before <= created_ms <= time.time_ns() // 1_000_000
    assert data[len(MAGIC) :] == record_bytes(7, b'{"title": "x"}', created_ms)
    [record] = spool.pending()
    spool.ack(record, "spool_full")
    assert (spool.directory / (segment.name + ".ack")).read_bytes() == uuid.UUID(
        int=7
    ).bytes + bytes([5])


def test_the_directory_is_per_key_and_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "cache" / "bugrelay"
    spool = Spool.open(root, KEY)
    try:
        assert spool.directory == root / hashlib.sha256(KEY.encode()).hexdigest()[:16]
        for path in (tmp_path / "cache", root, spool.directory):
            assert stat.S_IMODE(path.stat().st_mode) == 0o700
    finally:
        spool.close()
    other = Spool.open(root, "another dsn")
    other.close()
    assert other.directory != spool.directory


def test_host_threads_append_concurrently(make: MakeSpool) -> None:
    spool = make(segment_reports=300, max_reports=10_000)

    def host(first: int) -> None:
        for n in range(first, first + 250):
            spool.append(rid(n), b"from a host thread %d" % n)

    threads = [threading.Thread(target=host, args=(1000 * t,)) for t in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = spool.pending()
    assert sorted(ids(records)) == sorted(
        rid(1000 * t + i) for t in range(1, 9) for i in range(250)
    )
    assert all(r.payload == b"from a host thread %d" % uuid.UUID(r.report_id).int for r in records)
    assert spool.take_problems() == {}
    assert len(segments(spool.directory)) == 7  # 2000 records, 300 per segment


def test_bad_inputs_get_clear_errors(make: MakeSpool, tmp_path: Path) -> None:
    spool = make()
    with pytest.raises(ValueError, match="report_id must be a UUID"):
        spool.append("not-a-uuid", b"{}")
    spool.append(rid(1), b"{}")
    [record] = spool.pending()
    with pytest.raises(ValueError, match="outcome must be one of"):
        spool.ack(record, "sent")
    with pytest.raises(ValueError, match="'torn' must be an int >= 0"):
        spool.add_counts({"torn": -1})
    with pytest.raises(ValueError, match="max_reports must be a positive integer"):
        Spool.open(tmp_path, KEY, max_reports=0)
    spool.close()
    with pytest.raises(SpoolUnavailable, match="closed"):
        spool.append(rid(2), b"{}")


# -- several processes ------------------------------------------------------------------------


def test_a_new_instance_replays_exactly_what_was_not_acked(make: MakeSpool) -> None:
    first = make(segment_reports=2)
    for n in range(1, 6):
        first.append(rid(n), b"{}")
    records = first.pending()
    first.ack(records[0], "delivered")
    first.ack(records[2], "delivered")
    first.close()
    second = make()
    assert ids(second.pending()) == [rid(2), rid(4), rid(5)]


def test_a_dead_process_left_exactly_its_unacked_reports(make: MakeSpool, tmp_path: Path) -> None:
    python(
        """
import sys, uuid
from sdk.transports.spool import Spool
spool = Spool.open(sys.argv[1], sys.argv[2], segment_reports=3)
for n in range(1, 8):
    spool.append(str(uuid.UUID(int=n)), b"report %d" % n)
for record in spool.pending():
    if uuid.UUID(record.report_id).int in (1, 2, 3, 5):
        spool.ack(record, "delivered")
# exits without close(): the kernel releases the locks
""",
        str(tmp_path),
        KEY,
    )
    spool = make()
    records = spool.pending()
    assert ids(records) == [rid(4), rid(6), rid(7)]
    assert [r.payload for r in records] == [b"report 4", b"report 6", b"report 7"]
    assert len(segments(spool.directory)) == 2  # the fully acked first segment was deleted


def test_a_second_instance_in_the_same_process_does_not_claim_a_live_segment(
    make: MakeSpool,
) -> None:
    # flock locks belong to the open file description: a second open() conflicts even here.
    first = make()
    first.append(rid(1), b"{}")
    second = make()
    assert second.pending() == []
    assert ids(first.pending()) == [rid(1)]
    first.close()
    assert ids(second.pending()) == [rid(1)]


@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_a_live_process_segment_is_claimed_only_after_it_ended(
    make: MakeSpool, tmp_path: Path, holders: list[Holder], ending: str
) -> None:
    holder = Holder(tmp_path, 1, 3)
    holders.append(holder)
    spool = make()
    spool.append(rid(100), b"mine")
    assert ids(spool.pending()) == [rid(100)]
    limits = spool.enforce_limits()
    assert limits == {}
    if ending == "exit":
        holder.exit()
    else:
        holder.kill()
    records = spool.pending()
    assert ids(records) == [rid(1), rid(2), rid(3), rid(100)]  # the dead process's first
    assert records[0].payload == b"p" * 10
    for record in records:
        spool.ack(record, "delivered")
    assert segments(spool.directory) == [spool.directory / records[-1].segment]


def test_orphans_are_found_at_the_first_call_and_then_at_most_every_rescan_interval(
    make: MakeSpool, tmp_path: Path, holders: list[Holder]
) -> None:
    older = Holder(tmp_path, 1, 1)
    newer = Holder(tmp_path, 2, 1)
    holders += [older, newer]
    newer.exit()
    older.exit()
    late = Holder(tmp_path, 3, 1)
    holders.append(late)
    spool = make(rescan_interval=3600)
    assert ids(spool.pending()) == [rid(1), rid(2)]  # oldest segment first
    late.exit()
    assert ids(spool.pending()) == [rid(1), rid(2)]  # not rescanned yet
    assert ids(make().pending()) == [rid(3)]


def test_two_processes_adding_counts_concurrently_lose_no_update(
    make: MakeSpool, tmp_path: Path
) -> None:
    code = """
import sys
from sdk.transports.spool import Spool
spool = Spool.open(sys.argv[1], sys.argv[2], fsync=False)
for _ in range(50):
    spool.add_counts({"torn": 1, "expired": 2})
"""
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), KEY], cwd=REPO)
        for _ in range(4)
    ]
    assert [process.wait(120) for process in processes] == [0, 0, 0, 0]
    assert make().counts() == {"torn": 200, "expired": 400}


def test_counts_persist_and_never_go_below_zero(make: MakeSpool) -> None:
    spool = make(fsync=True)
    assert spool.counts() == {}
    spool.add_counts({"spool_full": 3, "expired": 1})
    spool.add_counts({"spool_full": 2, "torn": 0})
    spool.close()
    again = make()
    assert again.counts() == {"spool_full": 5, "expired": 1}
    again.subtract_counts({"spool_full": 4, "expired": 7})
    assert again.counts() == {"spool_full": 1}
    assert json.loads((again.directory / "counts.json").read_text()) == {"spool_full": 1}


def test_a_forked_child_appends_to_its_own_segment(make: MakeSpool, tmp_path: Path) -> None:
    out = python(
        """
import os, sys, uuid
from sdk.transports.spool import Spool
spool = Spool.open(sys.argv[1], sys.argv[2], fsync=False, rescan_interval=0)
spool.append(str(uuid.UUID(int=1)), b"parent before the fork")
child = os.fork()
if child == 0:
    spool.append(str(uuid.UUID(int=2)), b"child")
    # the parent is alive: its segment is not the child's to claim
    print("child sees", [r.report_id[-1] for r in spool.pending()], flush=True)
    spool.close()
    os._exit(0)
os.waitpid(child, 0)
spool.append(str(uuid.UUID(int=3)), b"parent after the fork")
# the child has exited: its segment is an orphan now, replayed first
print("parent sees", [r.report_id[-1] for r in spool.pending()], os.getpid(), child)
""",
        str(tmp_path),
        KEY,
    )
    child_line, parent_line = out.splitlines()
    assert child_line == "child sees ['2']"
    assert parent_line.startswith("parent sees ['2', '1', '3'] ")
    parent_pid, child_pid = parent_line.split()[-2:]
    by_segment: dict[str, list[str]] = {}
    for record in make().pending():
        by_segment.setdefault(record.segment.split("-")[1], []).append(record.report_id)
    assert by_segment == {parent_pid: [rid(1), rid(3)], child_pid: [rid(2)]}


# -- damage -----------------------------------------------------------------------------------


def test_a_torn_last_record_is_skipped_and_counted(make: MakeSpool) -> None:
    writer = make()
    for n in range(1, 4):
        writer.append(rid(n), b"report %d" % n)
    writer.close()
    [segment] = segments(writer.directory)
    os.truncate(segment, segment.stat().st_size - 3)
    spool = make()
    records = spool.pending()
    assert ids(records) == [rid(1), rid(2)]
    assert spool.take_problems() == {"torn": 1}
    assert spool.take_problems() == {}
    for record in records:
        spool.ack(record, "delivered")
    assert segments(spool.directory) == []


def test_a_zero_filled_tail_is_torn_not_corrupt(make: MakeSpool) -> None:
    writer = make()
    writer.append(rid(1), b"{}")
    writer.close()
    [segment] = segments(writer.directory)
    os.truncate(segment, segment.stat().st_size + 4096)  # what a crash can leave behind
    spool = make()
    assert ids(spool.pending()) == [rid(1)]
    assert spool.take_problems() == {"torn": 1}
    assert not (spool.directory / "corrupt").exists()


@pytest.mark.parametrize("where", ["marker", "payload"])
def test_garbage_in_the_middle_moves_the_segment_aside(make: MakeSpool, where: str) -> None:
    writer = make(segment_reports=3)
    for n in range(1, 6):
        writer.append(rid(n), b"report %d" % n)
    writer.close()
    damaged, intact = segments(writer.directory)
    intact_bytes = intact.read_bytes()
    second_record = len(MAGIC) + HEADER + len(b"report 1")
    at = second_record if where == "marker" else second_record + HEADER + 2
    with damaged.open("r+b") as file:
        file.seek(at)
        file.write(b"garbage")
    spool = make()
    records = spool.pending()
    assert ids(records) == [rid(1), rid(4), rid(5)]
    assert records[0].payload == b"report 1"
    assert spool.take_problems() == {"corrupted": 1}
    assert not damaged.exists()
    assert (spool.directory / "corrupt" / damaged.name).exists()
    assert intact.read_bytes() == intact_bytes
    for record in records:
        spool.ack(record, "delivered")
    assert (spool.directory / "corrupt" / damaged.name).exists()  # kept for inspection
    assert segments(spool.directory) == []


# -- limits and memory ------------------------------------------------------------------------


def test_the_count_limit_evicts_the_oldest_durably(make: MakeSpool) -> None:
    spool = make(max_reports=3, segment_reports=2)
    for n in range(1, 6):
        spool.append(rid(n), b"{}")
    assert spool.enforce_limits() == {"spool_full": 2}
    assert ids(spool.pending()) == [rid(3), rid(4), rid(5)]
    assert spool.enforce_limits() == {}
    spool.close()
    assert ids(make().pending()) == [rid(3), rid(4), rid(5)]


def test_the_byte_limit_counts_other_live_processes_but_evicts_only_ours(
    make: MakeSpool, tmp_path: Path, holders: list[Holder]
) -> None:
    holder = Holder(tmp_path, 1, 2, size=10)
    holders.append(holder)
    theirs = len(MAGIC) + 2 * (HEADER + 10)
    spool = make(max_bytes=theirs + 2 * (HEADER + 100))
    for n in range(11, 16):
        spool.append(rid(n), b"x" * 100)
    assert spool.enforce_limits() == {"spool_full": 3}
    assert ids(spool.pending()) == [rid(14), rid(15)]
    holder.exit()
    assert ids(spool.pending()) == [rid(1), rid(2), rid(14), rid(15)]


def test_the_age_limit_expires_old_reports(make: MakeSpool, tmp_path: Path) -> None:
    spool = make(max_age=86400)
    now_ms = time.time_ns() // 1_000_000
    week_ago = now_ms - 7 * 86400 * 1000
    left = spool.directory / f"{(now_ms - 1000) * 1_000_000}-999999-0badc0de.seg"
    left.write_bytes(
        MAGIC
        + record_bytes(1, b"old", week_ago)
        + record_bytes(2, b"old", week_ago + 1)
        + record_bytes(3, b"new", now_ms)
    )
    spool.append(rid(4), b"mine")
    assert spool.enforce_limits() == {"expired": 2}
    records = spool.pending()
    assert ids(records) == [rid(3), rid(4)]
    assert records[0].created == now_ms / 1000


def test_pending_returns_at_most_what_the_limits_allow(make: MakeSpool, tmp_path: Path) -> None:
    spool = make(tmp_path / "bytes", max_reports=3, max_bytes=250)
    for n in range(1, 6):
        spool.append(rid(n), b"x" * 100)
    assert ids(spool.pending()) == [rid(1), rid(2)]  # 250 payload bytes
    for record in spool.pending():
        spool.ack(record, "delivered")
    assert ids(spool.pending()) == [rid(3), rid(4)]
    small = make(tmp_path / "count", max_reports=3)
    for n in range(1, 6):
        small.append(rid(n), b"{}")
    assert ids(small.pending()) == [rid(1), rid(2), rid(3)]
    assert ids(small.pending(limit=1)) == [rid(1)]


def test_append_does_no_reads_no_listing_and_leaves_the_index_alone(tmp_path: Path) -> None:
    out = python(
        """
import json, sys, uuid
from sdk.transports.spool import Spool
spool = Spool.open(sys.argv[1], sys.argv[2], fsync=False, rescan_interval=0,
                   max_reports=100_000, segment_reports=10_002)
for n in range(1, 10_001):
    spool.append(str(uuid.UUID(int=n)), b"{}")
assert len(spool.pending()) == 10_000

def index_size():
    return sum(len(segment.entries) for segment in [*spool._claimed, *spool._own])

events = []
sys.addaudithook(lambda event, args: events.append(event))
before = index_size()
events.clear()
spool.append(str(uuid.UUID(int=10_001)), b"{}")
spool.append(str(uuid.UUID(int=10_002)), b"{}")  # the segment is full after this one
plain = list(events)
after = index_size()
events.clear()
spool.append(str(uuid.UUID(int=10_003)), b"{}")  # opens the next segment
rotation = sorted(set(events))
events.clear()
print(json.dumps({"plain": plain, "rotation": rotation, "index": [before, after]}))
""",
        str(tmp_path),
        KEY,
    )
    result = json.loads(out)
    assert result["plain"] == []  # no open, no listing, no rename: only os.write (not audited)
    assert result["index"] == [10_000, 10_000]
    assert result["rotation"] == ["fcntl.flock", "open", "os.rename"]


# -- when the spool cannot be used ------------------------------------------------------------


def test_append_raises_spool_unavailable_when_the_disk_is_full(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=64k") as mount:
        spool = Spool.open(mount, KEY, fsync=False)
        failure: SpoolUnavailable | None = None
        appended = 0
        while failure is None and appended < 200:
            try:
                spool.append(rid(appended + 1), b"x" * 1000)
            except SpoolUnavailable as full:
                failure = full
            else:
                appended += 1
        assert failure is not None
        assert failure.errno == errno.ENOSPC
        assert 10 < appended < 64
        with pytest.raises(SpoolUnavailable):  # still full: no new segment can be started
            spool.append(rid(1000), b"x" * 1000)
        spool.close()
        reader = Spool.open(mount, KEY, fsync=False, rescan_interval=0)
        try:
            assert ids(reader.pending()) == [rid(n) for n in range(1, appended + 1)]
            assert reader.take_problems() == {}  # the partial record was cut off again
        finally:
            reader.close()


def test_after_a_failed_append_the_next_one_starts_a_new_segment(
    make: MakeSpool, tmp_path: Path
) -> None:
    out = python(
        """
import errno, resource, signal, sys, uuid
from sdk.transports.spool import Spool, SpoolUnavailable
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
spool = Spool.open(sys.argv[1], sys.argv[2], fsync=False)
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
appended = 0
try:
    for n in range(1, 100):
        spool.append(str(uuid.UUID(int=n)), b"x" * 1000)
        appended += 1
except SpoolUnavailable as exc:
    print(appended, errno.errorcode[exc.errno])
spool.append(str(uuid.UUID(int=1000)), b"into a new segment")
""",
        str(tmp_path),
        KEY,
    )
    assert out.split() == ["19", "EFBIG"]  # 9 + 19 * 1033 bytes fit in 20,000
    spool = make()
    records = spool.pending()
    assert ids(records) == [*(rid(n) for n in range(1, 20)), rid(1000)]
    assert spool.take_problems() == {}
    first, _ = segments(spool.directory)
    assert first.stat().st_size == len(MAGIC) + 19 * (HEADER + 1000)


def test_open_raises_spool_unavailable_on_a_read_only_file_system(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=64k") as mount:
        with pytest.raises(SpoolUnavailable) as refused:
            Spool.open(mount, KEY)
        assert refused.value.errno == errno.EROFS
    with tmpfs(tmp_path / "rw", "size=64k") as mount:
        Spool.open(mount, KEY).close()  # the directory exists, then the mount turns read-only
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with pytest.raises(SpoolUnavailable) as refused:
            Spool.open(mount, KEY)
        assert refused.value.errno == errno.EROFS


def test_open_raises_spool_unavailable_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(SpoolUnavailable) as refused:
        Spool.open(tmp_path / "file" / "spool", KEY)
    assert refused.value.errno == errno.ENOTDIR
    assert isinstance(refused.value, OSError)
