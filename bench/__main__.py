"""python -m bench [--quick]: qa against the LangChain tutorial pipeline, from 1k to 1M passages.

Writes bench/results/results.md, latency.png, build.png and latest.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from qa.stores.faiss import EXACT_LIMIT

from .corpus import describe
from .measure import machine
from .vectors import NOISE, EncoderRate, measure_rate, real_vectors

log = logging.getLogger("bench")
HERE = Path(__file__).resolve().parent


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes 1k and 10k, fewer queries: a few minutes")
    ap.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")], help="comma-separated corpus sizes")
    ap.add_argument("--real", type=int, default=1000, help="synthetic passages embedded with the real encoder (above: stand-ins)")
    ap.add_argument("--queries", type=int, help="questions timed per size (default 100 quick, 200 full)")
    ap.add_argument("--budget", type=float, help="seconds per latency series per size before stopping early (default 20 quick, 45 full)")
    ap.add_argument("--peer-bm25-max", type=int, default=100_000, help="largest size at which the peer's rank_bm25 is built")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds one system may take at one size before it is stopped")
    ap.add_argument("--systems", default="qa,peer", help="comma-separated: qa, peer")
    ap.add_argument("--caps", default="", help="largest size per system, e.g. qa=100000,peer=100000 (above: not run, projected)")
    ap.add_argument("--tokenize-real-max", type=int, default=10_000,
                    help="above this size tokens come from a per-sentence cache and tokenising time from the rate measured at the largest size up to it")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("QA_BENCH_CACHE", Path.home() / ".cache" / "qa-bench")))
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "qa-bench")
    ap.add_argument("--out", type=Path, help="where results go (default bench/results, or bench/results/quick with --quick)")
    ap.add_argument("--encoder", default="use-multilingual", help="qa encoder name (tests use hash:DIM)")
    ap.add_argument("--quality-questions", type=int, help="only the first N trial questions (default: all)")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--memory-guard", type=float, default=0.9,
                    help="skip a run whose peak RSS, projected linearly from a smaller size, exceeds this share of available memory")
    ap.add_argument("--merge", action="store_true",
                    help="add these runs to the existing latest.json (replacing the same system and size) instead of starting anew")
    ap.add_argument("--in-process", action="store_true", help="run sizes in this process (tests; peak RSS is then not per system)")
    a = ap.parse_args(argv)
    a.out = a.out or (HERE / "results" / "quick" if a.quick else HERE / "results")
    a.sizes = a.sizes or ([1_000, 10_000] if a.quick else [1_000, 10_000, 100_000, 1_000_000])
    a.queries = a.queries or (100 if a.quick else 200)
    a.budget = a.budget or (20.0 if a.quick else 45.0)
    return a


def run_worker(spec: dict, timeout: float) -> dict:
    """One system at one size in a child process; a timeout or crash is recorded, not raised."""
    spec_path = Path(spec["workdir"]) / f"spec-{spec['system']}-{spec['size']}.json"
    out_path = spec_path.with_name(f"out-{spec['system']}-{spec['size']}.json")
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.worker", str(spec_path), str(out_path)],
                              cwd=HERE.parent, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {"system": spec["system"], "size": spec["size"], "error": f"did not finish within {timeout:.0f} s"}
    if proc.returncode != 0 or not out_path.exists():
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        reason = "killed (out of memory?)" if proc.returncode in (-9, 137) else f"exit code {proc.returncode}"
        return {"system": spec["system"], "size": spec["size"], "error": f"{reason}: {' | '.join(tail)}"}
    res = json.loads(out_path.read_text())
    res["worker_wall_s"] = time.perf_counter() - t
    return res


def main(argv=None) -> None:
    a = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("qa.evaluate").setLevel(logging.ERROR)
    started = time.perf_counter()
    report: dict = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
        "corpus": describe(),
        "settings": {"sizes": a.sizes, "real": a.real, "queries": a.queries, "budget_s": a.budget,
                     "peer_bm25_max": a.peer_bm25_max, "standin_noise": NOISE, "encoder": a.encoder},
    }
    log.info("real vectors (cached in %s)", a.cache)
    rv = real_vectors(a.real, a.cache, a.encoder)
    previous = json.loads((a.out / "latest.json").read_text(encoding="utf-8")) if a.merge and (a.out / "latest.json").exists() else None
    if previous:
        # Same machine, corpus, vectors and encoder timing as the run being extended.
        report = {**previous, "commands": previous.get("commands", [previous["command"]]) + [report["command"]]}
        report["settings"] = {**previous["settings"], "merged": {"sizes": a.sizes, "systems": a.systems}}
        report["machine_at_merge"] = machine()
        r0 = previous["encoder_rate"]
        rate = EncoderRate(r0["passage_ms"] / 1e3, r0["sentence_ms"] / 1e3, r0["query_ms"] / 1e3, r0["measured_on"]["passages"], r0["measured_on"]["sentences"],
                           r0.get("joint_ms", 0.0) / 1e3, r0.get("passage_tokens", 0.0), r0.get("sentence_tokens", 0.0))
    else:
        log.info("timing the real encoder on samples")
        rate = measure_rate(a.encoder)
        report["encoder_rate"] = {"passage_ms": rate.passage_s * 1e3, "sentence_ms": rate.sentence_s * 1e3,
                                  "query_ms": rate.query_s * 1e3, "joint_ms": rate.joint_s * 1e3,
                                  "passage_tokens": rate.passage_tokens, "sentence_tokens": rate.sentence_tokens, "measured_on": {"passages": rate.passages, "sentences": rate.sentences,
                                                                                  "queries": 30}}
    if not a.skip_quality and not previous:
        from .quality import trial_quality

        log.info("trial-set quality")
        report["quality"] = trial_quality(rv, a.cache, a.quality_questions)
    systems = a.systems.split(",")
    planned = {(x, n) for x in systems for n in a.sizes}
    runs = [r for r in (previous or {}).get("runs", []) if (r["system"], r["size"]) not in planned]
    caps = {k: int(float(v)) for k, v in (x.split("=") for x in a.caps.split(",") if x)}
    report["settings"]["caps"] = caps
    report["settings"]["tokenize_real_max"] = a.tokenize_real_max
    tok_rate: dict[str, float] = {r["system"]: r["build"]["split_s"]["tokenize"] / r["size"] for r in sorted(runs, key=lambda r: r["size"])
                                  if "build" in r and r["size"] <= a.tokenize_real_max and not r["build"].get("tokenize_extrapolated")}
    for size in a.sizes:
        for system in systems:
            if size > caps.get(system, size):
                runs.append({"system": system, "size": size, "skipped": f"not run above {caps[system]:,} passages (--caps)"})
                report["runs"] = runs
                continue
            fits = _fits(runs, system, size, a.memory_guard)
            if fits:
                runs.append({"system": system, "size": size, "skipped": fits})
                log.info("%s at %d: %s", system, size, fits)
                report["runs"] = runs
                continue
            parts = ["bm25", "faiss"]
            if system == "peer" and size > a.peer_bm25_max:
                parts = ["faiss"]
            spec = {"system": system, "size": size, "real": a.real, "encoder": a.encoder, "cache": str(a.cache), "workdir": str(a.workdir),
                    "queries": a.queries, "budget_s": a.budget, "parts": parts, "recall": system == "qa" and size > EXACT_LIMIT,
                    "rate": dataclasses.asdict(rate),
                    "tokenize_rate": tok_rate.get(system) if size > a.tokenize_real_max else None}
            if size > a.tokenize_real_max and spec["tokenize_rate"] is None:
                log.warning("%s at %d: no real tokenising rate measured at or below %d; tokenising for real", system, size, a.tokenize_real_max)
            log.info("%s at %d passages ...", system, size)
            res = _in_process(spec) if a.in_process else run_worker(spec, a.timeout)
            if "error" not in res and size <= a.tokenize_real_max:
                tok_rate[system] = res["build"]["split_s"]["tokenize"] / size
            if system == "peer" and parts == ["faiss"]:
                res["note"] = f"BM25Retriever (rank_bm25) not built above {a.peer_bm25_max:,} passages: see projection"
            runs.append(res)
            log.info("  %s", _oneline(res))
            report["runs"] = runs
            _write(report, a.out)
    report["total_s"] = time.perf_counter() - started
    _write(report, a.out, final=True)
    log.info("done in %.0f s: %s", report["total_s"], a.out / "results.md")


def _in_process(spec: dict) -> dict:
    from .worker import run

    Path(spec["workdir"]).mkdir(parents=True, exist_ok=True)
    return run(spec)


def _fits(runs: list[dict], system: str, size: int, guard: float = 0.9) -> str:
    """'' if a run at `size` is projected to fit in available memory, else why not (the machine is shared:
    an out-of-memory kill could hit someone else's process)."""
    import psutil

    done = [r for r in runs if r["system"] == system and "memory" in r]
    if not done:
        return ""
    base = max(done, key=lambda r: r["size"])
    m = base["memory"]
    projected = m["baseline_rss"] + (m["peak_rss"] - m["baseline_rss"]) * size / base["size"]
    avail = psutil.virtual_memory().available
    if projected > guard * avail:
        return (f"not run: peak RSS projected linearly from {base['size']:,} passages is {projected / 2**30:.1f} GiB, "
                f"more than {guard:.0%} of the {avail / 2**30:.1f} GiB available")
    return ""


def _oneline(r: dict) -> str:
    if "error" in r or "skipped" in r:
        return r.get("error") or r["skipped"]
    lat = r["latency"].get("hybrid_with_embedding", {})
    return (f"build {r['build']['total_with_real_encoder_s']:.1f}s (without encoder {r['build']['measured_wall_s'] - r['build']['split_s']['embed']:.1f}s), "
            f"peak {r['memory']['peak_rss'] / 2**30:.2f} GiB, disk {r['disk']['total'] / 2**20:.0f} MiB, "
            f"hybrid p50 {lat.get('p50_ms', float('nan')):.1f} ms")


def _write(report: dict, out: Path, final: bool = False) -> None:
    """Tables and JSON after every run (a stopped run keeps what it measured); plots at the end."""
    from .report import write_all

    out.mkdir(parents=True, exist_ok=True)
    write_all(report, out, plots=final)


if __name__ == "__main__":
    main()
