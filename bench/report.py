"""results.md, latency.png, build.png and latest.json from one run's report."""
from __future__ import annotations

import json
from pathlib import Path

GiB, MiB = 2**30, 2**20


def write_all(report: dict, out: Path, plots: bool = True) -> None:
    (out / "latest.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / "results.md").write_text(markdown(report), encoding="utf-8")
    runs = [r for r in report.get("runs", []) if "build" in r]
    if runs and plots:
        draw(runs, out)


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


def _at_default_nprobe(ivf: dict) -> dict:
    """The IVF measurement at the store's default nprobe (keys are ints in a run, strings once read from JSON)."""
    by = ivf["by_nprobe"]
    return by.get(str(ivf["default_nprobe"])) or by[ivf["default_nprobe"]]


def _by(runs, system, size):
    return next((r for r in runs if r["system"] == system and r["size"] == size), None)


def markdown(rep: dict) -> str:
    m, s, c, rate = rep["machine"], rep["settings"], rep["corpus"], rep["encoder_rate"]
    runs = rep.get("runs", [])
    sizes = sorted({r["size"] for r in runs})
    L = [f"# qa vs the LangChain tutorial pipeline: {', '.join(_n(x) for x in sizes)} passages", ""]
    L += [f"Run {rep['started']} with `{rep['command']}`" + (f", {rep['total_s'] / 60:.0f} min in all." if "total_s" in rep else " (still running)."), ""]
    for extra in rep.get("commands", [])[1:]:
        L += [f"Then `{extra}` (its runs replace the same system and size; load average then {rep.get('machine_at_merge', {}).get('load_avg_at_start')}).", ""]
    L += ["## Machine", "",
          f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, {m['platform']}. "
          f"Load average at start {m['load_avg_at_start']}" + (": the machine was shared with other jobs, so absolute times are pessimistic"
                                                               if m["load_avg_at_start"][0] > 1.5 else " (quiet)") +
          "; both systems ran in the same run on the same machine, one after the other, each size in its own process.", ""]
    L += ["## What is real and what is stand-in", "",
          f"* **Text**: {c['source_sentences']:,} real sentences from {c['source_paragraphs']} paragraphs (CMRC 2018 trial set + `corpus/`) "
          f"recombined into passages of 3-8 sentences (runs of 1-4 consecutive sentences from random paragraphs), titles drawn from the "
          f"{c['titles']} real titles; mean {c['mean_passage_chars']:.0f} characters per passage. Seeded: passage i is the same in every run.",
          "* **Sentence vectors**: real USE vectors at every size (every sentence of the pool was embedded).",
          f"* **Passage vectors**: real USE vectors for the first {s['real']:,} passages; above that stand-ins: a real passage vector resampled, "
          f"plus gaussian noise in PCA space ({s['standin_noise']} x each component's std), renormalised (same dimension and spread).",
          f"* **Embedding time**: neither system calls the encoder while building (both get the same precomputed/stand-in vectors); "
          f"the embedding time shown is texts embedded x USE's seconds per text measured on this machine: "
          f"{rate['passage_ms']:.0f} ms per passage, {rate['sentence_ms']:.0f} ms per sentence ({1e3 / rate['passage_ms']:.0f} passages/s, "
          f"{1e3 / rate['sentence_ms']:.0f} sentences/s, batch 32)" + (f"; {rate['note']} (passage/sentence/query). At the start of the run, on a busier machine: "
          f"{rep['encoder_rate_at_start']['passage_ms']:.0f} / {rep['encoder_rate_at_start']['sentence_ms']:.1f} / {rep['encoder_rate_at_start']['query_ms']:.1f} ms: "
          "the faster figures are used, which lowers the encoder's share of the build" if rep.get("encoder_rate_at_start") else "") +
          (f". qa encodes each passage with its sentences in one pass: {rate['joint_ms']:.0f} ms per passage ({1e3 / rate['joint_ms']:.0f} passages/s); "
           if rate.get("joint_ms") else ". qa embeds each passage and each of its sentences; ") + "the peer embeds passages only.",
          *([_encoder_line(rate)] if rate.get("passage_tokens") else []),
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
        for sysname in ("qa", "peer"):
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
        for sysname in ("qa", "peer"):
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
    L += targets(rep)
    L += ratios(runs, sizes)
    L += bm25_build(rep)
    L += ivf(runs)
    L += memory(runs, sizes)
    L += projection(runs, s)
    return "\n".join(L) + "\n"


def _n(x: int) -> str:
    return f"{x // 1_000_000}M" if x >= 1_000_000 and x % 1_000_000 == 0 else f"{x // 1000}k" if x >= 1000 and x % 1000 == 0 else str(x)


def targets(rep: dict) -> list[str]:
    """The issue's targets, each with the figure measured in this run."""
    runs = rep.get("runs", [])
    sizes = sorted({r["size"] for r in runs if "build" in r})
    L = ["## Targets", "", "| target | measured | met |", "| --- | --- | :---: |"]

    def row(target, text, ok):
        L.append(f"| {target} | {text} | {'yes' if ok else 'no' if ok is not None else '–'} |")

    a, p = _by(runs, "qa", 100_000), _by(runs, "peer", 100_000)
    if a and p and "build" in a and "build" in p and "bm25" in p["spec"]["parts"]:
        rb = p["build"]["split_s"]["bm25"] / a["build"]["split_s"]["bm25"]
        rq = _get(p, "latency", "keyword_only", "p50_ms") / _get(a, "latency", "keyword_only", "p50_ms")
        row("BM25 query >= 100x faster than rank_bm25 at 100k (tokenise the question, score every passage, top 5)",
            f"p50 {rq:,.1f}x ({_get(a, 'latency', 'keyword_only', 'p50_ms'):.1f} ms vs {_get(p, 'latency', 'keyword_only', 'p50_ms'):.1f} ms)",
            rq >= 100)
        row("BM25 build >= 100x faster than rank_bm25 at 100k (index from token strings)",
            f"{rb:,.1f}x ({a['build']['split_s']['bm25']:.1f} s for qa's two indexes vs {p['build']['split_s']['bm25']:.1f} s for one); "
            "see 'The BM25 build' below", rb >= 100)
    if a and "latency" in a:
        he, qe = a["latency"].get("hybrid_with_embedding", {}), a["latency"].get("query_embedding_in_that_series", {})
        row("query p50 < 30 ms at 100k, query embedding included",
            f"p50 {he.get('p50_ms', 0):.1f} ms (embedding alone p50 {qe.get('p50_ms', 0):.1f} ms, overlapped with keyword scoring), vector given "
            f"{a['latency']['hybrid_vector_given']['p50_ms']:.1f} ms", he.get("p50_ms", 1e9) < 30)
    big = max(sizes, default=0)
    a = _by(runs, "qa", big)
    if big >= 1_000_000 and a and "latency" in a:
        he = a["latency"].get("hybrid_with_embedding", {})
        row(f"query p95 < 100 ms at {_n(big)}", f"p95 {he.get('p95_ms', 0):.1f} ms with embedding, "
            f"{a['latency']['hybrid_vector_given']['p95_ms']:.1f} ms vector given", he.get("p95_ms", 1e9) < 100)
        v = a.get("ivf", {}).get("by_nprobe")
        if v:
            default = a["ivf"]["default_nprobe"]
            good = [int(k) for k, x in v.items() if x["recall"] >= 0.95]
            row(f"IVF-SQ8 recall@10 against exact search at {_n(big)}",
                f"{_at_default_nprobe(a['ivf'])['recall']:.3f} at the default nprobe {default}; "
                f"suggested nprobe: {min(good) if good else 'above 128'} (smallest with recall >= 0.95)", None)
        m = a["memory"]
        row(f"the {_n(big)} index fits comfortably in 24 GiB", f"peak RSS while building {m['peak_rss'] / GiB:.1f} GiB, "
            f"{m['rss_after_build'] / GiB:.1f} GiB held after the build, {a['disk']['total'] / GiB:.1f} GiB on disk", m["peak_rss"] < 0.75 * 24 * GiB)
    pairs = [(_by(runs, "qa", n), _by(runs, "peer", n)) for n in (10_000, 100_000)]
    pairs = [(a, p) for a, p in pairs if a and p and "build" in a and "build" in p]
    if pairs:
        rates = [(a["size"], a["build"]["passages_per_s"] / p["build"]["passages_per_s"]) for a, p in pairs]
        row("qa's build rate >= 1.0x the peer's at 10k and 100k, same encoder, same run",
            ", ".join(f"{_n(n)} {x:.2f}x ({a['build']['passages_per_s']:.1f} vs {p['build']['passages_per_s']:.1f} passages/s)"
                      for (n, x), (a, p) in zip(rates, pairs)), all(x >= 1.0 for _, x in rates))
    a = _by(runs, "qa", 100_000)
    if a and "disk" in a:
        per = a["disk"]["total"] / a["size"]
        row("bytes per passage on disk at 100k <= 7 KB", f"{per / 1e3:.1f} KB ({per:,.0f} bytes)", per <= 7_000)
    shares = [f"{_n(r['size'])} {r['build']['embed_share'] * 100:.0f}%" for r in _ok(runs, "qa")]
    row("qa: share of indexing time in the encoder", ", ".join(shares), None)
    q = rep.get("quality", {}).get("systems", {})
    if "qa hybrid" in q and "peer EnsembleRetriever" in q:
        row("trial-set R@1 of qa above the peer's", f"{q['qa hybrid']['r1']:.3f} vs {q['peer EnsembleRetriever']['r1']:.3f}",
            q["qa hybrid"]["r1"] > q["peer EnsembleRetriever"]["r1"])
    return L + [""]


def _encoder_line(rate: dict) -> str:
    """The encoder's throughput in texts and tokens per second, as measured at the start of the run."""
    if not rate.get("passage_tokens"):
        return ""
    pt, st = rate["passage_tokens"], rate["sentence_tokens"]
    line = (f"* **Encoder throughput** (USE, this machine, at the start of the run): passages {1e3 / rate['passage_ms']:.0f} texts/s = "
            f"{pt * 1e3 / rate['passage_ms']:,.0f} tokens/s ({pt:.0f} tokens each); sentences {1e3 / rate['sentence_ms']:.0f} texts/s = "
            f"{st * 1e3 / rate['sentence_ms']:,.0f} tokens/s ({st:.0f} tokens each)")
    if rate.get("joint_ms"):
        line += f"; one pass over a passage and its sentences {1e3 / rate['joint_ms']:.0f} passages/s = {pt * 1e3 / rate['joint_ms']:,.0f} tokens/s"
    return line + "."


def apply_rate(rep: dict, rate: dict) -> None:
    """Recompute every embedding-derived figure with another measured encoder rate (seconds per text)."""
    for r in rep.get("runs", []):
        b = r.get("build")
        if not b:
            continue
        n = b["texts_embedded"]
        b["embed_real_encoder_s"] = (n["passages"] * rate["passage_ms"] + n["sentences"] * rate["sentence_ms"]
                                     + n.get("joint", 0) * rate.get("joint_ms", 0.0)) / 1e3
        b["total_with_real_encoder_s"] = b["measured_wall_s"] - b["split_s"]["embed"] + b["embed_real_encoder_s"]
        b["embed_share"] = b["embed_real_encoder_s"] / b["total_with_real_encoder_s"]
        b["passages_per_s"] = r["size"] / b["total_with_real_encoder_s"]


def ratios(runs, sizes) -> list[str]:
    L = ["## qa against the peer, same run (peer ÷ qa: above 1 means qa is faster)", "",
         "| passages | build (USE at measured rate) | BM25 build | tokenise | keyword query p50 | hybrid p50 (with embedding) | hybrid p50 (vector given) | build without encoder | peak RSS (qa ÷ peer) | disk (qa ÷ peer) |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def div(x, y):
        return f"{x / y:,.1f}x" if x is not None and y else "–"

    kw = lambda r: _get(r, "latency", "keyword_only", "p50_ms")
    he = lambda r: _get(r, "latency", "hybrid_with_embedding", "p50_ms")
    hv = lambda r: _get(r, "latency", "hybrid_vector_given", "p50_ms")
    nb = lambda r: r["build"]["measured_wall_s"] - r["build"]["split_s"]["embed"]
    for size in sizes:
        p = _by(runs, "peer", size)
        if not p or "build" not in p:
            continue
        a = _by(runs, "qa", size)
        if a and "build" in a:
            has_bm25 = "bm25" in p["spec"]["parts"]
            peer_bm25 = p["build"]["split_s"]["bm25"] if has_bm25 else None
            peer_tok = p["build"]["split_s"]["tokenize"] if has_bm25 else None
            L.append(f"| {_n(size)} | {div(p['build']['total_with_real_encoder_s'], a['build']['total_with_real_encoder_s'])} | {div(peer_bm25, a['build']['split_s']['bm25'])} | {div(peer_tok, a['build']['split_s']['tokenize'])} | "
                     f"{div(kw(p), kw(a))} | {div(he(p), he(a))} | {div(hv(p), hv(a))} | {div(nb(p), nb(a))} | "
                     f"{div(a['memory']['peak_rss'], p['memory']['peak_rss'])} | {div(a['disk']['total'], p['disk']['total'])} |")
    L += ["", "qa's BM25 is two indexes (jieba words and character 1+2-grams); the peer's is one (jieba words). "
          "qa's tokenising covers both token kinds and the sentence split; qa's embedding covers passages and their sentences. "
          "'BM25 build' is building the index from tokens (qa: BM25Store.add, both stores; peer: rank_bm25.BM25Okapi inside BM25Retriever.from_documents); "
          "'keyword query' is tokenising the question, scoring every passage and taking the top 5 (qa: both stores; peer: BM25Retriever.invoke).", ""]
    return L


def bm25_build(rep: dict) -> list[str]:
    """Where qa's BM25 build time goes, from `python -m bench.bm25_build` (if it was run)."""
    b = rep.get("bm25_build")
    if not b:
        return []
    t, n = b["tokens"], b["size"]
    qa_tokens = t["qa words"] + t["qa chars"]
    qa_total = b["qa words"]["add_s"] + b["qa chars"]["add_s"]
    to_ids = b["qa words"]["tokens_to_ids_s"] + b["qa chars"]["tokens_to_ids_s"]
    matrices = b["qa words"]["matrices_from_ids_s"] + b["qa chars"]["matrices_from_ids_s"]
    ns = lambda sec, k: f"{sec / k * 1e9:,.0f} ns"
    L = [f"## The BM25 build at {_n(n)} passages, from the same token lists", "",
         f"Measured with `{b['command']}` (fastest of {b['repeat']}).", "",
         "| | tokens | seconds | per token |", "| --- | ---: | ---: | ---: |",
         f"| rank_bm25 `BM25Okapi` (peer: jieba words) | {t['peer']:,} | {b['rank_bm25_s']:.2f} | {ns(b['rank_bm25_s'], t['peer'])} |",
         f"| qa words: token strings to ids | {t['qa words']:,} | {b['qa words']['tokens_to_ids_s']:.2f} | {ns(b['qa words']['tokens_to_ids_s'], t['qa words'])} |",
         f"| qa words: score matrices from ids | | {b['qa words']['matrices_from_ids_s']:.2f} | {ns(b['qa words']['matrices_from_ids_s'], t['qa words'])} |",
         f"| qa chars: token strings to ids | {t['qa chars']:,} | {b['qa chars']['tokens_to_ids_s']:.2f} | {ns(b['qa chars']['tokens_to_ids_s'], t['qa chars'])} |",
         f"| qa chars: score matrices from ids | | {b['qa chars']['matrices_from_ids_s']:.2f} | {ns(b['qa chars']['matrices_from_ids_s'], t['qa chars'])} |",
         f"| qa, both stores | {qa_tokens:,} | {qa_total:.2f} | {ns(qa_total, qa_tokens)} |",
         f"| one dict lookup per peer token, nothing else | {t['peer']:,} | {b['floor_one_lookup_per_peer_token_s']:.2f} | "
         f"{ns(b['floor_one_lookup_per_peer_token_s'], t['peer'])} |", "",
         f"qa indexes {qa_tokens / t['peer']:.1f}x the peer's tokens (jieba search-mode words plus character 1+2-grams, its strongest "
         f"single retriever on the trial set: `qa eval --compare`). Per token its build is {b['rank_bm25_s'] / t['peer'] / (qa_total / qa_tokens):.1f}x "
         f"rank_bm25's; from token ids alone (the part that is numpy and scipy) {b['rank_bm25_s'] / t['peer'] / (matrices / qa_tokens):.0f}x. "
         f"{to_ids / qa_total:.0%} of qa's build is the one Python dict lookup per token that turns strings into ids. "
         f"100x rank_bm25 would be {b['rank_bm25_s'] / 100:.2f} s for the peer's tokens alone; a single dict lookup per token, "
         f"with nothing built, already takes {b['floor_one_lookup_per_peer_token_s']:.2f} s. No build that takes token strings from a "
         "Python tokeniser, as both systems get them, reaches the target; the query target is met because there the work is on arrays.", ""]
    return L


def ivf(runs) -> list[str]:
    L = []
    for r in _ok(runs, "qa"):
        v = r.get("ivf")
        if not v or "by_nprobe" not in v:
            continue
        L += [f"## IVF-SQ8 at {_n(r['size'])} passages ({r['system']}): recall@{v['k']} against exact search (same vectors), nlist {v['nlist']}, default nprobe {v['default_nprobe']}", "",
              "| nprobe | recall@10 | dense search p50 ms | p95 ms |", "| ---: | ---: | ---: | ---: |"]
        for nprobe, x in v["by_nprobe"].items():
            L.append(f"| {nprobe} | {x['recall']:.3f} | {x['p50_ms']:.2f} | {x['p95_ms']:.2f} |")
        L += ["", "Stand-in vectors are less clustered than real ones, so recall on real vectors is likely higher at the same nprobe.", ""]
    return L


def memory(runs, sizes) -> list[str]:
    L = ["## qa on disk, bytes per passage", "",
         "| passages | " + " | ".join(["passages.jsonl (text)", "bm25_words", "bm25_chars", "passages.faiss", "sentence vectors (8-bit codes + scales)", "sentences_pid/span", "total", "RSS held after build, per passage"]) + " |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in _ok(runs, "qa"):
        parts, n = r["disk"]["parts"], r["size"]
        row = [parts.get("passages.jsonl", 0), parts.get("bm25_words", 0), parts.get("bm25_chars", 0), parts.get("passages.faiss", 0),
               parts.get("sentences_vec.npy", 0) + parts.get("sentences_scale.npy", 0), parts.get("sentences_pid.npy", 0) + parts.get("sentences_span.npy", 0), r["disk"]["total"]]
        L.append(f"| {_n(n)} {r['system']} | " + " | ".join(f"{x / n:,.0f}" for x in row) + f" | {r['memory']['rss_after_build'] / n / 1024:,.1f} KiB |")
    L += ["", "Sentence vectors are int8 codes with a float32 scale per row (516 bytes per 512-d sentence, about 5.6 sentences "
          "per passage; qa/stores/int8.py); BM25 is kept as term counts in the narrowest integer types (qa/stores/bm25.py); "
          "passage vectors are 2 KiB (float32, exact search) or 0.5 KiB (SQ8, above qa.stores.faiss.EXACT_LIMIT = 50k).", ""]
    return L


def projection(runs, s) -> list[str]:
    """What was not run, and a linear projection from the largest size that was."""
    L = []
    for r in runs:
        partial = r["system"] == "peer" and "build" in r and "bm25" not in r["spec"]["parts"]
        if "skipped" not in r and "error" not in r and not partial:
            continue
        done = [x for x in _ok(runs, r["system"]) if x["size"] < r["size"] and (r["system"] != "peer" or "bm25" in x["spec"]["parts"])]
        why = r.get("skipped") or r.get("error") or r.get("note", "")
        if not done:
            L.append(f"* {r['system']} at {_n(r['size'])}: {why}.")
            continue
        base = max(done, key=lambda x: x["size"])
        p = _project(base, r["size"])
        L.append(f"* {r['system']} at {_n(r['size'])}: {why}. Linear from {_n(base['size'])} (a projection, not a measurement): "
                 f"build without encoder ~{p['build_s'] / 60:,.0f} min (tokenise {p['tokenize_s'] / 60:,.0f} min, BM25 {p['bm25_s'] / 60:,.0f} min), "
                 f"peak RSS ~{p['peak_rss'] / GiB:,.0f} GiB (machine: {24} GiB), keyword query p50 ~{p['keyword_ms']:,.0f} ms, "
                 f"hybrid p50 (vector given) ~{p['hybrid_ms']:,.0f} ms.")
    return (["## Not run, and why", ""] + L + [""]) if L else []


def _project(base: dict, size: int) -> dict:
    """A run at `size` projected linearly from `base` (a smaller run of the same system)."""
    f = size / base["size"]
    b, m = base["build"], base["memory"]
    return {"build_s": (b["measured_wall_s"] - b["split_s"]["embed"]) * f, "tokenize_s": b["split_s"]["tokenize"] * f,
            "bm25_s": b["split_s"]["bm25"] * f, "peak_rss": m["baseline_rss"] + (m["peak_rss"] - m["baseline_rss"]) * f,
            "keyword_ms": (_get(base, "latency", "keyword_only", "p50_ms") or 0) * f,
            "hybrid_ms": (_get(base, "latency", "hybrid_vector_given", "p50_ms") or 0) * f}


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def readme_summary(rep: dict) -> str:
    """The short table for the README's benchmark section, from the same report as results.md."""
    runs = rep.get("runs", [])
    L = [f"From `{rep['command']}`, {rep['started'][:10]}; full tables in "
         "[bench/results/results.md](bench/results/results.md).", "",
         "| passages | system | hybrid query p50 / p95 ms (query embedding included) | keyword query p50 ms "
         "| build s (USE at measured rate) | of which in the encoder | build s without the encoder | peak RSS GiB | disk MiB |",
         "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sorted({r["size"] for r in runs}):
        for system, label in (("qa", "qa"), ("peer", "LangChain")):
            r = _by(runs, system, size)
            if r is None:
                continue
            if "build" not in r:
                why = r.get("error") or r.get("skipped")
                done = [x for x in _ok(runs, system) if x["size"] < size]
                if done:
                    p = _project(max(done, key=lambda x: x["size"]), size)
                    why += f"; projected linearly: peak RSS ~{p['peak_rss'] / GiB:,.0f} GiB, keyword query ~{p['keyword_ms'] / 1e3:,.1f} s"
                L.append(f"| {_n(size)} | {label} | {why} | | | | | | |")
                continue
            b, lat = r["build"], r["latency"]
            he, kw = lat.get("hybrid_with_embedding", {}), lat.get("keyword_only", {})
            name = label
            v = r.get("ivf", {})
            if v.get("by_nprobe"):
                d = _at_default_nprobe(v)
                name += f" (IVF-SQ8, nprobe {v['default_nprobe']}: recall@10 {d['recall']:.3f} vs exact)"
            hyb = f"{_f(he.get('p50_ms'))} / {_f(he.get('p95_ms'))}" if he else (r.get("note") or "–")
            L.append(f"| {_n(size)} | {name} | {hyb} | {_f(kw.get('p50_ms'))} | {b['total_with_real_encoder_s']:,.0f} | "
                     f"{b['embed_share'] * 100:.0f}% | {b['measured_wall_s'] - b['split_s']['embed']:,.0f} | "
                     f"{r['memory']['peak_rss'] / GiB:.2f} | {r['disk']['total'] / MiB:,.0f} |")
    q = rep.get("quality", {}).get("systems", {})
    if "qa hybrid" in q and "peer EnsembleRetriever" in q:
        a, p = q["qa hybrid"], q["peer EnsembleRetriever"]
        L += ["", f"Trial-set retrieval, same vectors: `qa` R@1 {a['r1']:.3f} / R@5 {a['r5']:.3f} / MRR@10 {a['mrr10']:.3f}; "
              f"the LangChain ensemble {p['r1']:.3f} / {p['r5']:.3f} / {p['mrr10']:.3f}."]
    return "\n".join(L)


def update_readme(rep: dict, readme: Path) -> None:
    """Replace the text between the README's bench markers with `readme_summary`."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{readme}: no {README_START} ... {README_END} markers to write the summary between")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{readme_summary(rep)}\n{README_END}{tail}", encoding="utf-8")


def draw(runs: list[dict], out: Path) -> None:
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
            if ls == "-":
                ax.fill_between(x, p50, p95, color=color, alpha=0.08)
    _finish(plt, fig, ax, out / "latency.png", ylabel="query latency, ms (p50; band to p95)", title="Query latency against corpus size")

    fig, ax = plt.subplots(figsize=(8, 5))
    for system, color in (("qa", "C0"), ("peer", "C3")):
        rs = _ok(runs, system)
        if not rs:
            continue
        x = [r["size"] for r in rs]
        ax.plot(x, [r["build"]["total_with_real_encoder_s"] for r in rs], "-", color=color, marker="o", label=f"{system}: total (USE at measured rate)")
        ax.plot(x, [r["build"]["measured_wall_s"] - r["build"]["split_s"]["embed"] for r in rs], "--", color=color, marker="s", label=f"{system}: without the encoder")
        bm = [(r["size"], r["build"]["split_s"]["bm25"]) for r in rs if "bm25" in r["spec"]["parts"]]
        if bm:
            ax.plot(*zip(*bm), ":", color=color, marker="^", label=f"{system}: BM25 index from tokens")
    _finish(plt, fig, ax, out / "build.png", ylabel="build time, s", title="Index build time against corpus size")


def _finish(plt, fig, ax, path: Path, ylabel: str, title: str) -> None:
    """Log-log axes against corpus size, grid, legend; save and close."""
    ax.set(xscale="log", yscale="log", xlabel="passages", ylabel=ylabel, title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    """python -m bench.report [--remeasure-encoder N]: redraw results.md and the plots from latest.json."""
    import argparse
    import dataclasses

    ap = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    ap.add_argument("--remeasure-encoder", type=int, default=0, metavar="N",
                    help="time the real encoder N times now and use the fastest (for a run whose start was on a busy machine)")
    ap.add_argument("--readme", type=Path, metavar="README.md", help="also rewrite the summary table between its bench markers")
    a = ap.parse_args(argv)
    rep = json.loads((a.out / "latest.json").read_text(encoding="utf-8"))
    if a.remeasure_encoder:
        from .vectors import measure_rate

        rates = [dataclasses.asdict(measure_rate(rep["settings"].get("encoder", "use-multilingual"))) for _ in range(a.remeasure_encoder)]
        best = {"passage_ms": min(x["passage_s"] for x in rates) * 1e3, "sentence_ms": min(x["sentence_s"] for x in rates) * 1e3,
                "query_ms": min(x["query_s"] for x in rates) * 1e3, "joint_ms": min(x["joint_s"] for x in rates) * 1e3,
                "passage_tokens": rates[0]["passage_tokens"], "sentence_tokens": rates[0]["sentence_tokens"], "measured_on": rep["encoder_rate"]["measured_on"],
                "note": f"fastest of {a.remeasure_encoder} timings after the run; all: " + "; ".join(
                    f"{x['passage_s'] * 1e3:.0f}/{x['sentence_s'] * 1e3:.1f}/{x['query_s'] * 1e3:.1f} ms" for x in rates)}
        rep.setdefault("encoder_rate_at_start", rep["encoder_rate"])
        rep["encoder_rate"] = best
        apply_rate(rep, best)
    write_all(rep, a.out)
    if a.readme:
        update_readme(rep, a.readme)


if __name__ == "__main__":
    main()
