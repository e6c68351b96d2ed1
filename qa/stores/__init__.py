"""Vector and keyword backends behind small protocols; `vector_store()` picks the vector backend."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

import numpy as np


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
