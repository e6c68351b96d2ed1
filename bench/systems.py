"""qa and the peer behind the same three calls: build, search (hybrid), and the keyword / dense halves alone."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.config import Settings
from qa.index import Index
from qa.query import analyse
from qa.ranking import top_n
from qa.retrieve import background, retrieve
from qa.text import char_tokens, word_tokens
from qa.types import Passage

from . import peer as peer_mod


@dataclass
class Built:
    """A built system and its query functions; each takes (question, query vector or None)."""

    name: str
    split: dict[str, float]  # build seconds by stage (embed = time inside the encoder call)
    texts_embedded: dict[str, int]
    hybrid: Callable[[str, np.ndarray | None], list[str]] | None  # -> doc ids, best first
    keyword: Callable[[str], object] | None
    dense: Callable[[str, np.ndarray | None], object] | None
    handle: object = None
    query_embed_s: list | None = None  # seconds embedding each query in the 'with embedding' series


def build_qa(passages: Sequence[Passage], encoder, directory: Path | None, k: int = 5,
             settings: Settings | None = None, query_encoder=None) -> Built:
    """qa's own build path (Index.create + add_passages + save), as `qa index` runs it."""
    settings = settings or Settings()
    index = Index.create(directory or Path("unsaved-index"), encoder, settings, expected_size=len(passages))
    stats = index.add_passages(passages, encoder, settings)
    if directory is not None:
        t = time.perf_counter()
        index.save()
        stats.write = time.perf_counter() - t
    qenc = query_encoder or encoder
    embed_s: list[float] = []

    def embed(q: str) -> np.ndarray:
        t = time.perf_counter()
        v = qenc.encode([q])[0]
        embed_s.append(time.perf_counter() - t)
        return v

    def hybrid(q: str, qvec: np.ndarray | None) -> list[str]:
        # As Assistant.ask does: the question is embedded on a worker thread while the keyword indexes are scored.
        v = background(embed, q) if qvec is None else qvec
        return [h.passage.doc_id for h in retrieve(index.store, analyse(q), v, k, settings)]

    def keyword(q: str):
        w, wi = index.store.words.scores(word_tokens(q, query=True))
        c, ci = index.store.chars.scores(char_tokens(q, query=True))
        return wi[top_n(w, k)], ci[top_n(c, k)]

    def dense(q: str, qvec: np.ndarray | None):
        v = qenc.encode([q])[0] if qvec is None else qvec
        return index.store.vectors.search(v, k)

    split = {s: getattr(stats, s) for s in ("tokenize", "bm25", "embed", "vector_index", "write")}
    return Built("qa", split, {"passages": stats.passages, "sentences": stats.sentences}, hybrid, keyword, dense, index, embed_s)


def build_peer(passages: Sequence[Passage], encoder, directory: Path | None, k: int = 5,
               query_encoder=None, parts: tuple[str, ...] = ("bm25", "faiss"), tokenizer=None) -> Built:
    """The LangChain tutorial pipeline over the same passages and encoder."""
    p = peer_mod.build(passages, encoder, k=k, directory=directory, parts=parts, tokenizer=tokenizer)
    live = peer_mod.with_embeddings(p, query_encoder or encoder, None, k)
    lookups: dict[str, np.ndarray] = {}
    cached = peer_mod.with_embeddings(peer_mod.Peer(p.bm25, _copy_store(p.faiss), None, p.stats), encoder, lookups, k)

    def hybrid(q: str, qvec: np.ndarray | None) -> list[str]:
        if qvec is None:
            docs = live.search(q)
        else:
            lookups[q] = qvec
            docs = cached.search(q)
        return [d.metadata["doc_id"] for d in docs]

    def dense(q: str, qvec: np.ndarray | None):
        if qvec is None:
            return live.dense_search(q)
        lookups[q] = qvec
        return cached.dense_search(q)

    s = p.stats
    split = {"tokenize": s.tokenize, "bm25": s.bm25, "embed": s.embed, "vector_index": s.vector_index, "write": s.write}
    both = p.bm25 is not None and p.faiss is not None
    return Built("peer", split, {"passages": s.embedded, "sentences": 0}, hybrid if both else None,
                 p.bm25_search if p.bm25 is not None else None, dense if p.faiss is not None else None, p,
                 live.faiss.embedding_function.query_seconds if p.faiss is not None else None)


def _copy_store(store):
    """A second FAISS wrapper over the same index and docstore (so two Embeddings can be attached)."""
    if store is None:
        return None
    from langchain_community.vectorstores import FAISS

    return FAISS(store.embedding_function, store.index, store.docstore, store.index_to_docstore_id)
