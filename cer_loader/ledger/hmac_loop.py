"""The keyed digests' loop itself: HMAC-SHA256 of many values under one key, and the same loop
serving a parent process over a pipe (:mod:`.digester` starts it as its own process, so a
second core makes half of a long column's digests). Standard library only: the helper process
imports nothing else (run by path, ``python -I -S``).

The digests are byte-identical to ``hmac.new(key, value, sha256).digest()`` per value: the
key's inner and outer SHA-256 states are prepared once and copied per value (what
``hmac.digest`` would set up again for every call).

The pipe (native byte order, both ends on one machine): the parent sends the key's length (4
bytes) and the key, then per job the number of values and their bytes' length (8 bytes each),
the values' ``n + 1`` offsets (int32, the first 0) and their bytes end to end; the helper
answers each job, in order, with its ``n`` digests of 32 bytes end to end. The parent closing
the pipe ends the helper.
"""

from __future__ import annotations

import hashlib
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

_BLOCK = 64  # SHA-256's block size: HMAC pads (or hashes) the key to it


def _states(key: bytes) -> tuple[Callable[[], Any], Callable[[], Any]]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy
    return inner, outer


def hmac_sha256(key: bytes, texts: Iterable[bytes]) -> list[bytes]:
    """HMAC-SHA256 under ``key`` of each value, as raw 32-byte digests."""
    inner, outer = _states(key)
    out: list[bytes] = []
    append = out.append
    for text in texts:
        h = inner()
        h.update(text)
        o = outer()
        o.update(h.digest())
        append(o.digest())
    return out


def _read(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError
    return data


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """Answer the parent's jobs (the pipe above) until it closes the pipe."""
    head = inp.read(4)
    if len(head) != 4:
        return
    key = _read(inp, int.from_bytes(head, sys.byteorder))
    while True:
        head = inp.read(16)
        if not head:
            return
        if len(head) != 16:
            raise EOFError
        n = int.from_bytes(head[:8], sys.byteorder)
        size = int.from_bytes(head[8:], sys.byteorder)
        offsets = memoryview(_read(inp, 4 * (n + 1))).cast("i")
        data = _read(inp, size)
        values = (data[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True))
        out.write(b"".join(hmac_sha256(key, values)))
        out.flush()


if __name__ == "__main__":  # the helper process: Ctrl-C is the parent's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
