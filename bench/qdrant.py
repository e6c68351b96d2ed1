"""The Qdrant store backend against the local one, embedded, on the benchmark's synthetic corpora.

    python -m bench.qdrant --sizes 10000,100000      # -> bench/results/qdrant.json and qdrant.md

Each (backend, size) runs in its own process (peak memory is that backend's alone): build through
`qa`'s own path (Index.create + add_passages + save; vectors from the benchmark's cache of real USE
vectors and stand-ins, so the encoder's time, the same for both backends, is left out), then real
trial-set questions one at a time with their query vectors given (retrieval; retrieval + answer),
then adding one article and deleting it again. The top-1 passage of every question is compared
across the backends (passage ids are the same: both number passages in build order).
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("bench.qdrant")
OUT = Path(__file__).parent / "results"
BACKENDS = {"local": {"store": "local"}, "qdrant": {"store": "qdrant", "qdrant_local": "edge"}}
ARTICLE = "# 滨海新区举办风筝节\n\n本报讯 第五届滨海风筝节于2024年4月20日在滨海新区东疆湾沙滩开幕,来自12个国家的风筝爱好者参加。\n"


def run_one(backend: str, size: int, queries: int, cache: Path, workdir: Path) -> dict:
    from qa.answer import answer_question
    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.encoders import load_encoder
    from qa.index import Index
    from qa.query import analyse
    from qa.retrieve import retrieve

    from .corpus import queries as trial_queries, synthetic_passages
    from .measure import PeakRSS, du, latency
    from .vectors import StandIns, PrecomputedEncoder, real_vectors

    rv = real_vectors(1000, cache)
    encoder = PrecomputedEncoder(rv, StandIns(rv.passage_vecs[len(rv.passage_vecs) - rv.real:]))
    passages = synthetic_passages(size)
    settings = Settings(**BACKENDS[backend])
    directory = workdir / f"{backend}-{size}"
    shutil.rmtree(directory, ignore_errors=True)
    qs = trial_queries(queries, seed=1)
    qvecs = load_encoder().encode(qs)
    gc.collect()
    with PeakRSS() as mem:
        t = time.perf_counter()
        index = Index.create(directory, encoder, settings, expected_size=size)
        stats = index.add_passages(passages, encoder, settings)
        t_save = time.perf_counter()
        index.save()
        build_s = time.perf_counter() - t
    out = {"backend": backend, "size": size, "build_s": build_s, "save_s": time.perf_counter() - t_save,
           "embed_lookup_s": stats.embed, "passages_per_s_without_encoder": size / max(build_s - stats.embed, 1e-9),
           "peak_rss": mem.peak, "baseline_rss": mem.baseline, "disk": du(directory)}
    del passages
    gc.collect()
    out["rss_after_build"] = PeakRSS().now()
    store = index.store
    retrieve(store, analyse(qs[0]), qvecs[0], 5, settings)  # warm-up
    top1, t_ret, t_ans = [], [], []
    for q, v in zip(qs, qvecs):
        query = analyse(q)
        t = time.perf_counter()
        hits = retrieve(store, query, v, 5, settings)
        t_ret.append(time.perf_counter() - t)
        answer_question(query, hits, store, v, settings)
        t_ans.append(time.perf_counter() - t)
        top1.append(hits[0].pid if hits else -1)
    out["retrieve"] = latency(np.array(t_ret))
    out["retrieve_and_answer"] = latency(np.array(t_ans))
    out["top1"] = top1
    out["rss_after_queries"] = PeakRSS().now()

    f = workdir / "kite.md"
    f.write_text(ARTICLE, encoding="utf-8")
    a = Assistant(index, settings=settings, encoder=encoder)
    t = time.perf_counter()
    a.add([f])
    out["add_one_article_s"] = time.perf_counter() - t
    t = time.perf_counter()
    a.delete("kite#1")
    out["delete_one_article_s"] = time.perf_counter() - t
    store.close()
    shutil.rmtree(directory, ignore_errors=True)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000", help="comma-separated corpus sizes")
    ap.add_argument("--queries", type=int, default=300, help="trial-set questions per size")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("QA_BENCH_CACHE", Path.home() / ".cache" / "qa-bench")))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--one", nargs=2, metavar=("BACKEND", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if a.one:
        print(json.dumps(run_one(a.one[0], int(a.one[1]), a.queries, a.cache, a.workdir)))
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-qdrant-"))
    runs = []
    try:
        for size in [int(s) for s in a.sizes.split(",")]:
            for backend in BACKENDS:
                log.info("%s at %d passages", backend, size)
                p = subprocess.run([sys.executable, "-m", "bench.qdrant", "--one", backend, str(size), "--queries", str(a.queries),
                                    "--cache", str(a.cache), "--workdir", str(workdir)], capture_output=True, text=True)
                if p.returncode:
                    raise SystemExit(f"{backend} at {size} failed:\n{p.stderr[-3000:]}")
                runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    by = {(r["backend"], r["size"]): r for r in runs}
    for r in runs:
        if r["backend"] != "local":
            base = by[("local", r["size"])]["top1"]
            r["top1_agreement_with_local"] = float(np.mean([x == y for x, y in zip(base, r["top1"])]))
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "qdrant.json").write_text(json.dumps({"argv": sys.argv[1:], "runs": runs}, indent=1), encoding="utf-8")
    (a.out / "qdrant.md").write_text(markdown(runs, a), encoding="utf-8")
    print(markdown(runs, a))


def markdown(runs: list[dict], a) -> str:
    gib = 1024 ** 3
    lines = [f"From `python -m bench.qdrant --sizes {a.sizes} --queries {a.queries}` ({time.strftime('%Y-%m-%d')}); "
             "encoder time left out (the same for both backends), query vectors given.", "",
             "| passages | backend | build s (no encoder) | passages/s | retrieve p50 / p95 ms | + answer p50 / p95 ms "
             "| top-1 = local | peak RSS GiB | RSS after queries GiB | disk MiB | bytes/passage on disk | add 1 article s | delete it s |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runs:
        agree = r.get("top1_agreement_with_local")
        lines.append(
            f"| {r['size']:,} | {r['backend']} | {r['build_s'] - r['embed_lookup_s']:.1f} | {r['passages_per_s_without_encoder']:.0f} "
            f"| {r['retrieve']['p50_ms']:.1f} / {r['retrieve']['p95_ms']:.1f} | {r['retrieve_and_answer']['p50_ms']:.1f} / {r['retrieve_and_answer']['p95_ms']:.1f} "
            f"| {'–' if agree is None else f'{agree:.3f}'} | {r['peak_rss'] / gib:.2f} | {r['rss_after_queries'] / gib:.2f} "
            f"| {r['disk'] / 2**20:.0f} | {r['disk'] / r['size']:,.0f} | {r['add_one_article_s']:.2f} | {r['delete_one_article_s']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
