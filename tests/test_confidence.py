"""The refusal score: coverage weighed with whether the evidence holds what the question asks about."""
import json

import pytest

from qa.confidence import FEATURES, answer_probability, digits_missing, focus_share, focus_words, load_model
from qa.ranker import MODELS

ALLOWANCE = "因值班不能休息的员工，公司另发放餐费补贴每人每天80元。"


@pytest.mark.parametrize("question, asked", [
    ("公司值班人员的交通补贴是多少？", {"交通", "补贴"}),  # the noun phrase before the question word, back to 的
    ("困难家庭每户能领多少奖金？", {"奖金"}),  # after it: the head of the clause; 每户 and 能领 are not the thing asked
    ("谁担任本次活动的主持人？", {"主持人"}),
    ("職工遇到問題可以撥打哪個熱線？", {"热线", "拨打"}),  # traditional characters read as simplified
])
def test_the_focus_is_what_the_question_asks_about(question, asked):
    assert set(focus_words(question)) == asked


def test_a_question_without_a_question_word_has_no_focus_and_is_not_penalised():
    assert focus_words("送温暖行动启动") == ()
    assert focus_share("送温暖行动启动", "与此无关的句子。") == 1.0


def test_the_evidence_sentence_must_hold_the_asked_thing():
    assert focus_share("值班人员的餐费补贴是多少？", ALLOWANCE) == 1.0
    assert focus_share("值班人员的交通补贴是多少？", ALLOWANCE) == 0.0  # 补贴 is there, 交通 is not
    assert focus_share("值班人员的补贴餐费是多少？", "餐费按天计算，补贴另发。") == 1.0
    assert focus_share("值班人员的费餐是多少？", ALLOWANCE) == 0.5  # its characters are there, not the word


def test_a_number_the_passage_never_names_is_noticed():
    assert digits_missing("2023年发放了多少慰问金？", "2024年春节期间发放慰问金420万元。")
    assert not digits_missing("2024年发放了多少慰问金？", "2024年春节期间发放慰问金420万元。")
    assert not digits_missing("发放了多少慰问金？", "2024年春节期间发放慰问金420万元。")


def test_at_equal_coverage_missing_the_asked_thing_or_the_asked_year_lowers_the_probability():
    held = answer_probability(0.5, "值班人员的餐费补贴是多少？", ALLOWANCE, ALLOWANCE)
    assert answer_probability(0.5, "值班人员的交通补贴是多少？", ALLOWANCE, ALLOWANCE) < held
    assert answer_probability(0.5, "2019年值班人员的餐费补贴是多少？", ALLOWANCE, ALLOWANCE) < held
    assert 0.0 < held < 1.0
    assert answer_probability(0.9, "值班人员的餐费补贴是多少？", ALLOWANCE, ALLOWANCE) > held  # coverage still counts


def test_the_shipped_model_matches_the_features_the_code_computes():
    model = load_model()
    assert model.features == FEATURES and len(model.weights) == len(FEATURES)
    assert json.loads((MODELS / "refusal.json").read_text(encoding="utf-8"))["features"] == list(FEATURES)


def test_a_yes_no_question_is_read_from_its_particle():
    # Without a question word the asked thing sits before 吗 / 会不会: a knowledge base that does not
    # mention it must not get the focus for free.
    assert focus_words("北京今天会下雨吗") == ("下雨",)
    assert focus_share("北京今天会下雨吗", "公司职能部门于今天放假。") == 0.0


def test_why_and_when_questions_ask_about_the_predicate_not_the_subject():
    assert focus_words("公司为什么要给员工发交通补贴？") == ("交通", "补贴")
    assert focus_words("巴黎明天的天气怎么样") == ("天气",)  # nothing after it: what comes before is asked about


def test_a_measure_after_the_question_word_is_not_what_is_asked():
    assert focus_words("珠穆朗玛峰的高度是多少米") == ("高度",)
    assert focus_words("从这里到机场的大巴要坐几个小时？") == ("大巴",)  # past the verb to the nearest word
