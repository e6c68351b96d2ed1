"""IVF-SQ8 recall against exact search at one size, without building the rest of the index.

    python -m bench.ivf --size 1000000 [--merge-into bench/results/latest.json --system qa-patched]

Builds qa's FaissStore exactly as Index.add_passages would (same vectors, same
training sample), then measures recall@10 and dense latency per nprobe, as
`worker.ivf_recall` does inside a full run.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from .corpus import queries
from .vectors import PrecomputedEncoder, StandIns, real_vectors
from .worker import ivf_recall


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.ivf")
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--real", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qa-bench")
    ap.add_argument("--merge-into", type=Path)
    ap.add_argument("--system", default="qa-patched")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import numpy as np

    from qa.encoders import load_encoder
    from qa.stores import vector_store

    rv = real_vectors(a.real, a.cache)
    enc = PrecomputedEncoder(rv, StandIns(rv.passage_vecs[len(rv.passage_vecs) - rv.real:]))
    store = vector_store(enc.dim, expected_size=a.size)
    t = time.perf_counter()
    store.add(np.arange(a.size, dtype=np.int64), enc.passage_vectors(a.size))
    build_s = time.perf_counter() - t

    class Holder:  # ivf_recall reads index.vectors
        vectors = store

    qvecs = load_encoder(rv.encoder).encode(queries(a.queries, seed=1))
    res = ivf_recall(Holder, PrecomputedEncoder(rv, StandIns(rv.passage_vecs[len(rv.passage_vecs) - rv.real:])), a.size, qvecs)
    res["train_and_add_s"] = build_s
    res["measured_separately"] = "python -m bench.ivf: same vectors and FaissStore settings as the full run, index rebuilt for this measurement"
    print(json.dumps(res, indent=1))
    if a.merge_into:
        rep = json.loads(a.merge_into.read_text(encoding="utf-8"))
        for r in rep["runs"]:
            if r["system"] == a.system and r["size"] == a.size and "build" in r:
                r["ivf"] = res
        a.merge_into.write_text(json.dumps(rep, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
