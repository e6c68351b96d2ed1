"""Smoke test of `python -m bench --quick`'s path on a tiny corpus with the hashing encoder (no model)."""
from __future__ import annotations

import json

import pytest  # noqa: F401  (markers)

# The benchmark's peer needs the bench extras (installed with the test extras by scripts/test):
# without them this module fails to import, as a missing dependency should, rather than skipping.
import langchain_classic  # noqa: F401
import langchain_community  # noqa: F401
import rank_bm25  # noqa: F401


def test_bench_writes_tables_plots_and_json(tmp_path):
    from bench.__main__ import main

    out = tmp_path / "results"
    main(["--sizes", "200", "--real", "100", "--queries", "5", "--budget", "0.5", "--encoder", "hash:64",
          "--skip-quality", "--in-process", "--cache", str(tmp_path / "cache"),
          "--workdir", str(tmp_path / "work"), "--out", str(out)])
    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    runs = {r["system"]: r for r in report["runs"]}
    assert set(runs) == {"qa", "peer"}
    for r in runs.values():
        assert r["build"]["total_with_real_encoder_s"] > 0
        assert r["latency"]["hybrid_vector_given"]["n"] >= 1
        assert r["disk"]["total"] > 0
    assert runs["qa"]["build"]["texts_embedded"]["sentences"] > runs["qa"]["build"]["texts_embedded"]["passages"]
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "| 200 | qa |" in md and "| 200 | peer |" in md
    assert (out / "latency.png").stat().st_size > 0 and (out / "build.png").stat().st_size > 0


def test_synthetic_corpus_is_seeded_and_splits_back_into_real_sentences():
    from bench.corpus import pool, synthetic_passages
    from qa.text import sentence_spans

    a = synthetic_passages(50)
    assert synthetic_passages(10, start=20) == a[20:30]
    known = set(pool().sentences)
    sents = [p.text[s:e] for p in a for s, e in sentence_spans(p.text)]
    assert sum(s in known for s in sents) / len(sents) > 0.95
    assert all(3 <= len(sentence_spans(p.text)) for p in a)


def test_standins_keep_dimension_and_unit_length():
    import numpy as np

    from bench.vectors import StandIns

    real = np.random.default_rng(0).standard_normal((40, 16)).astype(np.float32)
    v = StandIns(real).take(10, 100)
    assert v.shape == (100, 16)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.allclose(StandIns(real).take(60, 5), v[50:55])


def test_exact_ground_truth_follows_the_vectors_each_passage_was_given():
    """A passage whose text repeats an embedded one gets that real vector, so stand-ins shift against passage
    positions; IVF recall's ground truth must use the vectors actually handed out (it once did not: 0.07 at 1M)."""
    import numpy as np

    from bench.vectors import EncoderRate, PrecomputedEncoder, RealVectors, StandIns
    from bench.worker import _exact_top, ivf_recall
    from qa.stores.faiss import FaissStore

    rng = np.random.default_rng(1)
    pv = rng.standard_normal((20, 16)).astype(np.float32)
    pv /= np.linalg.norm(pv, axis=1, keepdims=True)
    rv = RealVectors({}, np.zeros((1, 16), np.float32), {f"t\n{i}": i for i in range(20)}, pv, 20,
                     EncoderRate(0, 0, 0, 0, 0), "hash:16")
    enc = PrecomputedEncoder(rv, StandIns(pv))
    texts = [f"t\n{i}" for i in range(20)] + ["t\nnew a", "t\n3", "t\nnew b"] + [f"t\nnew {i}" for i in range(400)]
    given = np.concatenate([enc.encode(texts[:25]), enc.encode(texts[25:])])
    assert np.array_equal(given[21], pv[3])  # the repeated text got its real vector, not the next stand-in
    assert np.array_equal(enc.given_vectors(0, len(texts)), given)
    q = rng.standard_normal((5, 16)).astype(np.float32)
    truth = _exact_top(enc, len(texts), q, 10)
    brute = np.argsort(-(q @ given.T), axis=1)[:, :10]
    assert all(set(a) == set(b) for a, b in zip(truth, brute))

    store = FaissStore.create(16, expected_size=len(texts), kind="ivf-sq8")
    store.add(np.arange(len(texts)), given)

    res = ivf_recall(store, enc, len(texts), q)
    assert res["by_nprobe"][128]["recall"] > 0.9  # nprobe above nlist: exhaustive, only SQ8 rounding differs


def test_bm25_build_breakdown_counts_tokens_and_splits_qa_time():
    from bench.bm25_build import measure

    res = measure(300, repeat=1)
    t = res["tokens"]
    assert t["qa chars"] > t["qa words"] > 0 and t["peer"] > 0
    for name in ("qa words", "qa chars"):
        part = res[name]
        # Two separate timings: on a busy machine either can come out longer, so only their bookkeeping is checked.
        assert part["matrices_from_ids_s"] > 0 and part["add_s"] > 0
        assert part["tokens_to_ids_s"] == part["add_s"] - part["matrices_from_ids_s"]
    assert res["rank_bm25_s"] > 0 and res["floor_one_lookup_per_peer_token_s"] > 0


def test_readme_summary_is_written_between_the_markers_only(tmp_path):
    from bench.report import README_END, README_START, update_readme

    rep = {"command": "python -m bench --quick", "started": "2026-11-25T00:00:00", "runs": [
        {"system": "peer", "size": 1_000_000, "skipped": "not run above 100,000 passages (--caps)"}]}
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{README_START}\nold table\n{README_END}\nafter\n", encoding="utf-8")
    update_readme(rep, readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("before\n") and text.endswith("after\n") and "old table" not in text
    assert "| 1M | LangChain | not run above 100,000 passages (--caps) |" in text
    readme.write_text("no markers", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        update_readme(rep, readme)
