"""The short answer: the exact phrase inside the evidence, chosen by the shipped ranker."""
from __future__ import annotations

import numpy as np
import pytest

from qa.ranker import load
from qa.short import FEATURES, candidates, question_kind, short_span


@pytest.mark.parametrize("question, text, expected", [
    ("春节期间总值班长由谁担任？", "春节期间实行总值班制度，由行政部经理周建华担任总值班长，负责节日期间的统筹协调。", "周建华"),
    ("值班人员每天的餐费补贴是多少？", "每个值班点安排2名值班人员，值班人员每人每天发放餐费补贴80元。", "80元"),
    ("第十届普洱咖啡博览会哪天开幕？", "本报普洱11月16日电 第十届普洱咖啡博览会于11月15日在思茅区国际会展中心开幕。", "11月15日"),
    ("户籍在西部省份的员工返乡补贴是多少？",
     "对户籍不在普洱市的员工发放返乡补贴：户籍在云南省内其他州市的发放300元，户籍在西部省份的发放1200元，共涉及12个部门。", "1200元"),
    ("关于送温暖行动的报道是哪位记者写的？", "本报讯(记者白莹)记者近日从全国总工会获悉,送温暖行动正式启动。", "白莹"),
    ("何时启动送温暖行动", "记者近日从全国总工会获悉,自即日起至2025年2月12日,全国总工会将组成慰问组。", "自即日起至2025年2月12日"),
])
def test_factoid_questions_get_the_exact_phrase(question, text, expected):
    span, _ = short_span(text, question)
    assert text[span[0]:span[1]] == expected


def test_a_dateline_is_not_when_it_happened_but_a_byline_names_the_writer():
    text = "本报普洱11月16日电（记者 杨丽娟）博览会于11月15日开幕。"
    span, _ = short_span(text, "博览会哪天开幕？")
    assert text[span[0]:span[1]] == "11月15日"
    span, _ = short_span(text, "这篇报道的记者是谁？")
    assert text[span[0]:span[1]] == "杨丽娟"


def test_a_why_question_gets_the_clause_that_gives_the_cause():
    text = "新厂区原计划5月投产，由于雨季导致工期延误，投产时间推迟到8月。"
    span, _ = short_span(text, "为什么新厂没能按原计划投产？")
    assert text[span[0]:span[1]] == "由于雨季导致工期延误"


def test_question_kinds():
    assert question_kind("为什么新厂没能按时投产？") == "why"
    assert question_kind("怎么申请补贴？") == "how"
    assert question_kind("值班补贴是多少？") == "number"


def test_candidates_have_one_feature_row_each_and_the_model_matches_them():
    spans, x = candidates("由行政部经理周建华担任总值班长。", "总值班长由谁担任？")
    assert len(spans) == len(x) > 5 and x.shape[1] == len(FEATURES)
    model = load("short_answer")
    assert model.features == FEATURES
    assert np.isfinite(model.score(x)).all()


def test_the_tree_ensemble_matches_scikit_learn():
    from sklearn.ensemble import GradientBoostingClassifier

    from qa.ranker import TreeEnsemble

    rng = np.random.default_rng(0)
    x = rng.random((400, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0.8).astype(int)
    model = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    ours = TreeEnsemble.from_json(TreeEnsemble.from_sklearn(model, tuple("abcde")).to_json())
    assert np.allclose(ours.score(x), model.decision_function(x), atol=1e-5)
