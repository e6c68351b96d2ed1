"""Where the BM25 build's time goes, against rank_bm25, on the same token lists.

    python -m bench.bm25_build [--size 100000] [--merge-into bench/results/latest.json]

The full run times qa's `BM25Store.add` (both keyword stores) against the
rest of LangChain's `BM25Retriever.from_documents` (rank_bm25's `BM25Okapi`).
This splits qa's time into mapping token strings to ids and building the
score matrices from the ids, counts the tokens each side indexes, and times
the cheapest possible pass over the peer's tokens (one dict lookup per token
into a ready vocabulary), which bounds what any build from token strings can
reach in Python.
"""
from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import time
from pathlib import Path

import numpy as np


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(size: int, repeat: int = 3) -> dict:
    from rank_bm25 import BM25Okapi

    from qa.index import indexed_text
    from qa.stores.bm25 import BM25Store, _bm25s

    from .corpus import synthetic_passages
    from .tokens import peer_tokeniser, qa_tokenisers

    _bm25s()  # imported before the clock starts
    texts = [indexed_text(p) for p in synthetic_passages(size)]
    words, chars = qa_tokenisers()
    peer = peer_tokeniser()
    tokens = {"qa words": [words(t) for t in texts], "qa chars": [chars(t) for t in texts], "peer": [peer(t) for t in texts]}
    del texts
    ids = np.arange(size, dtype=np.int64)
    out: dict = {"size": size, "repeat": repeat, "tokens": {k: sum(map(len, v)) for k, v in tokens.items()}}
    out["rank_bm25_s"] = _best(lambda: BM25Okapi(tokens["peer"]), repeat)
    for name in ("qa words", "qa chars"):
        store = BM25Store()
        total = _best(lambda: (store.__init__(), store.add(ids, tokens[name])), repeat)
        matrices = _best(store._reindex, repeat)
        out[name] = {"add_s": total, "matrices_from_ids_s": matrices, "tokens_to_ids_s": total - matrices}
    flat = list(itertools.chain.from_iterable(tokens["peer"]))
    vocab = {t: i for i, t in enumerate(dict.fromkeys(flat))}
    out["floor_one_lookup_per_peer_token_s"] = _best(lambda: np.fromiter(map(vocab.__getitem__, flat), np.int32, len(flat)), repeat)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.bm25_build", description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="timings per figure; the fastest is kept")
    ap.add_argument("--merge-into", type=Path, help="add the figures to this latest.json as 'bm25_build'")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    res = measure(a.size, a.repeat)
    res["command"] = "python -m bench.bm25_build " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    print(json.dumps(res, indent=1, ensure_ascii=False))
    if a.merge_into:
        rep = json.loads(a.merge_into.read_text(encoding="utf-8"))
        rep["bm25_build"] = res
        a.merge_into.write_text(json.dumps(rep, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
