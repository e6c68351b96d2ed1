"""Hybrid retrieval: BM25 over jieba words, BM25 over character uni+bigrams, and dense similarity,
fused as a weighted sum of per-query min-max normalised scores.

Why not reciprocal rank fusion: RRF gives a weak retriever's ranks as much say
as a strong one's; on Chinese text BM25 is far stronger than the bundled dense
encoder, and RRF of the two ranked below BM25 alone. Score fusion keeps the
margins: a passage that BM25 prefers by a wide gap stays first, while dense
similarity breaks near-ties and rescues paraphrases.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .config import Settings
from .index import Index
from .text import char_tokens, word_tokens
from .types import Hit

RETRIEVERS = ("bm25_words", "bm25_chars", "dense_sentence", "dense_passage")


@dataclass(frozen=True)
class Weights:
    bm25_words: float = Settings.w_bm25_word
    bm25_chars: float = Settings.w_bm25_char
    dense_sentence: float = Settings.w_dense_sentence
    dense_passage: float = Settings.w_dense_passage

    @classmethod
    def from_settings(cls, s: Settings) -> "Weights":
        return cls(s.w_bm25_word, s.w_bm25_char, s.w_dense_sentence, s.w_dense_passage)

    @classmethod
    def only(cls, name: str) -> "Weights":
        """One retriever alone, for comparisons."""
        return cls(**{r: float(r == name) for r in RETRIEVERS})


def _minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the candidates, with 0 counted among them: positive scores are divided by
    their maximum, so a candidate set whose scores are all alike does not get stretched apart."""
    lo, hi = float(x.min(initial=0.0)), float(x.max(initial=0.0))
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
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


@dataclass(frozen=True)
class Features:
    """Per-candidate raw scores of each retriever (rows align with `pids`)."""

    pids: np.ndarray
    raw: dict[str, np.ndarray]


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def background(fn: Callable[..., np.ndarray], *args) -> Future:
    """Run `fn(*args)` (the query embedding) on a worker thread and return its future.

    `retrieve` takes the future as the query vector and waits for it only after scoring the keyword
    indexes: the BM25 kernel and the encoder's matrix products release the GIL, so on two cores the
    embedding is mostly hidden (1M passages: query p50 17.2 -> 13.6 ms for embedding + keyword scoring).
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qa-embed")
    return _POOL.submit(fn, *args)


def candidate_features(index: Index, query: str, qvec: np.ndarray | Future | None, n: int, rerank: int = 30) -> Features:
    """The union of each retriever's top `n` passages, with every retriever's score for each.

    `qvec` may be a future (see `background`): it is awaited after the keyword scoring.
    The sentence-level dense score is computed for the `rerank` most promising candidates only.
    """
    w_scores, w_ids = index.words.scores(word_tokens(query, query=True))
    c_scores, c_ids = index.chars.scores(char_tokens(query, query=True))
    if isinstance(qvec, Future):
        qvec = qvec.result()
    cand = set(w_ids[_top(w_scores, n)].tolist()) | set(c_ids[_top(c_scores, n)].tolist())
    dense_passage: dict[int, float] = {}
    if qvec is not None and len(index.vectors):
        d_scores, d_ids = index.vectors.search(qvec, n)
        dense_passage = {int(i): float(s) for i, s in zip(d_ids[0], d_scores[0]) if i >= 0}
        cand |= dense_passage.keys()
    pids = np.array(sorted(cand), dtype=np.int64)
    # BM25 rows and passage ids are both in insertion order, so ids are sorted.
    raw = {
        "bm25_words": w_scores[np.searchsorted(w_ids, pids)] if len(w_ids) else np.zeros(len(pids)),
        "bm25_chars": c_scores[np.searchsorted(c_ids, pids)] if len(c_ids) else np.zeros(len(pids)),
    }
    floor = min(dense_passage.values(), default=0.0)
    raw["dense_passage"] = np.array([dense_passage.get(int(p), floor) for p in pids], dtype=np.float32)
    raw["dense_sentence"] = np.zeros(len(pids), np.float32)
    if qvec is not None and len(pids):
        # Sentence vectors are the costly part: score only the passages the
        # other retrievers already rank near the top; the rest keep the floor.
        partial = sum(_minmax(np.asarray(raw[r], dtype=np.float32)) for r in ("bm25_words", "bm25_chars", "dense_passage"))
        near = _top(partial, rerank)
        best = _best_sentence(index, pids[near], qvec)
        raw["dense_sentence"][:] = best.min(initial=0.0)
        raw["dense_sentence"][near] = best
    return Features(pids, {k: np.asarray(v, dtype=np.float32) for k, v in raw.items()})


def _best_sentence(index: Index, pids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
    """Cosine of the query to each passage's closest sentence, for all candidates in one product."""
    lo = np.searchsorted(index.sent_pid, pids)
    hi = np.searchsorted(index.sent_pid, pids + 1)
    lengths = hi - lo
    out = np.full(len(pids), -1.0, dtype=np.float32)
    if not lengths.sum():
        return out
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = np.repeat(lo - starts, lengths) + np.arange(lengths.sum())
    sims = np.asarray(index.sent_vec[rows], dtype=np.float32) @ qvec.astype(np.float32).ravel()
    has = lengths > 0
    out[has] = np.maximum.reduceat(sims, starts[has])
    return out


def fuse(features: Features, weights: Weights) -> np.ndarray:
    """Weighted sum of min-max normalised scores, one per candidate."""
    total = np.zeros(len(features.pids), dtype=np.float32)
    for name in RETRIEVERS:
        w = getattr(weights, name)
        if w:
            total += w * _minmax(features.raw[name])
    return total


def retrieve(index: Index, query: str, qvec: np.ndarray | Future | None, k: int, settings: Settings,
             weights: Weights | None = None) -> list[Hit]:
    """The `k` best passages for the query, best first (`qvec`: the query vector, or a future of it)."""
    if not index.passages:
        return []
    feats = candidate_features(index, query, qvec, settings.candidates)
    if not len(feats.pids):
        return []
    fused = fuse(feats, weights or Weights.from_settings(settings))
    order = _top(fused, k)
    return [Hit(int(feats.pids[i]), index.passages[int(feats.pids[i])], float(fused[i])) for i in order]
