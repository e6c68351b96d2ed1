"""The local backend: passages in JSONL, BM25 over words and over characters (bm25s matrices),
passage vectors in FAISS, and each passage's sentence vectors, all files of one index directory."""
from __future__ import annotations

import json
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import CorruptIndexError, InputError
from ..ranking import top_n
from ..types import DocInfo, Passage
from . import Batch, Candidates, KeywordStore, VectorStore, load_vector_store, vector_store
from .bm25 import BM25Store
from .int8 import Int8Rows

if TYPE_CHECKING:
    from ..config import Manifest, Settings
    from ..query import Query


class LocalStore:
    """Everything in memory, saved as files of the index directory (which the index swaps in whole)."""

    kind = "local"
    in_place = False

    def __init__(self, dim: int, passages: dict[int, Passage], words: KeywordStore, chars: KeywordStore,
                 vectors: VectorStore, sent_pid: np.ndarray, sent_span: np.ndarray, sent_vec: Int8Rows):
        self.dim = dim
        self._passages = passages
        self.words = words
        self.chars = chars
        self.vectors = vectors
        self._sent_pid = sent_pid  # sorted: sentences of one passage are contiguous
        self._sent_span = sent_span  # (n, 2) start, end within the passage text
        self._sent_vec = sent_vec  # (n, dim) unit rows in 8 bits; indexing gives float32

    @classmethod
    def create(cls, settings: "Settings", directory: Path, dim: int, expected_size: int = 0) -> "LocalStore":
        return cls(dim, {}, BM25Store(), BM25Store(), vector_store(dim, expected_size=expected_size),
                   np.zeros(0, np.int64), np.zeros((0, 2), np.int32), Int8Rows.empty(dim))

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._passages)

    def passage(self, pid: int) -> Passage:
        return self._passages[pid]

    @property
    def sentence_count(self) -> int:
        return len(self._sent_pid)

    def documents(self) -> list[DocInfo]:
        seen: dict[str, list] = {}
        for p in self._passages.values():
            info = seen.setdefault(p.doc_id, [p.title, 0, p.source])
            info[1] += 1
        return [DocInfo(d, t, n, s) for d, (t, n, s) in seen.items()]

    def candidates(self, query: "Query", qvec: np.ndarray | Future | None, n: int) -> Candidates:
        w_scores, w_ids = self.words.scores(query.words)
        c_scores, c_ids = self.chars.scores(query.chars)
        if isinstance(qvec, Future):
            qvec = qvec.result()  # embedded on another core while the keyword indexes were scored
        cand = set(w_ids[top_n(w_scores, n)].tolist()) | set(c_ids[top_n(c_scores, n)].tolist())
        dense: dict[int, float] = {}
        if qvec is not None and len(self.vectors):
            d_scores, d_ids = self.vectors.search(qvec, n)
            dense = {int(i): float(s) for i, s in zip(d_ids[0], d_scores[0]) if i >= 0}
            cand |= dense.keys()
        pids = np.array(sorted(cand), dtype=np.int64)
        # BM25 rows and passage ids are both in insertion order, so ids are sorted.
        floor = min(dense.values(), default=0.0)
        raw = {
            "bm25_words": w_scores[np.searchsorted(w_ids, pids)] if len(w_ids) else np.zeros(len(pids)),
            "bm25_chars": c_scores[np.searchsorted(c_ids, pids)] if len(c_ids) else np.zeros(len(pids)),
            "dense_passage": np.array([dense.get(int(p), floor) for p in pids]),
        }
        return Candidates(pids, {k: np.asarray(v, dtype=np.float32) for k, v in raw.items()})

    def sentence_scores(self, pids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """All candidates' sentences in one matrix product, then the maximum per passage."""
        lo = np.searchsorted(self._sent_pid, pids)
        hi = np.searchsorted(self._sent_pid, pids + 1)
        lengths = hi - lo
        out = np.full(len(pids), -1.0, dtype=np.float32)
        if not lengths.sum():
            return out
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rows = np.repeat(lo - starts, lengths) + np.arange(lengths.sum())
        sims = np.asarray(self._sent_vec[rows], dtype=np.float32) @ np.asarray(qvec, dtype=np.float32).ravel()
        has = lengths > 0
        out[has] = np.maximum.reduceat(sims, starts[has])
        return out

    def sentences(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self._sent_pid, [pid, pid + 1])
        return self._sent_span[lo:hi], np.asarray(self._sent_vec[lo:hi], dtype=np.float32)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        return self.chars.idf(tokens)

    def facts(self) -> dict:
        return {"store": self.kind, "vector_index": self.vectors.kind}

    # -- changing -------------------------------------------------------------------------------
    def next_id(self) -> int:
        return max(self._passages, default=-1) + 1

    def add(self, batch: Batch) -> None:
        self.words.add(batch.ids, batch.words)
        self.chars.add(batch.ids, batch.chars)
        self.vectors.add(batch.ids, batch.vectors)
        counts = [len(sp) for sp in batch.sentence_spans]
        spans = np.array([s for sp in batch.sentence_spans for s in sp], dtype=np.int32).reshape(-1, 2)
        self._sent_pid = np.concatenate([self._sent_pid, np.repeat(batch.ids, counts)])
        self._sent_span = np.concatenate([self._sent_span, spans])
        self._sent_vec = self._sent_vec.append(batch.sentence_vectors)
        self._passages.update(zip(batch.ids.tolist(), batch.passages))

    def delete(self, doc_id: str) -> int:
        ids = np.array([pid for pid, p in self._passages.items() if p.doc_id == doc_id], dtype=np.int64)
        if not len(ids):
            raise InputError(f"no document with id {doc_id!r} in the index; `qa list` shows the ids")
        self.words.delete(ids)
        self.chars.delete(ids)
        self.vectors.delete(ids)
        keep = ~np.isin(self._sent_pid, ids)
        self._sent_pid, self._sent_span, self._sent_vec = self._sent_pid[keep], self._sent_span[keep], self._sent_vec.select(keep)
        for pid in ids.tolist():
            del self._passages[pid]
        return len(ids)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        with open(directory / "passages.jsonl", "w", encoding="utf-8") as f:
            for pid, p in self._passages.items():
                f.write(json.dumps({"pid": pid, **asdict(p)}, ensure_ascii=False) + "\n")
        self.words.save(directory / "bm25_words")
        self.chars.save(directory / "bm25_chars")
        self.vectors.save(directory / "passages.faiss")
        np.save(directory / "sentences_pid.npy", self._sent_pid, allow_pickle=False)
        np.save(directory / "sentences_span.npy", self._sent_span, allow_pickle=False)
        self._sent_vec.save(directory)

    @classmethod
    def open(cls, manifest: "Manifest", directory: Path, settings: "Settings") -> "LocalStore":
        def passages(path: Path) -> dict[int, Passage]:
            out = {}
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    try:
                        rec = json.loads(line)
                        pid = rec.pop("pid")
                        out[pid] = Passage(**rec)
                    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as e:
                        raise ValueError(f"line {lineno}: {e}") from None
            return out

        store = cls(manifest.dim, _read(directory / "passages.jsonl", passages),
                    BM25Store.load(directory / "bm25_words"), BM25Store.load(directory / "bm25_chars"),
                    load_vector_store(directory / "passages.faiss"),
                    _read(directory / "sentences_pid.npy", lambda p: np.load(p, allow_pickle=False)),
                    _read(directory / "sentences_span.npy", lambda p: np.load(p, allow_pickle=False)),
                    _read(directory / "sentences_vec.npy", lambda p: Int8Rows.load(p.parent)))
        return store

    def verify(self, manifest: "Manifest", full: bool = False) -> list[str]:
        """What is inconsistent, one line per problem naming its file; empty when sound.

        The quick checks (on every open) compare lengths, shapes and the first and last ids, which
        catches truncated, shifted or mismatched files without reading them through; `full`
        (`qa check`) also checks every id, ordering, span and vector."""
        problems = []
        n, pids = len(self._passages), self._passages
        if n != manifest.passages:
            problems.append(f"passages.jsonl holds {n} passages, manifest.json says {manifest.passages}")
        for name, store in (("bm25_words", self.words), ("bm25_chars", self.chars)):
            ids = store.ids
            if len(ids) != n:
                problems.append(f"{name} holds {len(ids)} passages, passages.jsonl {n}")
            elif n and (int(ids[0]) not in pids or int(ids[-1]) not in pids or (full and set(ids.tolist()) != set(pids))):
                problems.append(f"{name} has passage ids that passages.jsonl does not")
        if len(self.vectors) != n:
            problems.append(f"passages.faiss holds {len(self.vectors)} vectors, passages.jsonl {n} passages")
        sp, span, vec = self._sent_pid, self._sent_span, self._sent_vec
        if sp.ndim != 1 or len(sp) != manifest.sentences:
            problems.append(f"sentences_pid.npy holds {len(sp)} sentences, manifest.json says {manifest.sentences}")
        elif len(sp) and (int(sp[0]) not in pids or int(sp[-1]) not in pids):
            problems.append("sentences_pid.npy has passage ids that passages.jsonl does not (shifted?)")
        if span.ndim != 2 or span.shape != (len(sp), 2):
            problems.append(f"sentences_span.npy has shape {span.shape}, expected ({len(sp)}, 2)")
        if vec.ndim != 2 or vec.shape != (len(sp), manifest.dim):
            problems.append(f"sentences_vec.npy has shape {vec.shape}, expected ({len(sp)}, {manifest.dim})")
        if problems or not full:
            return problems
        if len(sp) and (np.any(np.diff(sp) < 0) or not set(np.unique(sp).tolist()) <= set(pids)):
            problems.append("sentences_pid.npy is out of order or names passages that passages.jsonl does not")
        else:
            lengths = np.array([len(pids[int(p)].text) for p in sp], dtype=np.int64)
            if len(sp) and (np.any(span[:, 0] < 0) or np.any(span[:, 1] <= span[:, 0]) or np.any(span[:, 1] > lengths)):
                problems.append("sentences_span.npy has spans outside their passages")
        for start in range(0, len(vec), 65_536):
            norms = np.linalg.norm(vec[start:start + 65_536], axis=1)
            if not np.all(np.abs(norms - 1) < 0.02):
                problems.append(f"sentences_vec.npy has rows that are not unit vectors (from row {start})")
                break
        return problems

    def close(self) -> None:
        pass


def _read(path: Path, load):
    """load(path), with any failure one CorruptIndexError naming the file."""
    try:
        return load(path)
    except OSError as e:
        raise CorruptIndexError(f"{path} cannot be read ({e.strerror or e}); rebuild the index with `qa index`") from None
    except (ValueError, TypeError, KeyError, RecursionError) as e:
        raise CorruptIndexError(f"{path} is damaged ({str(e).splitlines()[0] if str(e) else type(e).__name__}); rebuild the index with `qa index`") from None
