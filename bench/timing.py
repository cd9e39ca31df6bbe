"""Timers. Every figure is timed beside its floor, interleaved, so both see the same noise."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pair:
    """Timings of a figure and its floor, in seconds, with the last result of each."""

    figure: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    figure_result: object = None
    floor_result: object = None

    @property
    def best(self) -> float:
        return min(self.figure)

    @property
    def floor_best(self) -> float:
        return min(self.floor)

    @property
    def median(self) -> float:
        return statistics.median(self.figure)

    @property
    def floor_median(self) -> float:
        return statistics.median(self.floor)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def interleaved(figure: Callable[[], object], floor: Callable[[], object], *, runs: int, warmup: int = 1) -> Pair:
    """Run figure and floor alternately: `warmup` untimed rounds, then `runs` timed ones."""
    pair = Pair()
    for i in range(warmup + runs):
        seconds, pair.figure_result = timed(figure)
        floor_seconds, pair.floor_result = timed(floor)
        if i >= warmup:
            pair.figure.append(seconds)
            pair.floor.append(floor_seconds)
    return pair


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def human(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"
