"""Build, open, add to and delete from an index directory: a manifest and a store backend.

Passages are tokenised and embedded here, once, and handed to the store as a `Batch`; the
store (qa/stores) keeps them however its backend does. Every write of a local store goes to a
temporary directory that is swapped in whole, so an interrupted write leaves the previous
index working; an in-place store (Qdrant) changes its data where it lives, and the manifest is
replaced atomically.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import Manifest, Settings
from .encoders import Encoder, PassageSentenceEncoder
from . import storage
from .errors import CorruptIndexError, IndexNotFoundError
from . import pipeline
from .stores import Batch, Store, create_store, open_store
from .text import char_tokens, sentence_spans, word_tokens
from .types import DocInfo, Passage

log = logging.getLogger(__name__)

__all__ = ["BuildStats", "DocInfo", "Index", "indexed_text"]


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
    """An index directory opened: its manifest and its store."""

    def __init__(self, manifest: Manifest, store: Store, directory: Path):
        self.manifest = manifest
        self.store = store
        self.directory = Path(directory)

    @classmethod
    def create(cls, directory: str | Path, encoder: Encoder, settings: Settings, expected_size: int = 0) -> "Index":
        """A new, empty index for `directory` (nothing is written until `save`)."""
        directory = Path(directory)
        store = create_store(settings, directory, encoder.dim, expected_size=expected_size)
        manifest = Manifest(encoder=encoder.name, dim=encoder.dim, store=store.kind)
        return cls(replace(manifest, **_facts(store)), store, directory)

    @classmethod
    def open(cls, directory: str | Path, settings: Settings | None = None) -> "Index":
        """The index at `directory`, as its manifest says it was built: one version of it, even
        while another process swaps in the next (qa/storage.py), checked for consistency."""
        directory = Path(directory)
        settings = settings or Settings.from_env()
        storage.recover_stranded(directory, settings.lock_timeout)
        return storage.read_consistent(directory, lambda d: cls._open(d, settings))

    @classmethod
    def _open(cls, directory: Path, settings: Settings) -> "Index":
        if not (directory / "manifest.json").exists():
            raise IndexNotFoundError(
                f"no index at {directory}: build one with `qa index --corpus corpus/ --index {directory}`"
            )
        manifest = Manifest.load(directory)
        if settings.store:  # a backend asked for that is not this index's fails before its store is opened
            manifest.check(manifest.encoder, directory, store=settings.store)
        store = open_store(manifest, directory, settings)
        for problem in getattr(store, "verify", lambda m, full: [])(manifest, False):
            raise CorruptIndexError(f"index {directory} is damaged: {problem}; rebuild it with `qa index`")
        return cls(manifest, store, directory)

    def documents(self) -> list[DocInfo]:
        return self.store.documents()

    # -- changing -------------------------------------------------------------------------------
    def add_passages(self, passages: Sequence[Passage], encoder: Encoder, settings: Settings,
                     progress: bool = False, stats: BuildStats | None = None) -> BuildStats:
        """Tokenise, embed and add passages; existing passages are not touched."""
        stats = stats or BuildStats()
        start = _next_id(self.store)
        ids = np.arange(start, start + len(passages), dtype=np.int64)
        texts = [indexed_text(p) for p in passages]

        t = time.perf_counter()
        spans = [sentence_spans(p.text) for p in passages]
        stats.tokenize += time.perf_counter() - t

        # A large batch is tokenised by a worker process while this one embeds (qa/pipeline.py).
        with contextlib.ExitStack() as stack:
            worker = stack.enter_context(pipeline.Tokenizer(texts)) if len(texts) >= pipeline.MIN_PASSAGES else None
            t = time.perf_counter()
            if isinstance(encoder, PassageSentenceEncoder):
                pvecs, svecs = _embed_together(encoder, texts, passages, spans, progress)
            else:
                sent_texts = [p.text[s:e] for p, sp in zip(passages, spans) for s, e in sp]
                pvecs, svecs = _embed(encoder, texts, sent_texts, settings.batch_size, progress)
            stats.embed += time.perf_counter() - t

            # Tokens are made (or waited for) as the store consumes them; that time is told apart.
            clock = [0.0]
            t = time.perf_counter()
            made = worker.tokens() if worker else None
            words, chars = made or (map(word_tokens, texts), map(char_tokens, texts))
            words, chars = _timed(words, clock), _timed(chars, clock)
            words = _counted(words, len(texts), "words", progress)
            chars = _counted(chars, len(texts), "characters", progress)
            self.store.add(Batch(ids, list(passages), words, chars, pvecs, spans, svecs))
            stats.tokenize += clock[0]
            stats.bm25 += time.perf_counter() - t - clock[0]
        self._refresh_manifest()
        stats.passages += len(passages)
        stats.sentences += len(svecs)
        return stats

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's passages; returns how many were removed."""
        removed = self.store.delete(doc_id)
        self._refresh_manifest()
        return removed

    def refresh(self) -> None:
        """Bring the manifest up to date with the store (after a change made on the store itself)."""
        self._refresh_manifest()

    def _refresh_manifest(self) -> None:
        docs = self.store.documents()
        used = {d.source for d in docs}
        self.manifest = replace(self.manifest, sources={k: v for k, v in self.manifest.sources.items() if k in used},
                                added={k: v for k, v in self.manifest.added.items() if k in used}, documents=len(docs), passages=len(self.store),
                                sentences=int(getattr(self.store, "sentence_count", self.manifest.sentences)),
                                **_facts(self.store))

    def stamp(self, sources: dict[str, str]) -> None:
        """Record when and from what the index was built."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        merged = {**self.manifest.sources, **sources}
        added = {**self.manifest.added, **{source: now for source in sources}}
        self.manifest = replace(self.manifest, built_at=now, sources=merged, added=added)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path | None = None, lock_timeout: float | None = None) -> None:
        """Write the index at `directory` (default: where it was opened or created), holding the
        index's write lock (waiting up to `lock_timeout` s, default Settings.lock_timeout)."""
        directory = Path(directory) if directory is not None else self.directory
        timeout = lock_timeout if lock_timeout is not None else Settings.from_env().lock_timeout
        with storage.write_lock(directory, timeout):
            if self.store.in_place:
                self.store.save(directory)
                directory.mkdir(exist_ok=True)
                _write_manifest_atomically(self.manifest, directory)
            else:
                # A whole new version, fsynced and swapped in: readers of the old one keep a complete index.
                with storage.new_version(directory) as tmp:
                    self.store.save(tmp)
                    # The manifest goes last: a directory without one is never mistaken for an index.
                    self.manifest.save(tmp)
        self.directory = directory


def _timed(items, clock: list[float]):
    """The items of an iterator (e.g. a lazy map over texts), adding the time spent making or waiting
    for each to clock[0]."""
    items = iter(items)
    while True:
        t = time.perf_counter()
        x = next(items, _END)
        clock[0] += time.perf_counter() - t
        if x is _END:
            return
        yield x


_END = object()


def _counted(items, total: int, what: str, progress: bool):
    """The items, with a bar (passages/s and ETA) while the store tokenises and indexes them: ~1.5 ms a
    passage for words, which is minutes at 100k passages."""
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=f"keyword index ({what})", unit="passage", disable=not progress, leave=False,
              mininterval=0.5) as bar:
        for x in items:
            yield x
            bar.update()


def _facts(store: Store) -> dict:
    facts = dict(store.facts())
    out = {"store": facts.pop("store", store.kind)}
    if "vector_index" in facts:
        out["vector_index"] = facts.pop("vector_index")
    out["store_facts"] = facts
    return out


def _next_id(store: Store) -> int:
    return int(store.next_id())


def _write_manifest_atomically(manifest: Manifest, directory: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".manifest-", dir=directory))
    try:
        manifest.save(tmp)
        os.replace(tmp / "manifest.json", directory / "manifest.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


EMBED_CHUNK = 16_384


# Passages per call of the one-pass encoder: the progress bar moves once per call (~5 s at the rates measured
# here), and the encoder's own batches (TOKEN_BUDGET tokens) are far smaller, so its speed does not depend on it.
PASSAGE_CHUNK = 256


def _embed_together(encoder: PassageSentenceEncoder, texts: list[str], passages: Sequence[Passage], spans: list[list[tuple[int, int]]], progress: bool):
    """Passage and sentence vectors from the encoder's one pass per passage (each token encoded once, not
    twice: half the encoder time), a chunk of passages at a time; the bar shows passages/s and the ETA."""
    from tqdm.auto import tqdm

    n_sent = sum(len(sp) for sp in spans)
    pvecs = np.empty((len(texts), encoder.dim), np.float32)
    svecs = np.empty((n_sent, encoder.dim), np.float16)
    done = 0
    with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress, leave=False) as bar:
        for s in range(0, len(texts), PASSAGE_CHUNK):
            e = min(s + PASSAGE_CHUNK, len(texts))
            # Spans are within the passage text; the encoder sees the title line before it.
            shifted = [[(a + len(t) - len(p.text), b + len(t) - len(p.text)) for a, b in sp]
                       for t, p, sp in zip(texts[s:e], passages[s:e], spans[s:e])]
            pv, sv = encoder.encode_passages_and_sentences(texts[s:e], shifted)
            pvecs[s:e] = pv
            svecs[done : done + len(sv)] = sv
            done += len(sv)
            bar.update(e - s)
    return pvecs, svecs


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
