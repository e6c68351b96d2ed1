"""Build, open, add to and delete from an index directory. Every write goes to a temporary
directory that is swapped in whole, so an interrupted write leaves the previous index working."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import Manifest, Settings
from .encoders import Encoder
from .errors import CorruptIndexError, IndexNotFoundError, InputError
from .stores import KeywordStore, VectorStore, load_vector_store, vector_store
from .stores.bm25 import BM25Store
from .text import char_tokens, sentence_spans, word_tokens
from .types import Passage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    passages: int
    source: str


@dataclass
class BuildStats:
    """Where the build's time went, in seconds."""

    documents: int = 0
    passages: int = 0
    sentences: int = 0
    read: float = 0.0
    tokenize: float = 0.0
    bm25: float = 0.0
    embed: float = 0.0
    vector_index: float = 0.0
    write: float = 0.0

    @property
    def total(self) -> float:
        return self.read + self.tokenize + self.bm25 + self.embed + self.vector_index + self.write


def indexed_text(p: Passage) -> str:
    """What retrieval sees of a passage: its article title, then its text."""
    return f"{p.title}\n{p.text}" if p.title else p.text


class Index:
    """An index in memory: passages by id, the two BM25 stores, the passage vectors and the sentence vectors."""

    def __init__(self, manifest: Manifest, passages: dict[int, Passage], words: KeywordStore, chars: KeywordStore,
                 vectors: VectorStore, sent_pid: np.ndarray, sent_span: np.ndarray, sent_vec: np.ndarray):
        self.manifest = manifest
        self.passages = passages
        self.words = words
        self.chars = chars
        self.vectors = vectors
        self.sent_pid = sent_pid  # sorted: sentences of one passage are contiguous
        self.sent_span = sent_span  # (n, 2) start, end within the passage text
        self.sent_vec = sent_vec  # (n, dim) float16 unit rows

    # -- reading --------------------------------------------------------------------------------
    def sentences_of(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans, vectors) of the sentences of passage `pid`."""
        lo, hi = np.searchsorted(self.sent_pid, [pid, pid + 1])
        return self.sent_span[lo:hi], self.sent_vec[lo:hi]

    def documents(self) -> list[DocInfo]:
        seen: dict[str, list] = {}
        for p in self.passages.values():
            info = seen.setdefault(p.doc_id, [p.title, 0, p.source])
            info[1] += 1
        return [DocInfo(d, t, n, s) for d, (t, n, s) in seen.items()]

    # -- changing -------------------------------------------------------------------------------
    def add_passages(self, passages: Sequence[Passage], encoder: Encoder, settings: Settings,
                     progress: bool = False, stats: BuildStats | None = None) -> BuildStats:
        """Tokenise, embed and add passages; existing passages are not touched."""
        stats = stats or BuildStats()
        start = max(self.passages, default=-1) + 1
        ids = np.arange(start, start + len(passages), dtype=np.int64)
        texts = [indexed_text(p) for p in passages]

        # Tokens stream into the keyword stores as int ids: holding every passage's token strings at
        # once costs ~80 bytes per token (tens of GB at 1M passages).
        clock = [0.0]
        t = time.perf_counter()
        self.words.add(ids, _timed(word_tokens, texts, clock))
        self.chars.add(ids, _timed(char_tokens, texts, clock))
        stats.bm25 += time.perf_counter() - t - clock[0]
        t = time.perf_counter()
        spans = [sentence_spans(p.text) for p in passages]
        stats.tokenize += clock[0] + time.perf_counter() - t

        t = time.perf_counter()
        sent_texts = [p.text[s:e] for p, sp in zip(passages, spans) for s, e in sp]
        pvecs, svecs = _embed(encoder, texts, sent_texts, settings.batch_size, progress)
        stats.embed += time.perf_counter() - t

        t = time.perf_counter()
        self.vectors.add(ids, pvecs)
        stats.vector_index += time.perf_counter() - t

        counts = [len(sp) for sp in spans]
        self.sent_pid = np.concatenate([self.sent_pid, np.repeat(ids, counts)])
        new_spans = np.array([s for sp in spans for s in sp], dtype=np.int32).reshape(-1, 2)
        self.sent_span = np.concatenate([self.sent_span, new_spans])
        self.sent_vec = np.concatenate([self.sent_vec, svecs]) if len(self.sent_vec) else svecs
        self.passages.update(zip(ids.tolist(), passages))
        self._refresh_manifest()
        stats.passages += len(passages)
        stats.sentences += len(sent_texts)
        return stats

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's passages; returns how many were removed."""
        ids = np.array([pid for pid, p in self.passages.items() if p.doc_id == doc_id], dtype=np.int64)
        if not len(ids):
            raise InputError(f"no document with id {doc_id!r} in the index; `qa list` shows the ids")
        self.words.delete(ids)
        self.chars.delete(ids)
        self.vectors.delete(ids)
        keep = ~np.isin(self.sent_pid, ids)
        self.sent_pid, self.sent_span, self.sent_vec = self.sent_pid[keep], self.sent_span[keep], self.sent_vec[keep]
        for pid in ids.tolist():
            del self.passages[pid]
        self._refresh_manifest()
        return len(ids)

    def _refresh_manifest(self) -> None:
        used = {p.source for p in self.passages.values()}
        self.manifest = replace(self.manifest, sources={k: v for k, v in self.manifest.sources.items() if k in used},
                                documents=len({p.doc_id for p in self.passages.values()}),
                                passages=len(self.passages), sentences=len(self.sent_pid), vector_index=self.vectors.kind)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the whole index to a temporary sibling directory, then swap it in."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; an index is as readable as any directory
        try:
            with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
                for pid, p in self.passages.items():
                    f.write(json.dumps({"pid": pid, **asdict(p)}, ensure_ascii=False) + "\n")
            self.words.save(tmp / "bm25_words")
            self.chars.save(tmp / "bm25_chars")
            self.vectors.save(tmp / "passages.faiss")
            np.save(tmp / "sentences_pid.npy", self.sent_pid, allow_pickle=False)
            np.save(tmp / "sentences_span.npy", self.sent_span, allow_pickle=False)
            np.save(tmp / "sentences_vec.npy", self.sent_vec, allow_pickle=False)
            # The manifest goes last: a directory without one is never mistaken for an index.
            self.manifest.save(tmp)
            _swap(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> "Index":
        directory = Path(directory)
        _recover(directory)
        if not (directory / "manifest.json").exists():
            raise IndexNotFoundError(
                f"no index at {directory}: build one with `qa index --corpus corpus/ --index {directory}`"
            )
        manifest = Manifest.load(directory)
        try:
            passages = {}
            with open(directory / "passages.jsonl", encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    pid = rec.pop("pid")
                    passages[pid] = Passage(**rec)
            sent_pid = np.load(directory / "sentences_pid.npy", allow_pickle=False)
            sent_span = np.load(directory / "sentences_span.npy", allow_pickle=False)
            sent_vec = np.load(directory / "sentences_vec.npy", allow_pickle=False, mmap_mode="r")
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise CorruptIndexError(f"index {directory} is damaged ({e}); rebuild it with `qa index`") from None
        index = cls(manifest, passages, BM25Store.load(directory / "bm25_words"), BM25Store.load(directory / "bm25_chars"),
                    load_vector_store(directory / "passages.faiss"), sent_pid, sent_span, sent_vec)
        if not (len(index.words) == len(index.vectors) == len(passages)):
            raise CorruptIndexError(f"index {directory} is inconsistent (passages, keyword and vector counts differ); rebuild it with `qa index`")
        return index

    @classmethod
    def empty(cls, encoder: Encoder, expected_size: int = 0) -> "Index":
        manifest = Manifest(encoder=encoder.name, dim=encoder.dim)
        store = vector_store(encoder.dim, expected_size=expected_size)
        return cls(manifest, {}, BM25Store(), BM25Store(), store, np.zeros(0, np.int64),
                   np.zeros((0, 2), np.int32), np.zeros((0, encoder.dim), np.float16))

    def stamp(self, sources: dict[str, str]) -> None:
        """Record when and from what the index was built."""
        merged = {**self.manifest.sources, **sources}
        self.manifest = replace(self.manifest, built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), sources=merged)


def _timed(fn, texts, clock: list[float]):
    """fn(text) for each text, lazily, adding the time spent to clock[0]."""
    for x in texts:
        t = time.perf_counter()
        out = fn(x)
        clock[0] += time.perf_counter() - t
        yield out


EMBED_CHUNK = 16_384


def _embed(encoder: Encoder, passages: list[str], sentences: list[str], batch_size: int, progress: bool):
    """Passage vectors (float32) and sentence vectors (float16), encoded a chunk at a time so that the
    float32 copy of every sentence vector never exists at once (13 GB at 1M passages)."""
    from tqdm.auto import tqdm

    texts = passages + sentences
    pvecs = np.empty((len(passages), encoder.dim), np.float32)
    svecs = np.empty((len(sentences), encoder.dim), np.float16)
    with tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress, leave=False) as bar:
        for s in range(0, len(texts), EMBED_CHUNK):
            v = encoder.encode(texts[s : s + EMBED_CHUNK], batch_size=batch_size)
            e = s + len(v)
            if s < len(passages):
                k = min(e, len(passages))
                pvecs[s:k] = v[: k - s]
                svecs[: e - k] = v[k - s :]
            else:
                svecs[s - len(passages) : e - len(passages)] = v
            bar.update(len(v))
    return pvecs, svecs


def _recover(target: Path) -> None:
    """A process killed between the two renames of `_swap` leaves the index at `.NAME.old-*`: put it back."""
    if target.exists():
        return
    stranded = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    stranded = [p for p in stranded if (p / "manifest.json").exists()]
    if stranded:
        log.warning("restoring the index %s from %s (an earlier write was interrupted)", target, stranded[-1])
        os.rename(stranded[-1], target)


def _swap(new: Path, target: Path) -> None:
    """Put `new` at `target`; the old index, if any, stays whole until the new one is in place."""
    if target.exists() and not (target / "manifest.json").exists() and any(target.iterdir()):
        raise InputError(f"{target} exists and is not a qa index; choose another --index directory")
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
