"""Candidate sentences for the evidence choice and the shipped model that ranks them."""
from __future__ import annotations

import numpy as np
import pytest

from qa.config import Settings
from qa.encoders import HashingEncoder
from qa.evidence import FEATURES, MODEL, PASSAGES, best_sentence, question_idf, sentence_candidates
from qa.index import Index
from qa.query import analyse
from qa.ranker import load
from qa.retrieve import retrieve
from qa.types import Passage

DOCS = [
    Passage("a", "思茅区慰问", "思茅区开展元旦春节走访慰问。走访慰问工作自2024年12月20日起至2025年1月26日止。全区共计约6800户。", 0),
    Passage("b", "城市绿化", "今年新建公园12个。绿化面积增加了300公顷。", 0),
    Passage("c", "长城", "长城是古代中国修筑的军事工程。它经过多次修缮。", 0),
    Passage("d", "泡泡战士", "泡泡战士是一款射击游戏。其创始人是金正宇。", 0),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    enc = HashingEncoder()
    index = Index.create(tmp_path_factory.mktemp("evidence") / "idx", enc, Settings())
    index.add_passages(DOCS, enc, Settings())
    return index, enc


def candidates(kb, question):
    index, enc = kb
    qvec = enc.encode([question])[0]
    query = analyse(question)
    hits = retrieve(index.store, query, qvec, 5, Settings())
    return hits, sentence_candidates(query, hits, index.store, qvec, question_idf(query, index.store)[1])


def test_every_sentence_of_the_top_passages_is_a_candidate(kb):
    hits, cands = candidates(kb, "思茅区走访慰问工作从哪天开始")
    expected = sum(len(kb[0].store.sentences(h.pid)[0]) for h in hits[:PASSAGES])
    assert len(cands.rank) == expected == cands.x.shape[0]
    assert cands.x.shape[1] == len(FEATURES)
    assert set(cands.rank.tolist()) <= set(range(PASSAGES))


def test_relative_columns_compare_with_the_best_candidate(kb):
    _, cands = candidates(kb, "思茅区走访慰问工作从哪天开始")
    for name in ("cover_rel", "dense_rel", "hand_rel"):
        col = cands.x[:, FEATURES.index(name)]
        assert col.max() == pytest.approx(0.0) and (col <= 0).all()


def test_the_sentence_with_the_asked_date_is_chosen(kb):
    hits, cands = candidates(kb, "思茅区走访慰问工作从哪天开始")
    i = best_sentence(cands)
    s, e = cands.span[i]
    assert "2024年12月20日" in hits[int(cands.rank[i])].passage.text[s:e]


def test_the_shipped_model_reads_known_columns():
    model = load(MODEL)
    assert set(model.features) <= set(FEATURES)
    assert np.isfinite(model.score(np.zeros((2, len(model.features))))).all()


def test_a_sentence_of_the_fifth_hit_can_be_the_evidence(kb):
    """Paraphrased questions often rank the answer's passage below the first three: every hit gives candidates."""
    hits, cands = candidates(kb, "思茅区走访慰问工作从哪天开始")
    assert PASSAGES == 5 and len(hits) == 4
    assert set(cands.rank.tolist()) == set(range(len(hits)))


def test_the_sentence_in_the_asked_measure_is_chosen(kb):
    """有多大 is answered in 公顷 (绿化面积增加了300公顷), not by the other number of the passage (新建公园12个)."""
    hits, cands = candidates(kb, "城市绿化有多大？")
    i = best_sentence(cands)
    s, e = cands.span[i]
    assert "300公顷" in hits[int(cands.rank[i])].passage.text[s:e]
    sentences = [hits[int(r)].passage.text[a:b] for r, (a, b) in zip(cands.rank, cands.span)]
    asked = dict(zip(sentences, cands.x[:, FEATURES.index("asked")]))
    assert asked["绿化面积增加了300公顷。"] == 1.0 and asked["今年新建公园12个。"] == 0.0
