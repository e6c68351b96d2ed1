"""Question typing and answer spans."""
from __future__ import annotations

import pytest

from qa.spans import NUMBER, ORG, PERSON, PLACE, TIME, best_span, candidate_spans, question_type


@pytest.mark.parametrize("question, kind", [
    ("何时启动送温暖行动", TIME), ("何時啟動送溫暖行動", TIME), ("他是哪年出生的？", TIME), ("几月开幕？", TIME),
    ("什么时候开始？", TIME), ("共有多少人次参加？", NUMBER), ("球场有多大？", NUMBER), ("赛程有几场？", NUMBER),
    ("谁发明了电话？", PERSON), ("由哪位导演执导？", PERSON), ("他在哪里出生？", PLACE), ("总部位于何地？", PLACE),
    ("由哪个单位主办？", ORG), ("哪家公司生产？", ORG), ("游戏有哪些模式？", None), ("为什么会失败？", None),
])
def test_question_type(question, kind):
    assert question_type(question) == kind


def _span(text, kind, question):
    sp = best_span(text, kind, question)
    return text[sp[0]:sp[1]] if sp else None


def test_time_span_joins_a_range_and_prefers_a_specific_date():
    text = "记者近日从全国总工会获悉,自即日起至2025年2月12日,全国总工会将组成慰问组赴31个省"
    assert _span(text, TIME, "何时启动送温暖行动") == "自即日起至2025年2月12日"


def test_time_span_skips_the_date_the_question_already_gives():
    text = "1992年他进入大学，1998年毕业后回国任教。"
    assert _span(text, TIME, "1992年进入大学后，他哪年毕业？") == "1998年"


@pytest.mark.parametrize("text, expected", [
    ("今年共接待职工470人次。", "470人次"), ("总投资达41亿元。", "达41亿元"), ("新增18.6万个就业岗位。", "18.6万个"),
])
def test_number_span_keeps_the_unit(text, expected):
    assert _span(text, NUMBER, "有多少？") == expected


def test_number_span_is_not_a_piece_of_a_date():
    spans = [t for t in candidate_spans("2025年2月12日起，31个省参与。", NUMBER)]
    best = max(spans, key=lambda s: s[2])
    assert "2025年2月12日起，31个省参与。"[best[0]:best[1]] == "31个"


def test_person_place_org_spans():
    assert _span("这首歌由张学友演唱，收录于专辑中。", PERSON, "这首歌由谁演唱？") == "张学友"
    assert _span("1992年李明在北京出生。", PLACE, "李明在哪里出生？") == "北京"
    assert _span("该活动由北京市总工会主办。", ORG, "该活动由哪个单位主办？") == "北京市总工会"


def test_no_span_for_untyped_questions():
    assert best_span("玩家以水枪泡封敌人。", None, "玩家用什么泡封敌人？") is None
