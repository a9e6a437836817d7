"""The HL7 reader's second process: a fork that sends its results over a pipe as it makes them.

Both places that share the reading with a second core (``bulk``: the column path's later
chunks; ``rows``: the fold's later appointments) start one with :class:`Forked`. The child
runs ``work(*args)``, a generator, and sends each item it yields as soon as it is made; a
thread here receives them meanwhile, so neither side holds a whole half twice. The child
ignores SIGINT: Ctrl-C is this process's, and leaving the ``with`` block kills a child still
running (a process pool would wait for the work it had queued). :meth:`Forked.results` gives
one entry per expected item, ``None`` for each the child did not deliver (it could not start,
died, failed, or yielded ``None``): the caller does that part itself, so the answer never
depends on the second process.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

__all__ = ["Forked"]


class Forked:
    """``with Forked(work, args, expected) as child:`` … ``child.results()``."""

    def __init__(self, work: Callable[..., Iterator[Any]], args: tuple, expected: int) -> None:
        ctx = mp.get_context("fork")
        self._receiving, sending = ctx.Pipe(duplex=False)
        self._expected = expected
        self._got: list[Any] = []
        process: Any = ctx.Process(target=_run, args=(work, args, sending), daemon=True)
        try:
            process.start()
        except OSError:  # no process to be had: the caller reads everything
            process = None
        sending.close()
        self._process = process
        self._receiver: threading.Thread | None = None
        if process is not None:
            self._receiver = threading.Thread(target=self._receive, daemon=True)
            self._receiver.start()

    def _receive(self) -> None:
        try:
            while len(self._got) < self._expected:
                self._got.append(self._receiving.recv())
        except (EOFError, OSError):  # the child is gone: what it did not send is read there
            pass

    def results(self) -> list[Any]:
        """What the child sent, in order, ``None`` for each item it did not (waits for it)."""
        if self._receiver is not None:
            self._receiver.join()
        return [*self._got, *[None] * (self._expected - len(self._got))]

    def __enter__(self) -> Forked:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._process
        if process is not None:
            if process.is_alive() and len(self._got) < self._expected:
                process.kill()
            process.join()
        self._receiving.close()


def _run(work: Callable[..., Iterator[Any]], args: tuple, sending: Any) -> None:
    """The child: each item sent as it is made; on a failure the rest is left to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this one
    try:
        for item in work(*args):
            sending.send(item)
            del item  # not held while the next one is made (a chunk's rows: ~30 MB at 64k)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the parent is gone
    except Exception:  # noqa: BLE001 - what was not sent, the parent reads itself
        pass
    finally:
        sending.close()
