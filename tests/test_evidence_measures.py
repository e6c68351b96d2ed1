"""The form a question asks its answer in (qa/measures.py), and the evidence column built on it."""
from __future__ import annotations

import pytest

from qa.measures import asked_measure, states_asked
from qa.spans import question_type


def asked(sentence: str, question: str) -> float:
    return states_asked(sentence, question, question_type(question))


@pytest.mark.parametrize("question, right, wrong", [
    # How big a venue is: an area, not the visitors counted beside it.
    ("博览会场地有多大？", "本届博览会展览面积达5.6万平方米", "开幕当天3.2万人次入场"),
    # How fast: a rate per minute, not a duration that also says 分钟.
    ("揉桶一分钟转几圈？", "揉桶转速：每分钟45至50转", "开机前空转3分钟，确认无异常声响。"),
    ("电梯开起来会有多吵？", "电梯运行噪音控制在50分贝以下", "共有住宅楼8栋、24个单元"),
    ("机器有多沉？", "整机重量：520公斤", "配套电机功率2.2千瓦"),
    # People are counted in 人, 名 or 位, not in 款 or 个.
    ("公司一共雇了多少人？", "公司在职员工共1268人", "共带来46款产品，签约3个采购订单"),
    ("政府给多少钱？", "每台电梯补助20万元", "2000年12月31日前建成的住宅"),
    # The end of a period: a range, or a time the sentence calls an end; a date before which something
    # was built is not one.
    ("意见征询哪天截止？", "意见征询时间为2025年3月10日至3月24日", "2000年12月31日前建成的住宅每台补助25万元。"),
    ("博览会哪天结束？", "博览会将于11月18日闭幕", "博览会自2006年首次举办以来已成为最大的展会。"),
    # Which county: a name ending in 县 that the question does not say.
    ("新厂区建在哪个县？", "会议听取了景谷县新厂区项目的进展汇报", "研究了新厂区建设等事项。"),
])
def test_a_sentence_in_the_asked_form_is_told_from_one_that_is_not(question, right, wrong):
    assert asked(right, question) == 1.0
    assert asked(wrong, question) == 0.0


def test_what_the_question_already_says_is_not_its_answer():
    assert asked("每台电梯补助20万元", "每台电梯补助20万元是多少钱？") == 0.0


def test_a_question_without_a_particular_form_gets_no_column():
    # 多少个 counts anything; a who-question is typed elsewhere.
    assert asked_measure("周边设置了多少个临时停车位？") is None
    assert asked("周边设置了1500个临时停车位", "周边设置了多少个临时停车位？") == -1.0
    assert asked("主持人是李明", "谁担任主持人？") == -1.0


def test_the_more_specific_wording_decides_the_measure():
    assert asked("他今年35岁", "他多大年纪？") == 1.0
    assert asked("面积120平方米", "他多大年纪？") == 0.0
    assert asked("用6CR-55揉一桶茶要35至45分钟", "揉一桶茶要多长时间？") == 1.0
    assert asked("揉桶直径55厘米", "揉一桶茶要多长时间？") == 0.0
