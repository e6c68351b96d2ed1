"""The short answer in the form the question asks for, and named in full."""
from __future__ import annotations

import pytest

from qa.phrases import CLOCK, MONEY, PERCENT, PHONE, asked_form, asked_unit
from qa.short import short_span
from qa.spans import NUMBER, TIME, candidate_spans, question_type


@pytest.mark.parametrize("question, text, expected", [
    # money, not the date in the same sentence
    ("2010年底以前建成的楼房每台另外多补多少？", "其中，2010年12月31日前建成的楼房，每台电梯另增加补贴3万元。", "3万元"),
    # a share, not the count of payments
    ("验收后先拨付多少比例的资金？", "补贴分三次拨付：设备验收合格后，拨付补贴资金的60%；", "60%"),
    # a phone number, not the clause around it
    ("职工遇到困难可以打哪个电话？", "市总工会开通24小时服务热线0871-6543210，职工遇到困难可随时拨打。", "0871-6543210"),
    # the counter word the question names
    ("园区占地多少亩？", "新园区占地80亩，一期工程已完成投资的40%。", "80亩"),
    # the qualifier belongs to the number
    ("办法适用于几层以上的住宅？", "本办法适用于本市六层及以上且未配备电梯的住宅。", "六层及以上"),
    # the end of a range when the question asks when it ends
    ("意见征集哪天截止？", "意见征集时间为2025年4月1日至4月20日。", "4月20日"),
    # a time relative to an event
    ("剩余的款项什么时候拨付？", "设备正常运行满两年后，拨付剩余款项。", "满两年后"),
    # a clock time
    ("讲座几点开始？", "社区将于5月10日（星期六）下午3:30在活动中心举办健康讲座。", "下午3:30"),
    # a short service number the text calls a hotline, without its quotes
    ("居民有问题可以拨打哪个热线？", "街道将充分发挥“12345”热线作用，畅通居民反映诉求的渠道。", "12345"),
    ("市民可以打什么电话咨询？", "如有疑问，市民可拨打96128咨询，工作日9时至17时有专人接听。", "96128"),
    # a year, not the 自 that marks it as a start
    ("义诊活动是哪一年开始的？", "医院“健康下乡义诊活动”自2008年启动以来，已连续开展16年。", "2008年"),
    # a number of years, not the calendar year the sentence starts from
    ("义诊活动开展了多少年？", "医院“健康下乡义诊活动”自2008年启动以来，已连续开展16年，从义诊拓展到健康讲座、慢病随访和家庭医生签约。", "16年"),
])
def test_factoid_gets_the_phrase_in_the_asked_form(question, text, expected):
    span, _ = short_span(text, question)
    assert text[span[0]:span[1]] == expected


@pytest.mark.parametrize("question, text, expected", [
    ("哪个部门负责资金的审核？", "第四条 市住房和城乡建设局负责资金的审核和发放；市财政局负责预算安排。", "市住房和城乡建设局"),
    ("材料报送给哪个部门？", "各街道于3月1日前将汇总表报送市人力资源和社会保障局就业促进科。", "市人力资源和社会保障局就业促进科"),
    ("咖啡节在什么地方开幕？", "本报讯 第五届咖啡节昨日在宁洱县文化广场开幕。", "宁洱县文化广场"),
])
def test_organisations_and_places_are_named_in_full(question, text, expected):
    span, _ = short_span(text, question)
    assert text[span[0]:span[1]] == expected


def test_a_why_question_that_mentions_money_still_gets_the_reason():
    text = "为鼓励职工按时返岗，公司对外省职工每人发放交通补贴500元。"
    span, _ = short_span(text, "公司为什么要发交通补贴？")
    assert text[span[0]:span[1]].startswith("为鼓励职工按时返岗")


@pytest.mark.parametrize("question, form", [
    ("每人补贴多少？", MONEY), ("收入占总收入的比重是多少？", PERCENT), ("营收同比增长了多少？", PERCENT),
    ("客服电话是多少？", PHONE), ("几点开门？", CLOCK), ("有多少人参加？", None),
])
def test_asked_form(question, form):
    assert asked_form(question) == form


def test_asked_unit():
    assert asked_unit("占地多少亩？") == "亩"
    assert asked_unit("几个工作日内办结？") == "个工作日"
    assert asked_unit("有多少？") == ""


@pytest.mark.parametrize("text, kind, expected", [
    ("每桶投叶量为30至35公斤。", NUMBER, "30至35公斤"),
    ("湿度控制在60%至75%之间。", NUMBER, "60%至75%"),
    ("整机保修期为12个月。", NUMBER, "12个月"),  # 个月 before 个
    ("需四分之三以上的业主同意。", NUMBER, "四分之三以上"),
    ("值班时间为每日8:30至次日8:30。", TIME, "每日8:30至次日8:30"),
    ("发票将在3个工作日内发出。", TIME, "3个工作日内"),
    ("职工须于2月5日（正月初八）返岗。", TIME, "2月5日（正月初八）"),
    ("滤芯每使用3个月更换一次。", NUMBER, "每使用3个月"),
    # a decade or a century with its relation (以后, 以来, 初期) is one time
    ("老城区在1990年代以后才开始大规模改造。", TIME, "1990年代以后"),
    ("这部小说写成于二十世纪初期，作者不详。", TIME, "二十世纪初期"),
    ("这片海湾十八世纪以来一直是渔港。", TIME, "十八世纪以来"),
    ("货轮以18节的航速驶离港口。", NUMBER, "18节"),
])
def test_typed_spans_take_the_whole_expression(text, kind, expected):
    assert expected in [text[s:e] for s, e, _ in candidate_spans(text, kind)]


def test_a_word_that_starts_with_a_numeral_is_not_a_year():
    text = "博览会以“千年茶源”为主题，将于11月18日闭幕。"
    assert [text[s:e] for s, e, _ in candidate_spans(text, TIME)] == ["11月18日"]


def test_a_year_or_a_count_is_not_a_hotline():
    from qa.phrases import phone_spans

    text = "2025年开通热线，共有1234名热线工作人员，请拨打12345。"
    assert [text[a:b] for a, b, _ in phone_spans(text)] == ["12345"]


def test_a_range_keeps_its_start_marker():
    text = "自即日起至2025年2月12日，慰问组将深入基层一线送温暖。"
    span, _ = short_span(text, "何时启动送温暖行动")
    assert text[span[0]:span[1]] == "自即日起至2025年2月12日"


@pytest.mark.parametrize("question, text, expected", [
    # the noun phrase naming what 什么油 asks for, not the clause
    ("保养时齿轮箱里要加什么油？", "每运行500小时，应向齿轮箱内加注32号液压油约2升。", "32号液压油"),
    # a post is named by its title, not by the sentence that mentions it
    ("担任项目总指挥的李明是什么职务？", "项目总指挥由工程部经理李明担任，值班电话：0871-6543210。", "工程部经理"),
])
def test_a_what_question_gets_the_noun_phrase_it_asks_about(question, text, expected):
    span, _ = short_span(text, question)
    assert text[span[0]:span[1]] == expected


@pytest.mark.parametrize("question", ["这台机器有多沉？", "水要烧到多热？", "电梯开起来会有多吵？"])
def test_how_heavy_hot_loud_are_number_questions(question):
    assert question_type(question) == NUMBER


def test_many_warm_hearted_is_not_a_number_question():
    assert question_type("许多热心群众参与了什么活动？") is None


@pytest.mark.parametrize("question, text, expected", [
    # the means, from the preposition the question puts before 什么
    ("社区打算通过什么渠道招募志愿者？", "经居委会讨论，社区拟通过网格员上门动员方式招募，名额为20人。", "通过网格员上门动员方式招募"),
    ("调试时应该按什么顺序操作？", "2. 接通电源后，按先低速、后高速的顺序调试，全程约10分钟。", "按先低速、后高速的顺序调试"),
    # the outcome, after the clause that states the case
    ("会员逾期不还书会怎样？", "会员逾期30天仍未归还图书的，暂停其借阅资格。", "暂停其借阅资格"),
])
def test_a_how_question_gets_the_means_or_the_outcome(question, text, expected):
    span, _ = short_span(text, question)
    assert text[span[0]:span[1]] == expected


def test_of_several_amounts_the_one_in_the_clause_the_question_mirrors_wins():
    text = "对特困人员每人发放慰问金600元，对低保家庭每户发放慰问金500元，对孤儿每人发放慰问金800元。"
    span, _ = short_span(text, "特困人员每人发多少慰问金？")
    assert text[span[0]:span[1]] == "600元"


def test_a_preposition_tagged_as_a_noun_does_not_join_the_organisation():
    text = "仓库钥匙统一交由保卫科封存，节日期间严禁燃放烟花爆竹。"
    span, _ = short_span(text, "放假期间库房钥匙由哪个部门保管？")
    assert text[span[0]:span[1]] == "保卫科"


def test_a_list_number_is_not_part_of_the_answer():
    text = "5. 烘干结束后先降温，再打开出料门出料；"
    span, _ = short_span(text, "烘干结束后第一步做什么？")
    assert "先降温" in text[span[0]:span[1]] and not text[span[0]:span[1]].startswith("5")


def test_a_rate_of_use_is_answered_with_its_activity():
    text = "空压机润滑油每运行800小时更换一次，滤网每周清洗。"
    span, _ = short_span(text, "空压机的润滑油多久换一次？")
    assert text[span[0]:span[1]] == "每运行800小时"
