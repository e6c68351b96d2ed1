"""Assistant: the public query API over an index directory."""
from __future__ import annotations

import logging
import numbers
import threading
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from . import storage
from .answerer import Answerer, make_answerer
from .calibrate import fit_threshold
from .chunk import chunk_documents
from .config import Manifest, Settings
from .conversation import FOLLOWUP_POOL, resolve
from .encoders import Encoder, canonical_name, load_encoder
from .errors import IndexMismatchError, InputError, QAError
from .index import BuildStats, Index
from .ingest import load_documents
from .query import Query, analyse
from .readers import Limits
from .retrieve import FusionWeights, background, retrieve
from .types import Answer, DocInfo, Hit

log = logging.getLogger(__name__)


class Assistant:
    """Answers questions from a built index.

    >>> a = Assistant("index")                      # doctest: +SKIP
    >>> a.ask("何时启动送温暖行动").answer           # doctest: +SKIP
    """

    def __init__(self, index: str | Path | Index = "index", model: str | None = None, settings: Settings | None = None,
                 encoder: Encoder | None = None, answerer: Answerer | None = None):
        """Open the index directory `index` (or take an `Index` already open, as `build` does).

        `answerer`: who reads the retrieved passages (default: `Settings.answerer`, see qa/answerer.py).
        """
        self.settings = settings or Settings.from_env()
        self.answerer = answerer or make_answerer(self.settings.answerer)
        self._index = index if isinstance(index, Index) else Index.open(Path(index), self.settings)
        self.index_dir = self._index.directory
        # The manifest is checked before a model is loaded: a mismatch fails fast.
        self._index.manifest.check(canonical_name(model) if model else (encoder.name if encoder else self._index.manifest.encoder), self.index_dir,
                                   store=self.settings.store or None)
        self.encoder = encoder or load_encoder(model or self._index.manifest.encoder)
        if self.encoder.dim != self._index.manifest.dim:
            raise IndexMismatchError(f"index {self.index_dir} holds {self._index.manifest.dim}-d vectors, encoder {self.encoder.name!r} makes {self.encoder.dim}-d ones")
        # Which version of the index is open (one stat of its manifest); a different one means another
        # writer swapped in a newer version, which the next question loads (`_current`).
        self._stamp = storage.stamp(self.index_dir)
        self._reloading = threading.Lock()
        self._fitted: weakref.WeakKeyDictionary[Index, float] = weakref.WeakKeyDictionary()  # indexes without a recorded threshold
        self._fitting = threading.Lock()
        self.last_build: BuildStats | None = None

    @classmethod
    def build(cls, corpus: str | Path | Sequence[str | Path], index: str | Path = "index", model: str | None = None,
              settings: Settings | None = None, encoder: Encoder | None = None, progress: bool = False) -> "Assistant":
        """Build (or rebuild) the index from `corpus` and open it. The previous index stays until the new one is complete."""
        settings = settings or Settings.from_env()
        encoder = encoder or load_encoder(model or settings.model)
        built, stats = build_index(corpus, index, encoder, settings, progress=progress)
        self = cls(built, settings=settings, encoder=encoder)
        self.last_build = stats
        return self

    # -- asking ---------------------------------------------------------------------------------
    def _check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty: ask something, e.g. 何时启动送温暖行动")
        try:
            question.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates: bytes that were not UTF-8 (a terminal in another encoding)
            raise InputError(f"the question holds bytes that are not UTF-8 text (at character {e.start + 1}); "
                             "type or paste it again as UTF-8") from None
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is {self.settings.max_question_chars} (QA_MAX_QUESTION_CHARS)"
            )
        return question.strip()

    def _check_k(self, k) -> int:
        """`k` as asked, or Settings.top_k; anything but a whole number in range is refused, never clamped."""
        if k is None:
            return self.settings.top_k
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= self.settings.max_top_k:
            raise InputError(f"k (how many passages to cite) must be a whole number from 1 to {self.settings.max_top_k} "
                             f"(QA_MAX_TOP_K), got {k!r}")
        return int(k)

    def _current(self) -> Index:
        """The open index, or the newer version another process wrote since (checked with one stat a question).

        The first question to notice loads it while the others keep answering from the open one."""
        stamp = storage.stamp(self.index_dir)
        if stamp == self._stamp or not self._reloading.acquire(blocking=False):
            return self._index
        try:
            if stamp != self._stamp:
                index = Index.open(self.index_dir, self.settings)
                index.manifest.check(self.encoder.name, self.index_dir)
                log.info("%s changed on disk; answering from the new version", self.index_dir)
                self._index = index
        except QAError as e:
            log.warning("a newer version of %s cannot be opened (%s); answering from the one open", self.index_dir, e)
        finally:
            self._stamp = stamp  # a version that failed is not tried again until it changes
            self._reloading.release()
        return self._index

    def _answering(self, index: Index) -> Settings:
        """Settings with the refusal threshold in force for `index`: QA_MIN_CONFIDENCE if set, else the
        threshold the index recorded when it was built or changed (qa/calibrate.py), else one fitted now."""
        if self.settings.min_confidence is not None:
            return self.settings
        threshold = index.manifest.min_confidence
        if threshold is None:  # an index built before thresholds were fitted per index
            with self._fitting:
                if index not in self._fitted:
                    self._fitted[index] = fit_threshold(index.store, self.encoder, self.settings)
                threshold = self._fitted[index]
        return replace(self.settings, min_confidence=threshold)

    def embed_query(self, question: str) -> np.ndarray:
        return self.encoder.encode([question])[0]

    def analyse(self, question: str) -> Query:
        """The question checked, normalised, tokenised and typed once for every stage."""
        return analyse(self._check_question(question))

    def search(self, question: str | Query, k: int | None = None, weights: FusionWeights | None = None) -> list[Hit]:
        """The best passages for the question, best first, without an answer."""
        k = self._check_k(k)
        query = question if isinstance(question, Query) else self.analyse(question)
        store = self._current().store  # one snapshot for the whole query, even if add/delete swaps it meanwhile
        return retrieve(store, query, background(self.embed_query, query.understood), k, self.settings, weights)

    def ask(self, question: str | Query, k: int | None = None, history: Sequence | None = None) -> Answer:
        """Answer `question` from the index: answer text, whether it was found, and the cited passages.

        `history`: the conversation so far, oldest first (Answers, their dicts, or {"question", "answer",
        "doc_id"} dicts). A follow-up (那它什么时候结束？) is resolved against it (see qa/conversation.py);
        `Answer.understood` says how it was read.
        """
        k = self._check_k(k)
        if history and not isinstance(question, Query):
            turn = resolve(self._check_question(question), history, self.similarity)
            query = analyse(question.strip(), turn.text)
        else:
            query, turn = (question if isinstance(question, Query) else self.analyse(question)), None
        index = self._current()
        store, settings = index.store, self._answering(index)
        qvec = background(self.embed_query, query.understood)  # embedded while the keyword indexes are scored
        if turn is None or not turn.followup:
            return self.answerer.answer(query, retrieve(store, query, qvec, k, settings), store, qvec.result(), settings)
        # A follow-up prefers the previous answer's article among a wider pool of candidates.
        hits = turn.rerank(retrieve(store, query, qvec, max(k, FOLLOWUP_POOL), settings))[:k]
        answer = self.answerer.answer(query, hits, store, qvec.result(), settings)
        others = turn.without_repeat(answer, hits)  # 还有呢？ wants something else than the last answer
        if others:
            answer = self.answerer.answer(query, others, store, qvec.result(), settings)
        if answer.found or turn.avoid:
            return answer
        # The carried words can dilute a question the same article answers as asked (能货到付款吗？).
        plain = self.analyse(query.text)
        pvec = background(self.embed_query, plain.text)
        alone = self.answerer.answer(plain, turn.rerank(retrieve(store, plain, pvec, max(k, FOLLOWUP_POOL), settings))[:k],
                                store, pvec.result(), settings)
        return alone if alone.found and turn.keeps_to_article(alone) else answer

    def similarity(self, phrase: str, candidates: list[str]) -> list[float]:
        """Cosine of `phrase` to each candidate phrase under the encoder."""
        vecs = self.encoder.encode([phrase, *candidates])
        return [float(v @ vecs[0]) for v in vecs[1:]]

    # -- managing -------------------------------------------------------------------------------
    @property
    def index(self) -> Index:
        """The index as of now (add and delete swap in a new one; hold on to this for a consistent view)."""
        return self._index

    @property
    def manifest(self) -> Manifest:
        return self._current().manifest

    def documents(self) -> list[DocInfo]:
        return self._current().documents()

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the encoder, jieba and its
        part-of-speech tagger (the first question of each kind takes seconds otherwise)."""
        for question in ("何时启动送温暖行动", "活动在哪里举行", "谁参加了活动", "有多少人参加"):
            self.ask(question)

    def _writable(self) -> Index:
        """The index to change: a private copy of a swapped-in (local) index, so that readers keep the
        current one until the swap; the open index itself for an in-place store."""
        # An in-place store changes where it lives; it is reopened only when another process wrote the
        # manifest since (its facts, e.g. the next passage id, must be that writer's).
        current = self._index.store.in_place and storage.stamp(self.index_dir) == self._stamp
        index = self._index if current else Index.open(self.index_dir, self.settings)
        index.manifest.check(self.encoder.name, self.index_dir)  # rebuilt meanwhile with another encoder?
        return index

    def add(self, paths: str | Path | Sequence[str | Path], progress: bool = False, sources: Sequence[str] | None = None) -> list[str]:
        """Add the documents of `paths` without re-embedding the rest; a document whose id exists is replaced.

        `sources` (one per path) is what the index records as each document's source, e.g. an
        upload's original file name instead of its temporary copy.
        """
        limits = Limits.of(self.settings, adding=True)
        result = load_documents(paths, progress=progress, names=sources, limits=limits)
        if result.skipped:
            # Adding is all or nothing: a file left out would be data the user thinks is indexed.
            raise InputError("nothing added: " + "; ".join(f"{s.path}: {s.reason}" for s in result.skipped))
        passages = chunk_documents(result.documents, self.settings.max_passage_chars)
        if len(passages) > self.settings.max_add_passages:
            raise InputError(f"nothing added: {len(passages):,} passages in one add, over the limit of "
                             f"{self.settings.max_add_passages:,} (QA_MAX_ADD_PASSAGES); add fewer files at a time, or raise the limit")
        # The index is read again under the lock: a change another process made meanwhile is kept.
        with storage.write_lock(self.index_dir, self.settings.lock_timeout):
            index = self._writable()
            new_ids = {d.doc_id for d in result.documents}
            new_sources = {d.source for d in result.documents}
            for d in index.documents():
                # A file added again replaces all it gave before, even articles it no longer has.
                if d.doc_id in new_ids or d.source in new_sources:
                    if d.source not in new_sources:
                        log.warning("%s from %s is replaced by a document from another file", d.doc_id, d.source)
                    index.delete_document(d.doc_id)
            index.add_passages(passages, self.encoder, self.settings, progress)
            index.stamp(result.sources)
            refit(index, self.encoder, self.settings)
            index.save()
            self._index, self._stamp = index, storage.stamp(self.index_dir)
        return [d.doc_id for d in result.documents]

    def reweight(self) -> int:
        """Re-weight a Qdrant store's BM25 vectors for the corpus' current average passage length."""
        with storage.write_lock(self.index_dir, self.settings.lock_timeout):
            index = self._writable()
            if not hasattr(index.store, "reweight"):
                raise InputError(f"index {self.index_dir} uses the {index.manifest.store!r} store, which re-weights on every change; --reweight is for the qdrant store")
            n = index.store.reweight()
            index.refresh()
            refit(index, self.encoder, self.settings)
            index.save()
            self._index, self._stamp = index, storage.stamp(self.index_dir)
        return n

    def delete(self, doc_id: str) -> int:
        """Remove a document; returns how many passages went with it."""
        with storage.write_lock(self.index_dir, self.settings.lock_timeout):
            index = self._writable()
            removed = index.delete_document(doc_id)
            refit(index, self.encoder, self.settings)
            index.save()
            self._index, self._stamp = index, storage.stamp(self.index_dir)
        return removed


BUILD_CHUNK = 8192  # passages embedded and stored at a time by an in-place store's build


def build_index(corpus, index_dir: str | Path, encoder: Encoder, settings: Settings, progress: bool = False) -> tuple[Index, BuildStats]:
    """Read, chunk, tokenise, embed and write a new index; returns it and where the time went."""
    import time

    t = time.perf_counter()
    result = load_documents(corpus, progress=progress, limits=Limits.of(settings))
    for s in result.skipped:
        log.warning("skipped %s: %s", s.path, s.reason)
    passages = chunk_documents(result.documents, settings.max_passage_chars)
    stats = BuildStats(documents=len(result.documents), read=time.perf_counter() - t)
    index = Index.create(index_dir, encoder, settings, expected_size=len(passages))
    if index.store.in_place:
        # A store changed in place (Qdrant) takes the build a chunk at a time: memory stays bounded,
        # and a build that was interrupted continues after the passages its collection already holds.
        start = index.store.resume_point(passages) if hasattr(index.store, "resume_point") else 0
        if start:
            log.info("resuming the build after %d of %d passages", start, len(passages))
        for s in range(start, len(passages), BUILD_CHUNK):
            index.add_passages(passages[s : s + BUILD_CHUNK], encoder, settings, progress=progress, stats=stats)
    else:
        index.add_passages(passages, encoder, settings, progress=progress, stats=stats)
    index.stamp(result.sources)
    refit(index, encoder, settings)
    t = time.perf_counter()
    index.save(lock_timeout=settings.lock_timeout)
    stats.write = time.perf_counter() - t
    return index, stats


def refit(index: Index, encoder: Encoder, settings: Settings) -> None:
    """Fit the index's refusal threshold to what it now holds and record it in its manifest."""
    index.manifest = replace(index.manifest, min_confidence=round(fit_threshold(index.store, encoder, settings), 4))


def ask(question: str, index: str | Path = "index", k: int | None = None) -> Answer:
    """One call for scripts: open the index (cached per directory) and answer."""
    key = str(Path(index).resolve())
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Assistant(index)
    return _cache[key].ask(question, k)


_cache: dict[str, Assistant] = {}
_cache_lock = threading.Lock()
