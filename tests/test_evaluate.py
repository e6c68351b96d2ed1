"""Quality on the CMRC 2018 trial set with the real default encoder: the bars the project promises."""
import logging

import pytest

from qa.config import Settings
from qa.evaluate import eval_index, evaluate, load_squad

from .conftest import TRIAL

pytestmark = pytest.mark.slow


def test_load_squad_skips_blank_questions_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="qa.evaluate"):
        docs, questions = load_squad(TRIAL)
    assert len(docs) == 256 and len(questions) == 1000
    assert "skipped 2 blank question(s)" in caplog.text


def test_trial_set_reaches_the_quality_bars(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    assistant, questions = eval_index(TRIAL, Settings(), progress=False)
    r = evaluate(assistant, questions, progress=False)
    assert r.r1 >= 0.98 and r.r5 >= 0.99
    assert r.answer_hit >= 0.82 and r.mean_answer_chars <= 85
    assert r.found_rate >= 0.95
