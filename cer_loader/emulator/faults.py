"""Faults on demand: ``KIND:RATE`` comma lists (``busy:0.2,reset-after:0.1,latency:50``).

Rates are probabilities per request (``refuse``: per record); ``latency`` takes milliseconds,
``retry-after`` the seconds a ``busy`` answer's ``Retry-After`` header asks for (default 1; 0
sends no header).
Draws come from one seeded generator, so a seed makes a faulty run repeatable; ``refuse`` is
decided per record key (a refused record stays refused when it is sent again, like a business
rule would).
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field

KINDS = (
    "latency", "busy", "reset-before", "reset-after", "timeout-after", "fault-signature",
    "fault-auth", "fault-validation", "refuse", "retry-after",
)  # fmt: skip
# the order faults are drawn in for each request (one draw each, so runs are repeatable)
REQUEST_KINDS = (
    "busy", "reset-before", "fault-signature", "fault-auth", "fault-validation", "reset-after",
    "timeout-after",
)  # fmt: skip


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)
    latency_ms: int = 0
    seed: int = 0
    retry_after_s: int = 1  # the Retry-After header of a busy (503) answer; 0: none

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> set[str]:
        """The request-level faults that strike this request."""
        with self._lock:
            rolls = {k: self._rng.random() for k in REQUEST_KINDS}
        return {k for k, r in rolls.items() if r < self.rates.get(k, 0.0)}

    def refused(self, key: str) -> bool:
        rate = self.rates.get("refuse", 0.0)
        if rate <= 0:
            return False
        h = hashlib.sha256(f"{self.seed}|{key}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64 < rate


def parse_faults(spec: str, seed: int = 0) -> FaultPlan:
    plan = FaultPlan(seed=seed)
    for item in filter(None, (s.strip() for s in (spec or "").split(","))):
        kind, sep, value = item.partition(":")
        if kind not in KINDS or not sep:
            raise FaultSpecError(f"unknown fault '{item}' (KIND:RATE, KIND in {', '.join(KINDS)})")
        try:
            number = float(value)
        except ValueError:
            raise FaultSpecError(f"'{item}': '{value}' is not a number") from None
        if kind == "latency":
            if number < 0:
                raise FaultSpecError(f"'{item}': latency must be >= 0 ms")
            plan.latency_ms = int(number)
        elif kind == "retry-after":
            if number < 0 or number != int(number):
                raise FaultSpecError(f"'{item}': retry-after is whole seconds >= 0")
            plan.retry_after_s = int(number)
        else:
            if not 0 <= number <= 1:
                raise FaultSpecError(f"'{item}': a rate is between 0 and 1")
            plan.rates[kind] = number
    return plan
