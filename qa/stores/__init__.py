"""Store backends behind one protocol: what retrieval, answering and index management need.

A backend is chosen by `Settings.store` when an index is built and recorded in its manifest;
`create_store` / `open_store` look it up in `BACKENDS`, so a new backend is one new module and
one line here. Retrieval, fusion and answering only ever see the `Store` protocol.

The local backend (`local.py`) is built from two smaller parts with protocols of their own:
a `VectorStore` (FAISS, `faiss.py`) and two `KeywordStore`s (BM25, `bm25.py`).
"""
from __future__ import annotations

import importlib
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence

import numpy as np

from ..errors import IndexMismatchError

if TYPE_CHECKING:
    from ..config import Manifest, Settings
    from ..query import Query
    from ..types import DocInfo, Passage


@dataclass(frozen=True)
class Batch:
    """Passages ready to store: everything a backend needs, computed once by the index builder."""

    ids: np.ndarray  # int64 passage ids, new and increasing
    passages: Sequence["Passage"]
    # Word tokens and character uni+bigrams of each passage's indexed text (title + text). One pass,
    # in order: they may be generators, so that every passage's token strings never exist at once
    # (~80 bytes a token: tens of GB at 1M passages).
    words: Iterable[Sequence[str]]
    chars: Iterable[Sequence[str]]
    vectors: np.ndarray  # (n, dim) float32 unit passage vectors
    sentence_spans: Sequence[Sequence[tuple[int, int]]]  # per passage: (start, end) of each sentence in its text
    sentence_vectors: np.ndarray  # (sum of sentences, dim) unit rows, in passage then sentence order


@dataclass(frozen=True)
class Candidates:
    """Passages that any retriever ranks in its top n, with each retriever's raw score for each.

    Rows of every `raw` array align with `pids` (sorted). Keys: bm25_words, bm25_chars, dense_passage.
    A backend that cannot score a candidate under a retriever gives that retriever's lowest listed score.
    """

    pids: np.ndarray
    raw: dict[str, np.ndarray]


class Store(Protocol):
    """A knowledge base's passages with their keyword and vector indexes."""

    kind: str  # the backend's name, as recorded in the manifest
    dim: int
    # False: the store's data are files that `save` writes into a new index directory, swapped in whole.
    # True: the data live elsewhere (a Qdrant collection) and are changed in place; a save then only
    # flushes them, and the index directory's manifest is replaced atomically on its own.
    in_place: bool

    def __len__(self) -> int:
        """How many passages are stored."""

    def passage(self, pid: int) -> "Passage": ...

    def documents(self) -> list["DocInfo"]: ...

    def candidates(self, query: "Query", qvec: np.ndarray | Future | None, n: int) -> Candidates:
        """The union of the top `n` passages by word BM25, character BM25 and passage cosine.

        `qvec` may be a future of the query vector: a backend awaits it as late as it can, so the
        embedding overlaps the keyword scoring."""

    def sentence_scores(self, pids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Cosine of the query to each passage's closest sentence (-1 for a passage without sentences)."""

    def sentences(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans (m, 2) within the passage text, vectors (m, dim) float32) of a passage's sentences."""

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Inverse document frequency of character tokens (answering weighs the question's words by it)."""

    def next_id(self) -> int:
        """The id the next added passage gets: above every id stored now. (The local store may give a
        deleted document's ids again, since it rewrites everything; Qdrant never does, so an
        interrupted bulk build can resume by id.)"""

    def add(self, batch: Batch) -> None: ...

    def delete(self, doc_id: str) -> int:
        """Remove a document's passages; returns how many went. Raises InputError for an unknown id."""

    def save(self, directory: Path) -> None:
        """Persist: write the store's files into `directory` (an index directory being written, which
        the caller swaps in), or, for an in-place store, flush its changes."""

    def facts(self) -> dict:
        """What the manifest records about this store (backend, vector index kind, collection...)."""

    def close(self) -> None: ...


# name -> "module:Class"; the module is imported only when that backend is used.
BACKENDS = {
    "local": "qa.stores.local:LocalStore",
    "qdrant": "qa.stores.qdrant:QdrantStore",
}


def _backend(name: str):
    if name not in BACKENDS:
        raise IndexMismatchError(f"unknown store backend {name!r}: use one of {', '.join(sorted(BACKENDS))} (QA_STORE)")
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def create_store(settings: "Settings", directory: Path, dim: int, expected_size: int = 0) -> Store:
    """A new, empty store of the backend `settings.store`, for the index at `directory` (its root)."""
    return _backend(settings.store or "local").create(settings, Path(directory), dim, expected_size)


def open_store(manifest: "Manifest", directory: Path, settings: "Settings") -> Store:
    """The store of an existing index (files in `directory`), by the backend its manifest records."""
    return _backend(manifest.store).open(manifest, Path(directory), settings)


class VectorStore(Protocol):
    """Nearest neighbours by inner product over unit vectors, keyed by int64 passage ids."""

    kind: str

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def delete(self, ids: np.ndarray) -> None: ...
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(queries), k); missing slots have id -1."""
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


class KeywordStore(Protocol):
    """Lexical scoring of passages from their tokens, keyed by int64 passage ids."""

    def add(self, ids: np.ndarray, tokens: Sequence[Sequence[str]]) -> None: ...
    def delete(self, ids: np.ndarray) -> None: ...
    def scores(self, query_tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) over every stored passage."""
    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """Inverse document frequency of each token (answer extraction weighs words by it)."""
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


def vector_store(dim: int, expected_size: int = 0, kind: str = "auto") -> VectorStore:
    """A new FAISS store; `auto` picks exact search for small corpora and IVF-SQ8 for large ones."""
    from .faiss import FaissStore

    return FaissStore.create(dim, expected_size=expected_size, kind=kind)


def load_vector_store(path: Path) -> VectorStore:
    from .faiss import FaissStore

    return FaissStore.load(path)
