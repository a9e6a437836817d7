"""Keyed digests of long columns with a second core: a helper process (:mod:`.hmac_loop`, run
by path with nothing but the standard library) makes the HMAC-SHA256 of the columns sent to it
while this process goes on with other work, or with the other half of the same column.

Python's hashlib holds the GIL for short values, so a thread cannot share the per-value loop
(~1 µs a value); a process can, and it needs no copy of the run's frame: each column goes down
a pipe as its Arrow buffers (offsets and bytes) and comes back as one buffer of 32-byte
digests. The digests are the very bytes the same loop makes here (the loop is one function,
:func:`.hmac_loop.hmac_sha256`). The key (the ledger's salt) goes down the pipe too, never on a
command line. Without a second core, for a frozen build, for columns shorter than
:data:`HELPER_VALUES`, or when the helper cannot be started or dies, the digests are made here.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa

from cer_loader.ledger.hmac_loop import hmac_sha256

HELPER_VALUES = 20_000  # a column shorter than this is digested here (the pipe costs more)
_WIDTH = 32
_LOOP = Path(__file__).with_name("hmac_loop.py")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _bytes(texts: pa.Array) -> pa.Array:
    """A string or binary column (no nulls) with 32-bit offsets."""
    if texts.null_count:
        raise ValueError("a digested column has no missing values")
    if not (pa.types.is_binary(texts.type) or pa.types.is_string(texts.type)):
        texts = texts.cast(pa.binary())
    return texts


def local(key: bytes, texts: pa.Array) -> bytes:
    """The digests of ``texts`` made in this process, end to end."""
    return b"".join(hmac_sha256(key, _bytes(texts).cast(pa.binary()).to_pylist()))


def _frames(texts: pa.Array) -> list[bytes | memoryview]:
    """One job on the pipe: the counts, the values' offsets from 0, their bytes."""
    arr = _bytes(texts)
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * arr.offset)
    start, end = int(offsets[0]), int(offsets[-1])
    data = arr.buffers()[2]
    values = memoryview(data)[start:end] if data is not None else b""
    head = n.to_bytes(8, sys.byteorder) + (end - start).to_bytes(8, sys.byteorder)
    return [head, (offsets - start).astype(np.int32).tobytes(), values]


class Job:
    """The digests of one submitted column: :meth:`result` (``32 × len(texts)`` bytes)."""

    def __init__(self, key: bytes, texts: pa.Array, sent: bool) -> None:
        self._key, self._texts, self._sent = key, texts, sent
        self._size = _WIDTH * len(texts)
        self._answer: bytes | None = None
        self._ready = threading.Event()  # set by the reader thread (answer or not)

    def result(self) -> bytes:
        if self._sent:
            self._ready.wait()
        if self._answer is None:  # made here: a short column, or the helper is gone
            self._answer = local(self._key, self._texts)
        self._texts = pa.array([], pa.binary())  # the column is not needed any more
        return self._answer


class Digester:
    """HMAC-SHA256 under ``salt`` of text columns, by a helper process where it pays off. Use
    as a context manager (the helper ends with it). :meth:`submit` sends a column and returns at
    once (read the :class:`Job` results in the order submitted, or any later one first: the
    earlier answers are kept); :meth:`digest` makes one column with both processes."""

    def __init__(self, salt: str, *, helper: bool | None = None) -> None:
        self._key = salt.encode("ascii")
        if helper is None:
            helper = _cores() > 1 and not getattr(sys, "frozen", False)
        self._usable = helper
        self._proc: subprocess.Popen[bytes] | None = None
        self._outbox: queue.Queue[list[bytes | memoryview] | None] = queue.Queue()
        self._inbox: queue.Queue[Job | None] = queue.Queue()  # sent, answer not read yet
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Digester:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def submit(self, texts: pa.Array) -> Job:
        """Send ``texts`` (no nulls) to the helper, or keep them to be digested here."""
        texts = _bytes(texts)
        if len(texts) < HELPER_VALUES or not self._start():
            return Job(self._key, texts, sent=False)
        job = Job(self._key, texts, sent=True)
        self._inbox.put(job)
        self._outbox.put(_frames(texts))
        return job

    def digest(self, texts: pa.Array) -> bytes:
        """The digests of ``texts`` now: the helper makes the first half while this process
        makes the second."""
        half = len(texts) // 2
        if half < HELPER_VALUES:
            return local(self._key, texts)
        theirs = self.submit(texts.slice(0, half))
        mine = local(self._key, texts.slice(half))
        return theirs.result() + mine

    def _start(self) -> bool:
        if self._proc is None and self._usable:
            try:
                self._proc = subprocess.Popen(  # noqa: S603 - our own script, no shell
                    [sys.executable, "-I", "-S", str(_LOOP)], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            except OSError:
                self._usable = False
                return False
            self._outbox.put([len(self._key).to_bytes(4, sys.byteorder), self._key])
            self._threads = [
                threading.Thread(target=self._write, name="digests-out", daemon=True),
                threading.Thread(target=self._read, name="digests-in", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
        return self._usable

    def _write(self) -> None:
        """The writer thread: jobs down the pipe in order (a blocked write holds no GIL)."""
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        try:
            while (frames := self._outbox.get()) is not None:
                for frame in frames:
                    stdin.write(frame)
                stdin.flush()
        except (OSError, ValueError):  # the helper is gone: what it did not answer is made here
            pass

    def _read(self) -> None:
        """The reader thread: each answer as soon as the helper writes it (so the helper never
        waits for this process to ask), in the order the jobs were sent."""
        assert self._proc is not None and self._proc.stdout is not None
        stdout, alive = self._proc.stdout, True
        while (job := self._inbox.get()) is not None:
            if alive:
                try:
                    answer = stdout.read(job._size)
                except (OSError, ValueError):
                    answer = b""
                alive = len(answer) == job._size
                if alive:
                    job._answer = answer
                else:  # the helper died: this job and every later one is made here
                    self._usable = False
            job._ready.set()

    def _stop(self, kill: bool) -> None:
        self._usable = False
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            proc.kill()
        self._outbox.put(None)
        self._inbox.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """End the helper (at once if answers are still unread: nobody will read them)."""
        self._stop(kill=not self._inbox.empty())
