"""Why-, how- and yes-no questions get the part of the clause that answers them, not the whole sentence."""
from __future__ import annotations

import pytest

from qa.candidates import WHY, question_kind
from qa.short import short_span


def answer(text: str, question: str) -> str:
    span, _ = short_span(text, question)
    return text[span[0]:span[1]]


@pytest.mark.parametrize("question, text, expected", [
    # a cause marker inside a clause starts the reason
    ("这批零件为什么被召回？", "这批零件因存在质量隐患，已于上周全部召回。", "因存在质量隐患"),
    ("门店销售额为什么上涨？", "门店销售额同比增长12%，增长主要得益于会员日活动的推广。", "主要得益于会员日活动的推广"),
    # an article number before the clause does not hide its cause marker
    ("为什么要制定停车管理规定？", "第一条 为规范小区停车秩序，保障消防通道畅通，制定本规定。", "为规范小区停车秩序"),
    ("为什么要制定停车管理规定？", "第一章 总则\n第一条 为规范小区停车秩序，保障消防通道畅通，制定本规定。", "为规范小区停车秩序"),
])
def test_a_why_question_gets_the_reason_clause(question, text, expected):
    assert answer(text, question) == expected


@pytest.mark.parametrize("question", ["这种兰花被命名为什么？", "这家银行后来改名为什么？", "过敏反应表现为什么？"])
def test_naming_questions_are_not_why_questions(question):
    assert question_kind(question) != WHY


def test_a_mid_clause_as_or_by_is_not_a_reason():
    text = "他于次年被封为县令，以清廉著称，后调任知府。"
    assert not answer(text, "他为何被封为县令？").startswith("为县令")


@pytest.mark.parametrize("question, text, expected", [
    # the means, said in a clause of its own
    ("加班的职工怎么发补贴？", "周末加班的职工，按公司规定发放加班补贴，另发交通费每人50元。", "按公司规定发放加班补贴"),
    # the first step after the condition the question states
    ("清洗结束后第一步做什么？", "3. 清洗结束后先关闭水泵，再拆下滤网晾干；", "先关闭水泵"),
    # the action after a deadline, a list joined by 、 included
    ("放假前一天下午4点前各班组要做什么？", "各班组须于放假前一天16:00前关闭门窗、切断电源，并由组长检查签字。", "关闭门窗、切断电源"),
    # a modal or imperative opens what to do
    ("设备冒烟了该怎么办？", "设备运转中出现冒烟时，应立即关闭总电源并报告值班人员。", "应立即关闭总电源并报告值班人员"),
])
def test_a_how_question_gets_the_means_or_the_action(question, text, expected):
    assert answer(text, question) == expected


def test_a_question_about_the_first_step_gets_the_step_marked_first():
    text = "2. 将原料倒入料斗，加料量以容积的七成为宜。\n3. 按下启动按钮，先低速搅拌3分钟，使原料混合均匀。"
    assert answer(text, "原料倒进去以后，先怎么搅拌？") == "先低速搅拌3分钟"


def test_press_is_not_a_means():
    text = "按下启动按钮，先空转2分钟，确认无异响后再投料。"
    assert answer(text, "开机后先怎么操作？") != "按下启动按钮"


def test_a_sentence_that_asks_is_never_the_answer():
    text = "问：可以退货吗？\n答：可以。签收后7天内在“售后服务”页面提交退货申请。"
    got = answer(text, "怎么退货？")
    assert "吗" not in got and "提交退货申请" in got


def test_a_phrase_that_points_ahead_is_answered_by_what_follows():
    text = "居民可通过以下方式报名：一是到社区服务中心现场登记；二是拨打社区电话报名。"
    got = answer(text, "居民可以通过哪些方式报名？")
    assert got == "到社区服务中心现场登记"


@pytest.mark.parametrize("question, text, expected", [
    ("这个小区有没有充电桩？", "该小区建于1995年，共有6栋楼，均为5层砖混结构，目前均未安装充电桩。", "目前均未安装充电桩"),
    ("网店能货到付款吗？", "答：目前支持微信和支付宝付款，暂不支持货到付款。", "暂不支持货到付款"),
])
def test_a_yes_no_question_gets_the_clause_that_says_yes_or_no(question, text, expected):
    assert answer(text, question) == expected


def test_a_negation_about_something_else_is_not_the_answer():
    text = "这座古镇并不是水乡，却拥有三十多座石桥，这些石桥虽不雄伟，却各有来历。"
    assert answer(text, "这座古镇有石桥吗？") != "这些石桥虽不雄伟"


def test_quotation_marks_around_the_whole_answer_are_dropped():
    assert answer("这座湖泊古称“碧海”，是当地最大的淡水湖。", "这座湖泊古称什么？") == "碧海"


def test_a_piece_of_a_phone_number_is_not_a_quantity():
    text = "本产品整机保修期为24个月。售后服务热线：400-123-4567。"
    assert answer(text, "这台机器坏了多长时间内可以免费修？") == "24个月"


def test_yen_is_a_unit():
    assert answer("景区门票每张售价3000日圆，儿童半价。", "门票多少日圆一张？") == "3000日圆"


def test_periods_listed_together_are_one_answer():
    text = "装修期间，施工人员须在每天8:30至12:00、14:00至18:00之间作业，节假日停止施工。"
    assert answer(text, "施工人员每天什么时间可以作业？") == "每天8:30至12:00、14:00至18:00"


def test_a_clause_without_a_subject_goes_on_about_the_one_before():
    text = "第五条 市交通运输局是主管部门，负责停车收费的监督检查；市财政局负责票据管理。"
    assert answer(text, "哪个部门负责停车收费的监督检查？") == "市交通运输局"


def test_the_clauses_a_semicolon_closes_count_towards_the_mirror():
    text = "每辆车奖励2000元；其中，2015年前登记的老旧货车，每辆另增加奖励1000元。"
    assert answer(text, "2015年前登记的老旧货车每辆另外多奖多少？") == "1000元"


def test_a_what_requirement_question_gets_the_clause_about_its_thing():
    text = "三、安装要求\n冷柜应放置在通风干燥处，背面离墙不少于10厘米。电源必须单独接线，插座额定电流不小于10安。"
    assert answer(text, "冷柜的插座额定电流有什么要求？") == "插座额定电流不小于10安"


def test_a_lone_verb_after_a_condition_is_not_how_to_do_it():
    text = "样品与稀盐酸反应后过滤，并用清水冲洗三遍，即可得到较纯的晶体。"
    assert answer(text, "如何得到较纯的晶体？") != "过滤"
