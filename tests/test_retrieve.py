"""Hybrid retrieval and score fusion."""
import numpy as np
import pytest

from qa.config import Settings
from qa.index import Index
from qa.query import analyse
from qa.ranking import top_n
from qa.retrieve import FusionWeights, fuse, retrieve
from qa.stores import Candidates
from qa.types import Passage

PASSAGES = [
    ("a", "送温暖行动", "全国总工会送温暖行动自即日起正式启动,慰问困难职工。"),
    ("b", "饺子", "八里庄街道总工会为快递员送去暖心饺子。"),
    ("c", "图书馆", "社区图书馆延长开放时间,每天开放到晚上九点。"),
    ("d", "冰雕", "哈尔滨冰雕展吸引游客三十万人次。"),
]


@pytest.fixture(scope="module")
def index(hash_encoder, tmp_path_factory):
    idx = Index.create(tmp_path_factory.mktemp("retrieve") / "idx", hash_encoder, Settings())
    idx.add_passages([Passage(d, t, x, 0) for d, t, x in PASSAGES], hash_encoder, Settings())
    return idx


def ask(index, enc, q, k=3, weights=None):
    return retrieve(index.store, analyse(q), enc.encode([q])[0], k, Settings(), weights)


def test_finds_the_passage_by_keywords(index, hash_encoder):
    hits = ask(index, hash_encoder, "送温暖行动什么时候启动")
    assert hits[0].passage.doc_id == "a"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_traditional_question_finds_the_same_passage(index, hash_encoder):
    assert ask(index, hash_encoder, "送溫暖行動何時啟動")[0].passage.doc_id == "a"


def test_title_is_searchable(index, hash_encoder):
    assert ask(index, hash_encoder, "冰雕")[0].passage.doc_id == "d"


def test_k_limits_the_hits(index, hash_encoder):
    assert len(ask(index, hash_encoder, "工会", k=2)) <= 2


def test_each_retriever_alone_is_a_weight_vector():
    w = FusionWeights.only("bm25_chars")
    assert (w.bm25_words, w.bm25_chars, w.dense_sentence, w.dense_passage) == (0, 1, 0, 0)


def test_fusion_keeps_a_wide_lexical_margin_but_lets_dense_break_ties():
    pids = np.array([0, 1, 2])
    # Passage 0 wins BM25 by far; 1 and 2 tie on BM25 and dense prefers 2.
    f = Candidates(pids, {"bm25_words": np.array([10.0, 2.0, 2.0]), "bm25_chars": np.array([10.0, 2.0, 2.0]),
                        "dense_sentence": np.array([0.2, 0.3, 0.5]), "dense_passage": np.array([0.2, 0.3, 0.5])})
    fused = fuse(f, FusionWeights())
    assert fused.argmax() == 0
    assert fused[2] > fused[1]


def test_empty_index_returns_nothing(hash_encoder, tmp_path):
    idx = Index.create(tmp_path / "idx", hash_encoder, Settings())
    assert retrieve(idx.store, analyse("送温暖"), hash_encoder.encode(["送温暖"])[0], 5, Settings()) == []


@pytest.mark.parametrize("kind", ["skewed", "mostly_zero", "ties"])
def test_top_is_exact_on_large_arrays_with_the_sample_prefilter(kind):
    rng = np.random.default_rng(5)
    for size in (50, 5_000, 300_000):
        s = (rng.random(size) ** 4 * 10).astype(np.float32)
        if kind == "mostly_zero":
            s[rng.random(size) < 0.999] = 0
        if kind == "ties":
            s = np.round(s)
        for n in (1, 5, 100):
            got = top_n(s, n)
            assert len(got) == min(n, size) and len(set(got.tolist())) == len(got)
            np.testing.assert_array_equal(s[got], np.sort(s)[::-1][: len(got)])
