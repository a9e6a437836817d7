"""What every fuzz target shares: the personal data planted in the inputs, the outcome record
(inputs per target, exit codes, error classes, crashes), the leak checks on messages and logs,
and the session summary (printed with ``-s`` and written to ``FUZZ_REPORT``, default
``fuzz-report.json`` in the working folder).

A fuzz module imports ``logs_fixture``, ``timed_fixture`` and ``report_fixture`` (the fixtures
``logs``, ``timed``, ``fuzz_report``). Run: ``FUZZ_EXAMPLES=2000 pytest -m fuzz tests/fuzz -s -p no:xdist``. ``FUZZ_EXAMPLES`` is the
count per reader or loader target; a whole-pipeline target runs a tenth of it (each input is a
full run with every report written).
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, settings

from cer_loader.errors import CerLoaderError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
PESEL, NAME, PHONE = "44051401359", "Zażółćkowska", "600700800"
SECRET = "Tajne-Haslo-9271"  # the value of a secret-like key: never in any message
LEAKS = (PESEL, NAME, PHONE, SECRET)

COUNTS: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
CRASHES: dict[str, list[str]] = collections.defaultdict(list)
SECONDS: collections.Counter[str] = collections.Counter()
_DONE: list[bool] = []


def fuzz_settings(weight: float = 1.0) -> settings:
    """Hypothesis settings of a target: ``weight`` × FUZZ_EXAMPLES inputs, reproducible."""
    return settings(
        max_examples=max(1, int(EXAMPLES * weight)), deadline=None, derandomize=True,
        database=None, suppress_health_check=list(HealthCheck),
    )  # fmt: skip


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|`[^`]*`")
_DIGITS = re.compile(r"(?<![A-Za-z-])(0x[0-9a-fA-F]+|\d+)")


def message_class(text: str) -> str:
    """An error message without what varies (quoted values, numbers, the file): its kind."""
    text = re.sub(r"^(?:błąd|error):\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^/\S*?(?::\d+)?: ", "", text)  # the file (and line) the message names
    text = _DIGITS.sub("N", _QUOTED.sub("…", text))
    return " ".join(text.split())[:70]


def record(target: str, outcome: str) -> None:
    COUNTS[target][outcome] += 1


def record_error(target: str, exc: CerLoaderError) -> None:
    """A CerLoaderError as an outcome: exit 1/2 are answers, 3 is a crash (an input made the
    run fail in a way it should not)."""
    label = f"exit {exc.exit_code} {type(exc).__name__}: {message_class(exc.message_en)}"
    record(target, label)


def crash(target: str, label: str, raw: bytes, suffix: str) -> None:
    """An input that broke an assertion: counted, and kept in FUZZ_CRASH_DIR (default
    ``fuzz-crashes/``) to become a named regression fixture."""
    CRASHES[target].append(label)  # the outcome itself is counted by the caller
    (_folder() / f"{target}-{len(CRASHES[target]):04d}{suffix}").write_bytes(raw)


def keep_last(target: str, raw: bytes, suffix: str) -> None:
    """The input about to be tried, kept where it stays if the process dies (an abort)."""
    (_folder() / f"{target}-last-input{suffix}").write_bytes(raw)


def _folder() -> Path:
    folder = Path(os.environ.get("FUZZ_CRASH_DIR", "fuzz-crashes"))
    folder.mkdir(exist_ok=True)
    return folder


def leak_in(text: str) -> str:
    """The first planted personal value (or the secret) ``text`` holds, else ''."""
    return next((s for s in LEAKS if s in text), "")


T = TypeVar("T")


def attempt(target: str, fn: Callable[[], T], raw: bytes, suffix: str) -> T | None:
    """``fn()``; a CerLoaderError of exit 1/2 is an answer (recorded by class, its text checked
    for leaks), anything else a crash. None when it raised."""
    keep_last(target, raw, suffix)
    try:
        return fn()
    except CerLoaderError as exc:
        record_error(target, exc)
        said = exc.text("pl") + "\n" + exc.text("en")
        if exc.exit_code not in (1, 2):
            crash(target, f"EXIT {exc.exit_code}: {message_class(exc.message_en)}", raw, suffix)
        elif leak_in(said):
            crash(target, f"LEAK {leak_in(said)!r} in error", raw, suffix)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - a Rust panic is a BaseException
        record(target, f"CRASH {type(exc).__name__}")
        crash(target, f"CRASH {type(exc).__name__}: {message_class(str(exc))}", raw, suffix)
    return None


def check_logs(target: str, logs: LogCapture, raw: bytes, suffix: str) -> None:
    text = logs.take()
    if leak_in(text):
        crash(target, f"LEAK {leak_in(text)!r} in log", raw, suffix)


def assert_no_crash(target: str) -> None:
    assert COUNTS[target], f"no input reached {target}"
    assert not CRASHES[target], f"{len(CRASHES[target])} crashes: {CRASHES[target][:5]}"


def assert_no_leak(where: str, text: str) -> None:
    for secret in LEAKS:
        assert secret not in text, f"{secret!r} leaked in {where}: {text[:500]!r}"


class LogCapture(logging.Handler):
    """Every record of the ``cer_loader`` logger at DEBUG, for the leak check."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, rec: logging.LogRecord) -> None:
        self.lines.append(self.format(rec))

    def take(self) -> str:
        text, self.lines = "\n".join(self.lines), []
        return text


@pytest.fixture(name="logs")
def logs_fixture() -> Iterator[LogCapture]:
    logger = logging.getLogger("cer_loader")
    handler, old = LogCapture(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.fixture(name="timed")
def timed_fixture(request: pytest.FixtureRequest) -> Iterator[None]:
    start = time.perf_counter()
    yield
    SECONDS[request.node.name.removeprefix("test_fuzz_")] += time.perf_counter() - start


def summary() -> dict[str, object]:
    targets = {
        name: {"inputs": sum(c.values()), "seconds": round(SECONDS.get(name, 0.0), 1),
               "outcomes": dict(c.most_common()), "crashes": CRASHES.get(name, [])}
        for name, c in sorted(COUNTS.items())
    }  # fmt: skip
    return {"examples_per_target": EXAMPLES, "total_inputs": sum(sum(c.values()) for c in COUNTS.values()),
            "total_crashes": sum(len(v) for v in CRASHES.values()), "targets": targets}  # fmt: skip


def print_summary(report: dict[str, object]) -> str:
    lines = [f"\nfuzz: {report['total_inputs']} inputs, {report['total_crashes']} crashes"]
    targets = report["targets"]
    assert isinstance(targets, dict)
    for name, t in targets.items():
        lines.append(f"  {name}: {t['inputs']} inputs in {t['seconds']} s")
        for outcome, n in list(t["outcomes"].items())[:12]:
            lines.append(f"    {n:6d}  {outcome}")
        if len(t["outcomes"]) > 12:
            lines.append(f"    ... {len(t['outcomes']) - 12} more classes in the report file")
    return "\n".join(lines)


@pytest.fixture(scope="session", autouse=True, name="fuzz_report")
def report_fixture() -> Iterator[None]:
    """At the end of the session: the figures, printed (``-s``) and written as JSON."""
    yield
    if not COUNTS or _DONE:  # every fuzz module imports this fixture; the first one reports
        return
    _DONE.append(True)
    report = summary()
    path = os.environ.get("FUZZ_REPORT", "fuzz-report.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=1)
    print(print_summary(report) + f"\n  (written to {path})")
