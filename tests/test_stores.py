"""FAISS and BM25 stores: add, delete, search, save/load round trips."""
import numpy as np
import pytest

from qa.errors import CorruptIndexError
from qa.stores import load_vector_store, vector_store
from qa.stores.bm25 import BM25Store


def unit(rows):
    v = np.asarray(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "ivf-sq8"])
def test_vector_store_finds_nearest_and_forgets_deleted(tmp_path, kind):
    rng = np.random.default_rng(0)
    vecs = unit(rng.normal(size=(400, 16)))
    store = vector_store(16, expected_size=400, kind=kind)
    if kind == "ivf-sq8":
        store.nprobe = store._index.nlist  # exhaustive probing: exact answers for the test
    ids = np.arange(1000, 1400)
    store.add(ids, vecs)
    scores, found = store.search(vecs[7], 3)
    assert found[0][0] == 1007 and scores[0][0] == pytest.approx(1.0, abs=0.02)
    store.delete(np.array([1007]))
    assert len(store) == 399
    assert 1007 not in store.search(vecs[7], 3)[1][0]
    store.save(tmp_path / "v.faiss")
    again = load_vector_store(tmp_path / "v.faiss")
    assert again.kind == kind and len(again) == 399


def test_vector_store_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "v.faiss"
    bad.write_bytes(b"not a faiss index")
    with pytest.raises(CorruptIndexError, match="v.faiss"):
        load_vector_store(bad)


def test_bm25_scores_rare_terms_higher_and_survives_delete_and_reload(tmp_path):
    store = BM25Store()
    store.add(np.array([0, 1, 2]), [["送温暖", "工会"], ["工会", "慰问"], ["饺子", "工会"]])
    scores, ids = store.scores(["送温暖"])
    assert ids[np.argmax(scores)] == 0
    assert store.idf(["送温暖"])[0] > store.idf(["工会"])[0]
    store.delete(np.array([0]))
    scores, ids = store.scores(["送温暖"])
    assert list(ids) == [1, 2] and not scores.any()
    store.add(np.array([3]), [["送温暖", "慰问"]])
    store.save(tmp_path / "b")
    again = BM25Store.load(tmp_path / "b")
    scores, ids = again.scores(["慰问", "送温暖"])
    assert ids[np.argmax(scores)] == 3


def test_bm25_unknown_query_terms_score_zero():
    store = BM25Store()
    store.add(np.array([0]), [["工会"]])
    scores, _ = store.scores(["巴黎", "天气"])
    assert not scores.any()


def test_bm25_scores_equal_bm25s_own_scoring_before_and_after_reload(tmp_path):
    """Our posting-list kernel must give exactly what bm25s' get_scores_from_ids gives on the same matrices."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(60)]
    docs = [[str(w) for w in rng.choice(words, size=rng.integers(1, 30))] for _ in range(500)]
    store = BM25Store()
    store.add(np.arange(500), docs)
    store.save(tmp_path / "b")
    for s in (store, BM25Store.load(tmp_path / "b")):
        for _ in range(20):
            query = [str(w) for w in rng.choice(words + ["unseen"], size=rng.integers(1, 6))]  # repeats count twice, as in bm25s
            got, ids = s.scores(query)
            known = [s.vocab[t] for t in query if t in s.vocab]
            want = s._bm25.get_scores_from_ids(known) if known else np.zeros(500, np.float32)
            assert got.dtype == np.float32 and list(ids) == list(range(500))
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_posting_kernel_and_its_public_fallback_agree():
    from qa.stores import bm25

    rng = np.random.default_rng(4)
    rows = np.sort(rng.choice(1000, 300, replace=False)).astype(np.int32)
    weights = rng.random(300).astype(np.float32)
    fast, slow = np.zeros(1000, np.float32), np.zeros(1000, np.float32)
    bm25._add_posting(fast, rows, weights)
    bm25._add_posting(fast, rows[:10], weights[:10])
    np.add.at(slow, rows, weights)
    np.add.at(slow, rows[:10], weights[:10])
    np.testing.assert_array_equal(fast, slow)
