"""BM25 keyword store on bm25s (sparse matrices, no Python loop per document).

Token ids of every passage are kept beside the bm25s matrices, so adding or
deleting passages recomputes the corpus statistics (IDF, mean length) without
tokenising anything again.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import CorruptIndexError


def _posting_adder():
    """out[rows] += weights for one posting list (rows unique): scipy's csc_matvec on a one-column view, or
    np.add.at where that private kernel is missing or has changed (same result, slower)."""
    try:
        from scipy.sparse._sparsetools import csc_matvec

        probe = np.zeros(3, np.float32)
        csc_matvec(3, 1, np.array([0, 2], np.int32), np.array([0, 2], np.int32), np.ones(2, np.float32), np.ones(1, np.float32), probe)
        if probe.tolist() != [1.0, 0.0, 1.0]:
            raise ValueError(probe)
    except Exception:  # noqa: BLE001 - any failure of the private kernel means: use the public path
        return lambda out, rows, weights: np.add.at(out, rows, weights)
    one = np.ones(1, np.float32)

    def add(out: np.ndarray, rows: np.ndarray, weights: np.ndarray) -> None:
        csc_matvec(len(out), 1, np.array([0, len(rows)], rows.dtype), rows, weights, one, out)

    return add


_add_posting = _posting_adder()


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG at import; keep its chatter out of our output.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class BM25Store:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self._tokens = np.zeros(0, dtype=np.int32)  # all passages' token ids, concatenated
        self._offsets = np.zeros(1, dtype=np.int64)  # passage i owns _tokens[_offsets[i]:_offsets[i+1]]
        self.ids = np.zeros(0, dtype=np.int64)  # passage id of each row
        self._df = np.zeros(0, dtype=np.int64)
        self._bm25 = None

    def __len__(self) -> int:
        return len(self.ids)

    # -- building -------------------------------------------------------------------------------
    def add(self, ids: np.ndarray, tokens: Sequence[Sequence[str]]) -> None:
        """Append passages (their tokens) and re-derive the scoring matrices."""
        vocab = self.vocab
        rows = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in toks), dtype=np.int32, count=len(toks)) for toks in tokens]
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        self._tokens = np.concatenate([self._tokens, *rows]) if rows else self._tokens
        self._offsets = np.concatenate([self._offsets, self._offsets[-1] + np.cumsum(lengths)])
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self._reindex()

    def delete(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self.ids, ids)
        lengths = np.diff(self._offsets)
        token_keep = np.repeat(keep, lengths)
        self._tokens = self._tokens[token_keep]
        self._offsets = np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64)
        self.ids = self.ids[keep]
        self._reindex()

    def _reindex(self) -> None:
        """Term frequencies, document frequencies and BM25 weights straight from the token-id arrays, with
        scipy's sparse conversions; no Python list per passage (bm25s' own index() needs ~36 bytes per token)."""
        import scipy.sparse as sp

        bm25s = _bm25s()

        n, v = len(self.ids), len(self.vocab)
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._df = np.zeros(v, dtype=np.int64)
        if not n or not v:
            return
        lengths = np.diff(self._offsets)
        tf = sp.csr_matrix((np.ones(len(self._tokens), np.float32), self._tokens, self._offsets), shape=(n, v))
        tf.sum_duplicates()  # one entry per (passage, token): its count
        self._df = np.bincount(tf.indices, minlength=v).astype(np.int64)
        # bm25s' default ("lucene") weights, so scores equal what bm25s.BM25.index would give.
        idf = np.log(1.0 + (n - self._df + 0.5) / (self._df + 0.5)).astype(np.float32)
        doc_len = np.repeat(lengths / max(lengths.mean(), 1e-9), np.diff(tf.indptr)).astype(np.float32)
        tf.data = idf[tf.indices] * tf.data / (tf.data + self.k1 * (1 - self.b + self.b * doc_len))
        del doc_len
        csc = tf.tocsc()
        del tf
        self._bm25.scores = {"data": csc.data.astype(np.float32), "indices": csc.indices.astype(np.int32),
                             "indptr": csc.indptr, "num_docs": n}
        self._bm25.vocab_dict = {**self.vocab, "": v}
        self._bm25.unique_token_ids_set = set(self._bm25.vocab_dict.values())
        self._bm25.nonoccurrence_array = None  # only BM25L and BM25+ use it

    # -- querying -------------------------------------------------------------------------------
    def scores(self, query_tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 score of every stored passage for the query, and the passage ids.

        Each query token adds its posting list (passage rows, precomputed BM25 weights) into one
        score array, as bm25s does, but through scipy's compiled sparse mat-vec kernel instead of
        `np.add.at`: 1.5x faster on 1M passages (chars p50 17.4 -> 11.6 ms), and it lets the query
        embedding run on the other core meanwhile (`np.add.at` holds the GIL).
        """
        out = np.zeros(len(self.ids), dtype=np.float32)
        known = [self.vocab[t] for t in query_tokens if t in self.vocab]
        if not known or self._bm25 is None or not len(self.ids):
            return out, self.ids
        m = self._bm25.scores
        data, indices, indptr = m["data"], m["indices"], m["indptr"]
        for t in known:
            a, b = int(indptr[t]), int(indptr[t + 1])
            _add_posting(out, indices[a:b], data[a:b])
        return out, self.ids

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Smoothed inverse document frequency of each token (unknown tokens get the highest)."""
        n = max(len(self.ids), 1)
        df = np.array([self._df[self.vocab[t]] if t in self.vocab else 0 for t in tokens], dtype=np.float64)
        return np.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        (path / "params.json").write_text(json.dumps({"k1": self.k1, "b": self.b}), encoding="utf-8")
        np.save(path / "tokens.npy", self._tokens, allow_pickle=False)
        np.save(path / "offsets.npy", self._offsets, allow_pickle=False)
        np.save(path / "ids.npy", self.ids, allow_pickle=False)
        np.save(path / "df.npy", self._df, allow_pickle=False)
        if self._bm25 is not None and len(self.ids):
            self._bm25.save(str(path / "bm25s"), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, path: Path) -> "BM25Store":
        bm25s = _bm25s()

        try:
            params = json.loads((path / "params.json").read_text(encoding="utf-8"))
            store = cls(**params)
            store.vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
            store._tokens = np.load(path / "tokens.npy", allow_pickle=False)
            store._offsets = np.load(path / "offsets.npy", allow_pickle=False)
            store.ids = np.load(path / "ids.npy", allow_pickle=False)
            store._df = np.load(path / "df.npy", allow_pickle=False)
            if len(store.ids):
                store._bm25 = bm25s.BM25.load(str(path / "bm25s"), allow_pickle=False, show_progress=False)
                m = store._bm25.scores  # the dtypes the scoring kernel takes
                m["data"] = np.asarray(m["data"], dtype=np.float32)
                if m["indices"].dtype not in (np.int32, np.int64):
                    m["indices"] = m["indices"].astype(np.int64)
        except (OSError, ValueError, KeyError) as e:
            raise CorruptIndexError(f"cannot read keyword index {path}: {e}; rebuild the index with `qa index`") from None
        return store
