"""results.md, latency.png, build.png and latest.json from one run's report."""
from __future__ import annotations

import json
from pathlib import Path

GiB, MiB = 2**30, 2**20


def write_all(report: dict, out: Path) -> None:
    (out / "latest.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / "results.md").write_text(markdown(report), encoding="utf-8")
    runs = [r for r in report.get("runs", []) if "build" in r]
    if runs:
        plots(runs, out)


def _ok(runs, system):
    return sorted((r for r in runs if r["system"] == system and "build" in r), key=lambda r: r["size"])


def _get(r: dict, *path, default=None):
    for p in path:
        if not isinstance(r, dict) or p not in r:
            return default
        r = r[p]
    return r


def _f(x, fmt="{:.1f}", none="–"):
    return none if x is None else fmt.format(x)


def _by(runs, system, size):
    return next((r for r in runs if r["system"] == system and r["size"] == size), None)


def markdown(rep: dict) -> str:
    m, s, c, rate = rep["machine"], rep["settings"], rep["corpus"], rep["encoder_rate"]
    runs = rep.get("runs", [])
    sizes = sorted({r["size"] for r in runs})
    L = [f"# qa vs the LangChain tutorial pipeline: {', '.join(_n(x) for x in sizes)} passages", ""]
    L += [f"Run {rep['started']} with `{rep['command']}`" + (f", {rep['total_s'] / 60:.0f} min in all." if "total_s" in rep else " (still running)."), ""]
    L += ["## Machine", "",
          f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, {m['platform']}. "
          f"Load average at start {m['load_avg_at_start']}: the machine was shared with other jobs, so absolute times are "
          "pessimistic; both systems ran in the same run on the same machine, one after the other, each size in its own process.", ""]
    L += ["## What is real and what is stand-in", "",
          f"* **Text**: {c['source_sentences']:,} real sentences from {c['source_paragraphs']} paragraphs (CMRC 2018 trial set + `corpus/`) "
          f"recombined into passages of 3-8 sentences (runs of 1-4 consecutive sentences from random paragraphs), titles drawn from the "
          f"{c['titles']} real titles; mean {c['mean_passage_chars']:.0f} characters per passage. Seeded: passage i is the same in every run.",
          f"* **Sentence vectors**: real USE vectors at every size (every sentence of the pool was embedded).",
          f"* **Passage vectors**: real USE vectors for the first {s['real']:,} passages; above that stand-ins: a real passage vector resampled, "
          f"plus gaussian noise in PCA space ({s['standin_noise']} x each component's std), renormalised (same dimension and spread).",
          f"* **Embedding time**: neither system calls the encoder while building (both get the same precomputed/stand-in vectors); "
          f"the embedding time shown is texts embedded x USE's seconds per text measured on this machine: "
          f"{rate['passage_ms']:.0f} ms per passage, {rate['sentence_ms']:.0f} ms per sentence ({1e3 / rate['passage_ms']:.0f} passages/s, "
          f"{1e3 / rate['sentence_ms']:.0f} sentences/s, batch 32). qa embeds each passage and each of its sentences; the peer embeds passages only.",
          f"* **Queries**: {s['queries']} real trial-set questions per size, one at a time; 'with embedding' embeds each with the real USE encoder "
          f"({rate['query_ms']:.0f} ms per query alone); 'vector given' passes the precomputed query vector. Each series stops after {s['budget_s']:.0f} s.",
          f"* **Quality**: always the real trial set ({c['trial_questions']:,} questions, {c['trial_passages']} passages), real vectors only.", ""]
    q = rep.get("quality")
    if q:
        L += [f"## Retrieval quality (CMRC 2018 trial set, {q['passages']} passages, same vectors for both)", "",
              "| system | R@1 | R@5 | MRR@10 |", "| --- | ---: | ---: | ---: |"]
        for name, v in q["systems"].items():
            L.append(f"| {name} | {v['r1']:.3f} | {v['r5']:.3f} | {v['mrr10']:.3f} |")
        L.append("")
    L += ["## Build", "",
          "Total = measured wall time of the build with the encoder's share replaced by the real encoder's measured rate (see above). "
          "Shares are of that total.", "",
          "| passages | system | total s | embed % | tokenise s | BM25 s | vector index s | write s | passages/s | passages/s without encoder | disk MiB | peak RSS GiB | RSS KiB/passage |",
          "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        for sysname in ("qa", "qa-patched", "peer"):
            r = _by(runs, sysname, size)
            if r is None:
                continue
            if "error" in r or "skipped" in r:
                L.append(f"| {_n(size)} | {sysname} | {r.get('error') or r['skipped']} |" + " |" * 11)
                continue
            b, sp = r["build"], r["build"]["split_s"]
            L.append(f"| {_n(size)} | {sysname} | {b['total_with_real_encoder_s']:,.1f} | {b['embed_share'] * 100:.1f} | {sp['tokenize']:.2f} | "
                     f"{sp['bm25']:.2f} | {sp['vector_index']:.2f} | {sp['write']:.2f} | {b['passages_per_s']:.1f} | "
                     f"{b['passages_per_s_without_encoder']:,.0f} | {r['disk']['total'] / MiB:,.1f} | {r['memory']['peak_rss'] / GiB:.2f} | "
                     f"{r['memory']['peak_rss'] / size / 1024:.1f} |")
    L.append("")
    L += ["## Queries (one at a time, top 5)", "",
          "| passages | system | hybrid p50 ms (with embedding) | p95 | QPS | hybrid p50 ms (vector given) | p95 | QPS | keyword only p50 / p95 ms | dense only p50 / p95 ms (vector given) |",
          "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        for sysname in ("qa", "qa-patched", "peer"):
            r = _by(runs, sysname, size)
            if r is None or "error" in r or "skipped" in r:
                continue
            lat = r["latency"]
            he, hv, kw, de = (lat.get(k, {}) for k in ("hybrid_with_embedding", "hybrid_vector_given", "keyword_only", "dense_only_vector_given"))
            L.append(f"| {_n(size)} | {sysname} | {_f(he.get('p50_ms'))} | {_f(he.get('p95_ms'))} | {_f(he.get('qps'))} | "
                     f"{_f(hv.get('p50_ms'))} | {_f(hv.get('p95_ms'))} | {_f(hv.get('qps'))} | "
                     f"{_f(kw.get('p50_ms'))} / {_f(kw.get('p95_ms'))} | {_f(de.get('p50_ms'))} / {_f(de.get('p95_ms'))} |"
                     + (f" {r['note']}" if r.get("note") else ""))
    L.append("")
    L += ratios(runs, sizes)
    L += ivf(runs)
    L += memory(runs, sizes)
    L += projection(runs, s)
    return "\n".join(L) + "\n"


def _n(x: int) -> str:
    return f"{x // 1_000_000}M" if x >= 1_000_000 and x % 1_000_000 == 0 else f"{x // 1000}k" if x >= 1000 and x % 1000 == 0 else str(x)


def ratios(runs, sizes) -> list[str]:
    L = ["## qa against the peer, same run (peer ÷ qa: above 1 means qa is faster)", "",
         "| passages | BM25 build | tokenise | keyword query p50 | hybrid p50 (with embedding) | hybrid p50 (vector given) | build without encoder | peak RSS (qa ÷ peer) | disk (qa ÷ peer) |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        a, p = _by(runs, "qa", size), _by(runs, "peer", size)
        if not a or not p or "build" not in a or "build" not in p:
            continue

        def div(x, y):
            return f"{x / y:,.1f}x" if x is not None and y else "–"

        kw = lambda r: _get(r, "latency", "keyword_only", "p50_ms")
        he = lambda r: _get(r, "latency", "hybrid_with_embedding", "p50_ms")
        hv = lambda r: _get(r, "latency", "hybrid_vector_given", "p50_ms")
        nb = lambda r: r["build"]["measured_wall_s"] - r["build"]["split_s"]["embed"]
        peer_bm25 = p["build"]["split_s"]["bm25"] if "bm25" in p["spec"]["parts"] else None
        peer_tok = p["build"]["split_s"]["tokenize"] if "bm25" in p["spec"]["parts"] else None
        L.append(f"| {_n(size)} | {div(peer_bm25, a['build']['split_s']['bm25'])} | {div(peer_tok, a['build']['split_s']['tokenize'])} | "
                 f"{div(kw(p), kw(a))} | {div(he(p), he(a))} | {div(hv(p), hv(a))} | {div(nb(p), nb(a))} | "
                 f"{div(a['memory']['peak_rss'], p['memory']['peak_rss'])} | {div(a['disk']['total'], p['disk']['total'])} |")
    L += ["", "qa's BM25 is two indexes (jieba words and character 1+2-grams); the peer's is one (jieba words). "
          "qa's tokenising covers both token kinds and the sentence split; qa's embedding covers passages and their sentences.", ""]
    return L


def ivf(runs) -> list[str]:
    L = []
    for r in _ok(runs, "qa"):
        v = r.get("ivf")
        if not v or "by_nprobe" not in v:
            continue
        L += [f"## IVF-SQ8 at {_n(r['size'])} passages: recall@{v['k']} against exact search (same vectors), nlist {v['nlist']}, default nprobe {v['default_nprobe']}", "",
              "| nprobe | recall@10 | dense search p50 ms | p95 ms |", "| ---: | ---: | ---: | ---: |"]
        for nprobe, x in v["by_nprobe"].items():
            L.append(f"| {nprobe} | {x['recall']:.3f} | {x['p50_ms']:.2f} | {x['p95_ms']:.2f} |")
        L += ["", "Stand-in vectors are less clustered than real ones, so recall on real vectors is likely higher at the same nprobe.", ""]
    return L


def memory(runs, sizes) -> list[str]:
    L = ["## qa on disk, bytes per passage", "",
         "| passages | " + " | ".join(["passages.jsonl (text)", "bm25_words", "bm25_chars", "passages.faiss", "sentences_vec.npy (float16)", "sentences_pid/span", "total"]) + " |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in _ok(runs, "qa"):
        parts, n = r["disk"]["parts"], r["size"]
        row = [parts.get("passages.jsonl", 0), parts.get("bm25_words", 0), parts.get("bm25_chars", 0), parts.get("passages.faiss", 0),
               parts.get("sentences_vec.npy", 0), parts.get("sentences_pid.npy", 0) + parts.get("sentences_span.npy", 0), r["disk"]["total"]]
        L.append(f"| {_n(n)} | " + " | ".join(f"{x / n:,.0f}" for x in row) + " |")
    L += ["", "Sentence vectors (float16, 512-d: 1 KiB per sentence, about 6 sentences per passage) are the largest part; "
          "passage vectors are 2 KiB (float32, exact search) or 0.5 KiB (SQ8, above 200k).", ""]
    return L


def projection(runs, s) -> list[str]:
    """Where the peer's rank_bm25 was not run: a linear projection from the largest size where it was."""
    skipped = [r for r in runs if r["system"] == "peer" and "error" not in r and "bm25" not in r["spec"]["parts"]]
    done = [r for r in _ok(runs, "peer") if "bm25" in r["spec"]["parts"]]
    if not skipped or not done:
        return []
    base = max(done, key=lambda r: r["size"])
    L = ["## The peer's BM25Retriever where it was not run", ""]
    for r in skipped:
        f = r["size"] / base["size"]
        kw = _get(base, "latency", "keyword_only", "p50_ms")
        L.append(f"* {_n(r['size'])}: not built (cap {s['peer_bm25_max']:,}). Linear from {_n(base['size'])}: tokenise + BM25Okapi build "
                 f"~{(base['build']['split_s']['tokenize'] + base['build']['split_s']['bm25']) * f / 60:,.0f} min, keyword query p50 "
                 f"~{(kw or 0) * f / 1e3:,.1f} s, peak RSS ~{base['memory']['peak_rss'] * f / GiB:,.0f} GiB (machine: 24 GiB). "
                 "Its FAISS half was built and timed (dense only).")
    L.append("")
    return L


def plots(runs: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [("qa", "hybrid_with_embedding", "qa hybrid (with query embedding)", "C0", "-"),
              ("qa", "hybrid_vector_given", "qa hybrid (vector given)", "C0", "--"),
              ("qa", "keyword_only", "qa BM25 only", "C0", ":"),
              ("peer", "hybrid_with_embedding", "LangChain Ensemble (with query embedding)", "C3", "-"),
              ("peer", "hybrid_vector_given", "LangChain Ensemble (vector given)", "C3", "--"),
              ("peer", "keyword_only", "LangChain BM25Retriever only", "C3", ":")]
    fig, ax = plt.subplots(figsize=(8, 5))
    for system, key, label, color, ls in series:
        pts = [(r["size"], r["latency"][key]["p50_ms"], r["latency"][key]["p95_ms"]) for r in _ok(runs, system) if key in r["latency"]]
        if pts:
            x, p50, p95 = zip(*pts)
            ax.plot(x, p50, ls, color=color, marker="o", label=f"{label} p50")
            ax.fill_between(x, p50, p95, color=color, alpha=0.08)
    ax.set(xscale="log", yscale="log", xlabel="passages", ylabel="query latency, ms (p50; band to p95)", title="Query latency against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for system, color in (("qa", "C0"), ("peer", "C3")):
        rs = _ok(runs, system)
        if not rs:
            continue
        x = [r["size"] for r in rs]
        ax.plot(x, [r["build"]["total_with_real_encoder_s"] for r in rs], "-", color=color, marker="o", label=f"{system}: total (USE at measured rate)")
        ax.plot(x, [r["build"]["measured_wall_s"] - r["build"]["split_s"]["embed"] for r in rs], "--", color=color, marker="s", label=f"{system}: without the encoder")
        bm = [(r["size"], r["build"]["split_s"]["tokenize"] + r["build"]["split_s"]["bm25"]) for r in rs if "bm25" in r["spec"]["parts"]]
        if bm:
            ax.plot(*zip(*bm), ":", color=color, marker="^", label=f"{system}: tokenise + BM25")
    ax.set(xscale="log", yscale="log", xlabel="passages", ylabel="build time, s", title="Index build time against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "build.png", dpi=120)
    plt.close(fig)
