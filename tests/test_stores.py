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


def _random_docs(seed: int, n: int, vocab: int = 60):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    return [[str(w) for w in rng.choice(words, size=rng.integers(1, 30))] for _ in range(n)], words


def test_bm25_added_in_batches_scores_as_built_at_once(tmp_path):
    """`qa add` after a build, or after a reload, must score exactly as one build over everything."""
    docs, words = _random_docs(5, 300)
    once = BM25Store()
    once.add(np.arange(300), docs)
    parts = BM25Store()
    parts.add(np.arange(100), docs[:100])
    parts.save(tmp_path / "p")
    parts = BM25Store.load(tmp_path / "p")
    parts.add(np.arange(100, 200), docs[100:200])
    parts.add(np.arange(200, 300), docs[200:])
    for w in words:
        np.testing.assert_array_equal(parts.scores([w])[0], once.scores([w])[0])


def test_bm25_files_hold_counts_in_narrow_types_and_reload_to_equal_scores(tmp_path):
    docs, words = _random_docs(6, 400)
    store = BM25Store()
    store.add(np.arange(400), docs)
    store.save(tmp_path / "b")
    assert np.load(tmp_path / "b" / "rows.npy").dtype == np.uint16 and np.load(tmp_path / "b" / "counts.npy").dtype == np.uint8
    again = BM25Store.load(tmp_path / "b")
    for w in words:
        np.testing.assert_array_equal(again.scores([w])[0], store.scores([w])[0])


def test_bm25_index_of_the_first_format_opens_with_equal_scores(tmp_path):
    """Indexes written before counts were kept hold bm25s weights and token offsets; they still open."""
    import json

    docs, words = _random_docs(7, 200)
    store = BM25Store()
    store.add(np.arange(200), docs)
    old = tmp_path / "old"
    old.mkdir()
    (old / "vocab.json").write_text(json.dumps(store.vocab), encoding="utf-8")
    (old / "params.json").write_text(json.dumps({"k1": 1.2, "b": 0.75}), encoding="utf-8")
    np.save(old / "ids.npy", store.ids)
    np.save(old / "offsets.npy", np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64))
    store._bm25.save(str(old / "bm25s"), allow_pickle=False, show_progress=False)
    again = BM25Store.load(old)
    for w in words:
        np.testing.assert_array_equal(again.scores([w])[0], store.scores([w])[0])
    again.add(np.array([200]), [["w1", "w2"]])
    store.add(np.array([200]), [["w1", "w2"]])
    np.testing.assert_array_equal(again.scores(["w1"])[0], store.scores(["w1"])[0])
