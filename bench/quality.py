"""Retrieval quality on the real CMRC 2018 trial set: R@1, R@5 and MRR@10 for qa and the peer.

Both index the same passages (the trial paragraphs chunked as `qa eval` does,
title + text) with the same USE vectors, and get the same query vectors. A
question counts as found at rank r when its paragraph's first passage in the
result list is at r (paragraph ids de-duplicated, as qa.evaluate does).
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np

from .corpus import trial_set
from .vectors import PrecomputedEncoder, RealVectors, StandIns, precomputed

log = logging.getLogger(__name__)
K = 10


def question_vectors(texts: list[str], cache_dir: Path, encoder_name: str) -> np.ndarray:
    key = hashlib.sha256("\x00".join([encoder_name] + texts).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"questions-{key}.npy"
    if path.exists():
        return np.load(path)
    from qa.encoders import load_encoder

    log.info("embedding %d trial questions", len(texts))
    v = load_encoder(encoder_name).encode(texts, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, v)
    return v


def _ranks(results: list[list[str]], gold: list[str]) -> list[int]:
    out = []
    for docs, g in zip(results, gold):
        docs = list(dict.fromkeys(docs))[:K]
        out.append(next((i + 1 for i, d in enumerate(docs) if d == g), 0))
    return out


def _summary(ranks: list[int]) -> dict:
    r = np.array(ranks)
    return {"questions": int(len(r)), "r1": float(np.mean((r > 0) & (r <= 1))), "r5": float(np.mean((r > 0) & (r <= 5))),
            "mrr10": float(np.mean(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0)))}


def trial_quality(rv: RealVectors, cache_dir: Path, limit: int | None = None) -> dict:
    """Both systems, plus each half of each alone, on the trial set (the first `limit` questions, if given)."""
    from .systems import build_peer, build_qa

    passages, questions = trial_set()
    questions = questions[:limit] if limit else questions
    texts = [q.text for q in questions]
    gold = [q.doc_id for q in questions]
    qv = question_vectors(texts, cache_dir, rv.encoder)
    out = {}
    from qa.encoders import load_encoder

    # qa's sentence vectors as its build makes them (one pass per passage with USE); passage vectors are the cached ones.
    enc = precomputed(rv, StandIns(rv.passage_vecs[:50]), load_encoder(rv.encoder), real_sentences=True)
    qa = build_qa(passages, enc, None, k=K)
    assert enc.next_standin == 0, "every trial passage must have a real vector"
    t = time.perf_counter()
    out["qa hybrid"] = _summary(_ranks([qa.hybrid(q, v) for q, v in zip(texts, qv)], gold))
    log.info("qa trial: %s (%.1fs)", out["qa hybrid"], time.perf_counter() - t)
    from qa.query import analyse
    from qa.retrieve import FusionWeights, retrieve

    index = qa.handle
    from qa.config import Settings

    s = Settings()
    for name in ("bm25_words", "dense_passage"):
        res = [[h.passage.doc_id for h in retrieve(index.store, analyse(q), v, K, s, FusionWeights.only(name))] for q, v in zip(texts, qv)]
        out[f"qa {name} alone"] = _summary(_ranks(res, gold))

    peer = build_peer(passages, PrecomputedEncoder(rv, StandIns(rv.passage_vecs[:50])), None, k=K)
    out["peer EnsembleRetriever"] = _summary(_ranks([peer.hybrid(q, v) for q, v in zip(texts, qv)], gold))
    out["peer BM25Retriever alone"] = _summary(_ranks([[d.metadata["doc_id"] for d in peer.keyword(q)] for q in texts], gold))
    out["peer FAISS alone"] = _summary(_ranks([[d.metadata["doc_id"] for d in peer.dense(q, v)] for q, v in zip(texts, qv)], gold))
    log.info("peer trial: %s", out["peer EnsembleRetriever"])
    return {"k": K, "passages": len(passages), "systems": out}
