"""One system at one corpus size, in its own process so its peak RSS is its own.

    python -m bench.worker SPEC.json OUT.json

Builds the index from the synthetic corpus (real vectors up to `real`
passages, stand-ins above), writes it to disk, then times queries one at a
time: hybrid with the query embedded by the real USE encoder, hybrid with the
query vector given, and the keyword and dense halves alone.
"""
from __future__ import annotations

import gc
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from qa.index import indexed_text

from .corpus import queries, synthetic_passages
from .measure import PeakRSS, du, latency, timed_queries
from .vectors import EncoderRate, PrecomputedEncoder, StandIns, precomputed, real_vectors

log = logging.getLogger("bench.worker")


def run(spec: dict) -> dict:
    size, system = spec["size"], spec["system"]
    rv = real_vectors(spec["real"], Path(spec["cache"]), spec["encoder"])
    off = len(rv.passage_vecs) - rv.real
    standins = StandIns(rv.passage_vecs[off:], seed=spec.get("seed", 0))
    from qa.encoders import load_encoder

    use = load_encoder(spec["encoder"])  # the real encoder, for query embedding
    encoder = precomputed(rv, standins, use)
    passages = synthetic_passages(size)
    directory = Path(spec["workdir"]) / f"{system}-{size}"
    shutil.rmtree(directory, ignore_errors=True)
    warm_up(use)
    gc.collect()
    import qa

    # Which checkout's qa ran, relative to this repository (no machine paths in committed results).
    package = Path(qa.__file__).resolve().parent
    here = Path(__file__).resolve().parents[1]
    out: dict = {"system": system, "size": size, "real_passage_vectors": min(size, rv.real),
                 "qa_package": str(package.relative_to(here)) if package.is_relative_to(here) else "qa (installed elsewhere)"}
    memo = spec.get("tokenize_rate") is not None
    peer_tok = None
    if memo:
        from . import tokens

        import qa.index

        if system == "peer":
            peer_tok = tokens.peer_tokeniser()
        else:
            qa.index.word_tokens, qa.index.char_tokens = tokens.qa_tokenisers()
        out["tokens_check"] = tokens.check([indexed_text(p) for p in passages[:200]])
    gc.collect()
    with PeakRSS() as mem:
        t = time.perf_counter()
        if system == "qa":
            from .systems import build_qa

            built = build_qa(passages, encoder, directory, query_encoder=use)
        else:
            from .systems import build_peer

            built = build_peer(passages, encoder, directory, query_encoder=use, parts=tuple(spec["parts"]), tokenizer=peer_tok)
        wall = time.perf_counter() - t
    joint = getattr(encoder, "joint", 0) if system == "qa" else 0
    if joint:  # passages encoded with their sentences in one pass: count them once, as such
        built.texts_embedded = {"passages": 0, "sentences": 0, "joint": joint}
    n_pass, n_sent = built.texts_embedded["passages"], built.texts_embedded["sentences"]
    rate = EncoderRate(**spec["rate"])  # measured once per run by the parent
    embed_est = rate.embed_seconds(n_pass, n_sent, joint)
    split = dict(built.split)
    if memo:
        # Tokens came from the per-sentence cache: report tokenising at the rate measured for real.
        wall += spec["tokenize_rate"] * size - split["tokenize"]
        split["tokenize_memoised_s"] = split["tokenize"]
        split["tokenize"] = spec["tokenize_rate"] * size
    out["build"] = {
        "tokenize_extrapolated": memo,
        "measured_wall_s": wall,
        "split_s": split,  # 'embed' here is the stand-in lookup, not the encoder
        "embed_real_encoder_s": embed_est,  # texts x measured seconds per text of USE on this machine
        "texts_embedded": built.texts_embedded,
        "total_with_real_encoder_s": wall - split["embed"] + embed_est,
        "missing_sentence_vectors": encoder.missing_sentences,
    }
    b = out["build"]
    b["embed_share"] = embed_est / b["total_with_real_encoder_s"] if b["total_with_real_encoder_s"] else 0.0
    b["passages_per_s"] = size / b["total_with_real_encoder_s"]
    b["passages_per_s_without_encoder"] = size / max(wall - split["embed"], 1e-9)
    out["memory"] = {"baseline_rss": mem.baseline, "peak_rss": mem.peak, "build_delta_rss": mem.peak - mem.baseline}
    out["disk"] = {"total": du(directory), "parts": {p.name: du(p) for p in sorted(directory.iterdir())}}
    del passages
    gc.collect()
    out["memory"]["rss_after_build"] = PeakRSS().now()

    qs = queries(spec["queries"], seed=1)
    t = time.perf_counter()
    qvecs = use.encode(qs)
    out["query_embed_ms_mean"] = (time.perf_counter() - t) / len(qs) * 1e3
    budget = spec["budget_s"]
    lat = {}
    if built.hybrid is not None:
        built.hybrid(qs[0], None)  # warm-up: first call loads lazy state
        lat["hybrid_with_embedding"] = latency(timed_queries(lambda i: built.hybrid(qs[i], None), len(qs), budget))
        if built.query_embed_s:
            lat["query_embedding_in_that_series"] = latency(np.array(built.query_embed_s[1:]))
        lat["hybrid_vector_given"] = latency(timed_queries(lambda i: built.hybrid(qs[i], qvecs[i]), len(qs), budget))
    if built.keyword is not None:
        lat["keyword_only"] = latency(timed_queries(lambda i: built.keyword(qs[i]), len(qs), budget))
    if built.dense is not None:
        lat["dense_only_vector_given"] = latency(timed_queries(lambda i: built.dense(qs[i], qvecs[i]), len(qs), budget))
    out["latency"] = lat
    if system == "qa" and spec.get("recall", False):
        out["ivf"] = ivf_recall(built.handle.store.vectors, encoder, size, qvecs)
    out["spec"] = spec
    shutil.rmtree(directory, ignore_errors=True)
    return out


def warm_up(encoder) -> None:
    """Load what both systems load once per process (jieba's dictionary, normalisation tables, imports),
    so a build's stages time the work on the passages, not start-up."""
    import bm25s  # noqa: F401
    import faiss  # noqa: F401
    import jieba
    import rank_bm25  # noqa: F401
    from langchain_classic.retrievers import EnsembleRetriever  # noqa: F401
    from langchain_community.retrievers import BM25Retriever  # noqa: F401
    from langchain_community.vectorstores import FAISS  # noqa: F401

    from qa.text import char_tokens, word_tokens

    jieba.setLogLevel(60)
    jieba.initialize()
    word_tokens("预热一下分词器")
    char_tokens("预热一下分词器")
    encoder.encode(["预热"])


def ivf_recall(store, encoder: PrecomputedEncoder, size: int, qvecs: np.ndarray, k: int = 10) -> dict:
    """Recall@k of a FAISS store's IVF-SQ8 search against exact search over the same vectors, per nprobe."""
    if store.kind != "ivf-sq8":
        return {"kind": store.kind}
    truth = _exact_top(encoder, size, np.ascontiguousarray(qvecs, dtype=np.float32), k)
    res = {"kind": store.kind, "nlist": int(store._index.nlist), "default_nprobe": store.nprobe, "k": k, "by_nprobe": {}}
    default = store.nprobe
    for nprobe in (8, 16, 32, 64, 128):
        store.nprobe = nprobe
        ids = np.stack([store.search(q, k)[1][0] for q in qvecs])
        t = timed_queries(lambda i: store.search(qvecs[i], k), len(qvecs), 30.0)
        recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, truth)]))
        res["by_nprobe"][nprobe] = {"recall": recall, **latency(t)}
    store.nprobe = default
    return res


def _exact_top(encoder: PrecomputedEncoder, size: int, q: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k ids by inner product over the vectors the build was given (passage id = encoding order),
    a block at a time (no second full copy in memory)."""
    if len(encoder.passage_sources()) != size:
        raise RuntimeError(f"the encoder handed out {len(encoder.passage_sources())} passage vectors for {size} passages")
    best_s = np.full((len(q), k), -np.inf, np.float32)
    best_i = np.zeros((len(q), k), np.int64)
    block = 65_536
    for start in range(0, size, block):
        sims = q @ encoder.given_vectors(start, block).T
        s = np.concatenate([best_s, sims], axis=1)
        i = np.concatenate([best_i, np.broadcast_to(np.arange(start, start + sims.shape[1]), sims.shape)], axis=1)
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
    return best_i


def main() -> None:
    # If memory runs out, the kernel should end this benchmark process, not someone else's.
    try:
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = run(spec)
    Path(sys.argv[2]).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
