"""The refusal threshold fitted per index on shipped off-topic questions."""
import json

import pytest

from qa import Assistant
from qa.calibrate import fit_threshold, offtopic_questions
from qa.config import CONFIDENCE, Settings, confidence_scale
from qa.text import normalize

from .conftest import ROOT


def test_the_shipped_questions_are_many_and_share_none_with_the_evaluation_sets():
    questions = offtopic_questions()
    assert len(questions) >= 50 and len(set(questions)) == len(questions)
    evaluated = {normalize(json.loads(line)["question"]).rstrip("？?") for line in open(ROOT / "eval/realistic/questions.jsonl", encoding="utf-8")}
    evaluated |= {"巴黎明天的天气怎么样", "红烧肉怎么做", "昨晚皇马对巴萨的比分是多少"}  # asked by the end-to-end tests
    assert not evaluated & {normalize(q) for q in questions}


def test_every_write_records_a_threshold_fitted_to_what_the_index_holds(small_corpus, tmp_path, hash_encoder):
    a = Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder)
    built = a.manifest.min_confidence
    assert built is not None and 0.0 <= built <= 1.0
    assert built == pytest.approx(fit_threshold(a.index.store, hash_encoder, Settings()), abs=1e-4)
    extra = tmp_path / "extra.md"
    extra.write_text("# 天气预报\n\n巴黎明天多云，气温十二度，傍晚有小雨。东京明天晴，气温十五度。\n", encoding="utf-8")
    a.add([extra])
    assert Assistant(tmp_path / "idx", encoder=hash_encoder).manifest.min_confidence == a.manifest.min_confidence
    # Weather is now something this knowledge base talks about: the questions about it cover more.
    assert a.manifest.min_confidence >= built


def test_an_explicit_threshold_overrides_the_fitted_one(small_corpus, tmp_path, hash_encoder, monkeypatch):
    Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder)
    monkeypatch.setenv("QA_MIN_CONFIDENCE", "1.01")
    a = Assistant(tmp_path / "idx", encoder=hash_encoder)
    assert not a.ask("蓝莓果酱节在哪里举行").found
    monkeypatch.delenv("QA_MIN_CONFIDENCE")
    assert Assistant(tmp_path / "idx", encoder=hash_encoder).ask("蓝莓果酱节在哪里举行").found


def test_the_fitted_threshold_never_demands_more_than_the_ceiling(small_corpus, tmp_path, hash_encoder):
    a = Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder)
    free = fit_threshold(a.index.store, hash_encoder, Settings(refusal_ceiling=1.0))
    assert fit_threshold(a.index.store, hash_encoder, Settings(refusal_ceiling=free / 2)) == pytest.approx(free / 2)
    assert fit_threshold(a.index.store, hash_encoder, Settings(refusal_ceiling=1.0, refusal_quantile=0.5)) <= free


@pytest.mark.parametrize("scale", [None, f"{CONFIDENCE}#000000000000"], ids=["before scales", "models retrained"])
def test_a_threshold_fitted_on_an_older_confidence_scale_is_fitted_again(small_corpus, tmp_path, hash_encoder, scale):
    a = Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder)
    fitted = a.manifest.min_confidence
    assert a.manifest.confidence == confidence_scale() and confidence_scale().startswith(f"{CONFIDENCE}#")
    path = tmp_path / "idx" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("confidence")
    if scale:  # fitted when the evidence or refusal model (or a rule) was another
        data["confidence"] = scale
    data["min_confidence"] = 0.01  # what an index built before the scale changed may hold
    path.write_text(json.dumps(data), encoding="utf-8")
    reopened = Assistant(tmp_path / "idx", encoder=hash_encoder)
    assert reopened.manifest.min_confidence is None
    assert not reopened.ask("巴黎明天的天气怎么样").found
    assert reopened.ask("蓝莓果酱节在哪里举行").found  # the threshold fitted at opening is the one a build fits
    assert fit_threshold(reopened.index.store, hash_encoder, Settings()) == pytest.approx(fitted, abs=1e-4)
