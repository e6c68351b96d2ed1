"""Small measuring tools: peak RSS sampled in a thread, latency percentiles, size on disk."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np


class PeakRSS:
    """Samples this process's resident set size every `interval` seconds; `peak` is the highest seen."""

    def __init__(self, interval: float = 0.02):
        import psutil

        self._proc = psutil.Process()
        self.interval = interval
        self.baseline = self.now()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        return self._proc.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(self.interval)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def timed_queries(fn: Callable[[int], object], n: int, budget_s: float, min_n: int = 10) -> np.ndarray:
    """Seconds of fn(i) for i = 0.. until `n` calls or `budget_s` seconds (at least `min_n` calls)."""
    out = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
        if i + 1 >= min_n and time.perf_counter() - start > budget_s:
            break
    return np.array(out)


def latency(seconds: np.ndarray) -> dict:
    """p50 / p95 in ms, queries per second (one at a time), and how many were timed."""
    if not len(seconds):
        return {"n": 0}
    return {
        "n": int(len(seconds)),
        "p50_ms": float(np.percentile(seconds, 50) * 1e3),
        "p95_ms": float(np.percentile(seconds, 95) * 1e3),
        "qps": float(len(seconds) / seconds.sum()),
    }


def du(path: Path) -> int:
    """Bytes on disk under `path` (file sizes)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def machine() -> dict:
    import platform

    import psutil

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
