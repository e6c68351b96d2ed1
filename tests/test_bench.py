"""Smoke test of `python -m bench --quick`'s path on a tiny corpus with the hashing encoder (no model)."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_classic")
pytest.importorskip("langchain_community")
pytest.importorskip("rank_bm25")


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
