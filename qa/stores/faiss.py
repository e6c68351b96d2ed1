"""FAISS vector store: exact inner-product search, or IVF with 8-bit scalar quantisation for large corpora."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import CorruptIndexError

# Above this many vectors exact search stops being fast enough on 2 cores: at 100k
# it scans 205 MB a query (18.6 ms p50), while IVF-SQ8 with nprobe 32 takes 0.57 ms
# at recall@10 0.981 against exact (bench/results/results.md).
EXACT_LIMIT = 50_000


class FaissStore:
    """`flat`: IDMap2 over IndexFlatIP. `ivf-sq8`: IVF(sqrt-sized lists) with SQ8 codes, ids stored natively."""

    def __init__(self, index, kind: str, nprobe: int = 32):
        self._index = index
        self.kind = kind
        self.nprobe = nprobe

    @classmethod
    def create(cls, dim: int, expected_size: int = 0, kind: str = "auto") -> "FaissStore":
        import faiss

        if kind == "auto":
            kind = "ivf-sq8" if expected_size > EXACT_LIMIT else "flat"
        if kind == "flat":
            return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), kind)
        if kind == "ivf-sq8":
            nlist = max(16, int(4 * math.sqrt(max(expected_size, 1))))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            return cls(index, kind)
        raise ValueError(f"unknown vector index kind {kind!r}: use auto, flat or ivf-sq8")

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not self._index.is_trained:
            # Train on (a sample of) the first batch; IVF needs ~40 points per list.
            rng = np.random.default_rng(0)
            n = min(len(vectors), 40 * self._index.nlist)
            sample = vectors[rng.choice(len(vectors), n, replace=False)] if n < len(vectors) else vectors
            self._index.train(sample)
        self._index.add_with_ids(vectors, ids)

    def delete(self, ids: np.ndarray) -> None:
        self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self))) if len(self) else 1
        # One query gains nothing from OpenMP threads, and on a busy machine their spin-waiting
        # costs tens of ms (bench: flat search over 10k vectors, p50 68 ms threaded).
        threads = faiss.omp_get_max_threads()
        if len(queries) == 1:
            faiss.omp_set_num_threads(1)
        try:
            if self.kind == "ivf-sq8":
                params = faiss.SearchParametersIVF(nprobe=self.nprobe)
                return self._index.search(queries, k, params=params)
            return self._index.search(queries, k)
        finally:
            faiss.omp_set_num_threads(threads)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "FaissStore":
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as e:
            raise CorruptIndexError(f"cannot read vector index {path}: {str(e).splitlines()[0]}; rebuild the index with `qa index`") from None
        return cls(index, "ivf-sq8" if isinstance(index, faiss.IndexIVF) else "flat")

    def __len__(self) -> int:
        return int(self._index.ntotal)
