"""Time for drills: UTC wall timestamps for the evidence, monotonic durations for RTO, and sleep.

Everything that waits (retry backoff, polling) sleeps through a `DrillClock`, so tests and the
fault matrix run on virtual time: `ManualClock.sleep` advances its own time (and, through
`on_sleep`, the emulator's virtual clock) instead of blocking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class DrillClock(Protocol):
    """A source of wall time, monotonic time and sleep."""

    def wall(self) -> datetime:
        """The current UTC time (timezone-aware), for timestamps in the evidence."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never go backwards, for durations."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (>= 0)."""
        ...


class SystemClock:
    """The machine's clocks: what a drill uses against AWS or a wall-clock emulator."""

    def wall(self) -> datetime:
        """`datetime.now(UTC)`."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """`time.sleep`, never negative."""
        time.sleep(max(0.0, seconds))


class ManualClock:
    """Virtual time that moves only when something sleeps (or `advance` is called).

    `on_sleep(seconds)` is called for every sleep, so a test can keep the emulator's virtual
    clock in step with the drill's: a drill that polls for a switchover then sees it progress
    exactly as it would on AWS, in no real time at all.
    """

    def __init__(self, start: datetime | None = None, on_sleep: Callable[[float], object] | None = None) -> None:
        self._origin = start or datetime(2025, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self._on_sleep = on_sleep
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def wall(self) -> datetime:
        """The origin plus the virtual time elapsed."""
        with self._lock:
            return self._origin + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Virtual seconds since the clock was made."""
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move virtual time forward without calling `on_sleep`."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._lock:
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        """Advance virtual time by `seconds` and tell `on_sleep`."""
        seconds = max(0.0, seconds)
        self.advance(seconds)
        self.slept.append(seconds)
        if self._on_sleep is not None:
            self._on_sleep(seconds)


def iso(moment: datetime) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as the evidence records every time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
