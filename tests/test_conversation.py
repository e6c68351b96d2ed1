"""Follow-up questions (qa/conversation.py): resolution rules, the history API, and the follow-up evaluation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.conversation import Resolved, Turn, resolve, topic_of
from qa.errors import InputError
from qa.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[1]
LEAD = "本报讯 全国总工会将组成慰问组，自即日起至2025年2月12日开展“工会送温暖行动”。"
WARM = Turn("何时启动送温暖行动？", LEAD, "news#1", evidence="工会送温暖行动启动\n" + LEAD)


def test_a_pronoun_is_replaced_by_the_previous_topic_and_the_article_preferred():
    r = resolve("那它什么时候结束？", [WARM])
    assert r == Resolved("送温暖行动什么时候结束？", True, "news#1")


def test_a_pronoun_glued_to_the_next_word_is_found():
    assert resolve("那它是哪一年开始的？", [WARM]).text == "送温暖行动是哪一年开始的？"
    assert resolve("其他的部门呢？", [WARM]).text != "其他的部门呢？"  # 其他 is no pronoun, but X呢 still leans on the turn


def test_an_elided_subject_gets_the_previous_topic_in_front():
    assert resolve("具体有哪些？", [WARM]).text == "送温暖行动具体有哪些？"
    assert resolve("那什么时候结束？", [WARM]).text == "送温暖行动什么时候结束？"
    assert resolve("多少钱？", [WARM]).text == "送温暖行动多少钱？"


def test_more_of_the_same_asks_the_previous_question_again_and_avoids_its_answer():
    r = resolve("还有呢？", [WARM])
    assert r.followup and r.text == WARM.question and r.avoid == LEAD


def test_a_question_with_its_own_topic_starts_afresh():
    for q in ("蓝莓果酱节在哪里举行", "社区图书馆每天开放到几点？"):
        assert resolve(q, [WARM]) == Resolved(q)


def test_no_history_changes_nothing():
    assert resolve("那它什么时候结束？", []) == Resolved("那它什么时候结束？")


def test_he_or_she_after_a_who_question_is_the_person_answered():
    who = Turn("社区图书馆的馆长是谁？", "图书馆馆长李明说，延长开放后预计每月新增读者800人。", "lib#1", short_answer="李明")
    assert resolve("他说了什么？", [who]).text == "李明说了什么？"


def test_a_demonstrative_takes_the_topic_and_drops_its_generic_noun():
    turn = Turn("拱辰街道总工会在哪里开展原木制作活动？", "拱辰街道总工会在盛通红木文化馆开展原木制作活动。", "d#1")
    assert resolve("这个活动面向哪些人？", [turn]).text == "拱辰街道总工会面向哪些人？"


@pytest.mark.parametrize("question, topic", [
    ("何时启动送温暖行动？", "送温暖行动"),
    ("云岭茶业精制车间什么时候停产？", "云岭茶业精制车间"),
    ("2024年各级工会筹集了多少款物？", "2024年各级工会"),
    ("第十八届博览会在哪里开幕？", "第十八届博览会"),
])
def test_topic_is_the_question_without_its_asking_part(question, topic):
    assert topic_of(Turn(question)) == topic


def test_a_chain_of_elided_follow_ups_hangs_on_the_last_full_question():
    first = Turn("揉捻机首次使用前减速箱要加什么油？", "减速箱加注46号机械油约3升。", "m#1")
    second = Turn("加多少？", "减速箱加注46号机械油约3升。", "m#1", understood="揉捻机首次使用前减速箱加多少？")
    assert resolve("多久换一次？", [first, second]).text == "揉捻机首次使用前减速箱多久换一次？"


def test_x_ne_asks_the_last_question_about_something_else():
    first = Turn("一等奖的奖金是多少？", "一等奖奖金5000元，二等奖奖金3000元，三等奖奖金1000元。", "prize#1")
    second = resolve("二等奖呢？", [first])
    assert second.followup and "二等奖" in second.text and "是多少" in second.text
    turn = Turn("二等奖呢？", "", "prize#1", understood=second.text)
    assert resolve("三等奖呢？", [first, turn]).text == second.text.replace("二等奖", "三等奖")


def test_among_them_means_among_what_was_counted():
    turn = Turn("图书馆有多少名志愿者？", "图书馆共有志愿者120名，其中大学生80名。", "lib#1")
    assert resolve("其中大学生有多少？", [turn]).text == "图书馆志愿者中大学生有多少？"


def test_history_items_may_be_answers_dicts_or_pairs():
    cite = Citation(1, "news#1", "工会送温暖行动启动", LEAD, 2.0, (0, 10), 0, 3)
    answer = Answer("何时启动送温暖行动？", LEAD, True, [cite], None, 0.9)
    for item in (answer, answer.to_dict()):
        turn = Turn.coerce(item)
        assert turn.doc_id == "news#1" and "送温暖" in turn.evidence
    assert Turn.coerce({"question": "q", "answer": "a", "doc_id": "x"}) == Turn("q", "a", "x")
    assert Turn.coerce(("q", "a")) == Turn("q", "a")
    not_found = Turn.coerce(Answer("q", "没有", False, [cite]))
    assert not_found.doc_id == "" and not_found.answer == ""  # closest passages are no answer's article
    with pytest.raises(InputError, match="not a turn"):
        Turn.coerce(42)


# -- end to end: the real encoder on the bundled corpus -----------------------------------------------
@pytest.mark.slow
def test_assistant_answers_a_follow_up_in_context(use_index):
    from qa import Assistant

    a = Assistant(use_index)
    first = a.ask("何时启动送温暖行动")
    follow = a.ask("那它什么时候结束？", history=[first])
    assert follow.question == "那它什么时候结束？" and follow.understood == "送温暖行动什么时候结束？"
    assert a.search(follow.understood)[0].passage.doc_id == first.citations[0].doc_id
    where = "它为哪几个地方的退役军人定制了课程？"
    project = a.ask(where, history=[a.ask("退役军人职业岗位技能提升项目共吸引多少人次参与")])
    assert project.understood == "退役军人职业岗位技能提升项目为哪几个地方的退役军人定制了课程？"
    assert project.found and "房山" in project.answer
    fresh = a.ask("晋怡职工创新工作室以谁的名字命名", history=[first, follow])
    assert fresh.understood == fresh.question and fresh.answer == a.ask(fresh.question).answer
    assert a.ask("何时启动送温暖行动", history=[]).to_dict() == first.to_dict()


@pytest.mark.slow
def test_followup_evaluation_runs_on_a_conversations_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from qa.cli import main

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fair.md").write_text(
        "# 蓝莓果酱节在青岛举行\n\n第三届蓝莓果酱节于2024年8月3日在青岛市崂山区开幕，共有120家农户参加。\n\n"
        "果酱节将持续到8月10日闭幕，现场售出蓝莓果酱4.5万瓶。\n", encoding="utf-8")
    convs = tmp_path / "sets" / "conversations.jsonl"
    convs.parent.mkdir()
    convs.write_text(json.dumps({"id": "c1", "turns": [
        {"question": "蓝莓果酱节什么时候开幕？", "answers": ["2024年8月3日"], "doc": "fair.md"},
        {"question": "那什么时候闭幕？", "answers": ["8月10日"], "doc": "fair.md"},
    ]}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["eval", str(convs), "--model", "hash:256", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output[out.output.index("{"):])
    assert result["conversations"] == 1 and result["followups"] == 1
    assert 0 <= result["alone"] <= result["with_history"] <= 1

    convs.write_text('{"id": "bad"}\n', encoding="utf-8")
    out = CliRunner().invoke(main, ["eval", str(convs)])
    assert out.exit_code != 0
