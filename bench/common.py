"""Helpers for benchmarks: JSON-line output, peak memory, a temporary database."""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any


def emit(name: str, **figures: Any) -> None:
    """Print one JSON line of figures."""
    print(json.dumps({"bench": name, **figures}, ensure_ascii=False), flush=True)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start
