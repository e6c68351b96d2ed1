"""The peer: what a LangChain tutorial builds for hybrid Chinese retrieval.

`BM25Retriever` (rank_bm25) with jieba as `preprocess_func`, a `FAISS` vector
store over the same encoder (wrapped as LangChain `Embeddings`), and an
`EnsembleRetriever` with its default weights (equal, reciprocal rank fusion).
Tokenising and embedding time are measured inside the functions LangChain
calls, so the build splits the same way as qa's `BuildStats`.
"""
from __future__ import annotations

import pickle
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.index import indexed_text
from qa.types import Passage

warnings.filterwarnings("ignore", message=".*langchain-community.*")


def _jieba_cut():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba.lcut


@dataclass
class PeerStats:
    tokenize: float = 0.0
    bm25: float = 0.0
    embed: float = 0.0
    vector_index: float = 0.0
    write: float = 0.0
    embedded: int = 0

    @property
    def total(self) -> float:
        return self.tokenize + self.bm25 + self.embed + self.vector_index + self.write


class TimedTokenizer:
    """jieba.lcut (or a stand-in `fn` giving the same tokens), with the time spent in it added up.
    Pickles as plain jieba.lcut, so the saved retriever is what a tutorial user saves."""

    def __init__(self, fn=None):
        self.seconds = 0.0
        self.fn = fn

    def __call__(self, text: str) -> list[str]:
        t = time.perf_counter()
        out = (self.fn or _jieba_cut())(text)
        self.seconds += time.perf_counter() - t
        return out

    def __getstate__(self):
        return {"seconds": self.seconds, "fn": None}


def embeddings(encoder, query_vectors: dict[str, np.ndarray] | None = None):
    """qa's encoder as LangChain `Embeddings`; with `query_vectors`, queries are looked up, not embedded."""
    from langchain_core.embeddings import Embeddings

    class QaEmbeddings(Embeddings):
        def __init__(self):
            self.seconds = 0.0
            self.count = 0
            self.query_seconds: list[float] = []

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            t = time.perf_counter()
            v = encoder.encode(list(texts), batch_size=32)
            self.seconds += time.perf_counter() - t
            self.count += len(texts)
            return v.tolist()

        def embed_query(self, text: str) -> list[float]:
            if query_vectors is not None and text in query_vectors:
                return query_vectors[text].tolist()
            t = time.perf_counter()
            v = encoder.encode([text])[0]
            self.query_seconds.append(time.perf_counter() - t)
            return v.tolist()

    return QaEmbeddings()


@dataclass
class Peer:
    bm25: object
    faiss: object
    ensemble: object
    stats: PeerStats = field(default_factory=PeerStats)

    def search(self, query: str) -> list:
        return self.ensemble.invoke(query)

    def bm25_search(self, query: str) -> list:
        return self.bm25.invoke(query)

    def dense_search(self, query: str) -> list:
        return self.faiss_retriever.invoke(query)

    @property
    def faiss_retriever(self):
        return self.ensemble.retrievers[1]


def documents(passages: Sequence[Passage]):
    from langchain_core.documents import Document

    # Same text qa indexes (title, then passage); metadata carries the paragraph id for scoring.
    return [Document(page_content=indexed_text(p), metadata={"doc_id": p.doc_id, "pid": i}) for i, p in enumerate(passages)]


def build(passages: Sequence[Passage], encoder, k: int = 5, directory: Path | None = None,
          parts: tuple[str, ...] = ("bm25", "faiss"), tokenizer=None) -> Peer:
    """Build the tutorial pipeline; `parts` can leave out a half that would not finish (then it is None)."""
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS

    stats = PeerStats()
    docs = documents(passages)
    bm25 = store = None
    if "bm25" in parts:
        tok = TimedTokenizer(tokenizer)
        t = time.perf_counter()
        bm25 = BM25Retriever.from_documents(docs, preprocess_func=tok, k=k)
        stats.tokenize = tok.seconds
        stats.bm25 = time.perf_counter() - t - tok.seconds
    if "faiss" in parts:
        emb = embeddings(encoder)
        t = time.perf_counter()
        store = FAISS.from_documents(docs, emb)
        stats.embed = emb.seconds
        stats.embedded = emb.count
        stats.vector_index = time.perf_counter() - t - emb.seconds
    retrievers = [r for r in (bm25, store.as_retriever(search_kwargs={"k": k}) if store else None) if r is not None]
    ensemble = EnsembleRetriever(retrievers=retrievers)
    if directory is not None:
        t = time.perf_counter()
        directory.mkdir(parents=True, exist_ok=True)
        if store is not None:
            store.save_local(str(directory / "faiss"))
        if bm25 is not None:
            with open(directory / "bm25.pkl", "wb") as f:
                pickle.dump(bm25, f)
        stats.write = time.perf_counter() - t
    peer = Peer(bm25, store, ensemble, stats)
    return peer


def with_embeddings(peer: Peer, encoder, query_vectors: dict[str, np.ndarray] | None, k: int = 5) -> Peer:
    """The same stores, queried through an Embeddings that embeds for real (None) or looks queries up."""
    from langchain_classic.retrievers import EnsembleRetriever

    if peer.faiss is None:
        return peer
    peer.faiss.embedding_function = embeddings(encoder, query_vectors)
    dense = peer.faiss.as_retriever(search_kwargs={"k": k})
    retrievers = [r for r in (peer.bm25, dense) if r is not None]
    return Peer(peer.bm25, peer.faiss, EnsembleRetriever(retrievers=retrievers), peer.stats)
