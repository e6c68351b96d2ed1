"""The measure a number question asks for, and whether a sentence states one.

A question worded with a measure names the unit family of its answer, even when it shares no word
with the sentence that holds it: 场地有多大 is answered in 平方米, 有多沉 in 公斤, 会有多吵 in 分贝,
一分钟转几圈 by a rate (每分钟45至50转), 雇了多少人 by a count of people (1268人). Sentence choice uses
this to tell the sentence with the answer from its neighbours that repeat the question's words around
some other number (3.2万人次入场 does not say how big the venue is).
"""
from __future__ import annotations

import functools
import re

from .phrases import asked_form, asked_heads, asked_noun, asked_unit, has_form
from .spans import NUMBER, ORG, PLACE, TIME, asks_bound, candidate_spans
from .text import normalize

_TIME_UNIT = r"(?:分钟|小时|秒钟?)"
# (question wording, what a quantity in that measure holds), checked in order: the more specific first
# (多大声 is loudness and 多大年纪 an age before 多大 is an area; 多长时间 a duration before 多长 a length).
_MEASURES: tuple[tuple[str, str], ...] = (
    (r"多吵|多响|多大声|噪音|噪声|音量|分贝", r"分贝|db"),
    (r"多热|多冷|多烫|温度|气温|水温|几度|多少度", r"摄氏度|℃|度"),
    (r"多大年纪|多大岁数|几岁|多少岁|年龄|多老", r"岁"),
    # A rate: per minute / hour / second (一分钟转几圈, 一个小时能揉多少, 多快, 转速).
    (rf"(?:每|一)个?{_TIME_UNIT}.{{0,8}}(?:多少|几)|多快|速度|转速", rf"每个?{_TIME_UNIT}|/\s*(?:{_TIME_UNIT}|min|h|s)\b"),
    (r"多重|多沉|重量|有多少斤|多少公斤|多少吨", r"吨|千克|公斤|克|斤|kg"),
    (r"功率", r"瓦|kw"),
    (r"电压", r"伏|v"),
    (r"多长时间|多久|时长|工期|期限|多少天|几天|多少个?月|几个月", r"分钟|小时|秒|天|日|周|星期|月|年|工作日"),
    (r"面积|占地|场地|多大(?!比例|比重|规模|力度|功率|电压)", r"平方米|平方公里|平方千米|公顷|亩|㎡"),
    (r"多长|多高|多宽|多深|多厚|多远|距离|直径|长度|高度|宽度|深度|厚度", r"(?<!平方)(?:千米|公里|厘米|毫米|米)|km|cm|mm"),
)
_MEASURE_RES = [(re.compile(q), re.compile(a)) for q, a in _MEASURES]
# People are counted in 人, 名, 位 or 人次 alike (雇了多少人 -> 1268人, 多招几个工人 -> 30名).
_PEOPLE = re.compile(r"人|名|位")
_CONTEXT = 6  # characters before a quantity that still qualify it (每分钟45至50转)


@functools.lru_cache(maxsize=512)
def asked_measure(question: str) -> tuple[str, re.Pattern | None] | None:
    """What a number question asks its answer in: ("form", form name) for money, a share or a clock time
    (qa.phrases), ("measure", pattern) for a unit family, ("unit", pattern) for a named counter; None
    when the question does not say (多少个 counts anything)."""
    q = normalize(question)
    for ask, holds in _MEASURE_RES:
        if ask.search(q):
            return "measure", holds
    form = asked_form(q)
    if form:
        return "form", form
    unit = asked_unit(q)
    if unit in ("人", "名", "位", "人次"):
        return "unit", _PEOPLE
    if unit and unit not in ("个", "种"):
        return "unit", re.compile(re.escape(unit))
    return None


# Words that mark the end or the start of a period (将于11月18日闭幕 answers 哪天结束).
_BOUND_WORDS = {"end": re.compile(r"闭幕|结束|截止|截至|到期|为止|止"), "start": re.compile(r"开幕|开始|启动|施行|实施|起")}
_RANGE = re.compile(r"至|到|—|～|~")
_MARKED = {"end": (re.compile(r"(?:至|到|截至|截止)$"), re.compile(r"^(?:止|为止)")),
           "start": (re.compile(r"[自从]$"), re.compile(r"^起"))}
# Single characters that close a place's name: 哪个县 asks for a name ending in 县.
_PLACE_HEADS = set("县市区省镇乡村州国城路街")
_NAME_CHARS = r"[\u4e00-\u9fff\w]"


@functools.lru_cache(maxsize=512)
def asked_shape(question: str, kind: str | None) -> tuple[str, object] | None:
    """The form the answer to a `kind` question must take, analysed once per question: ("bound", "start" |
    "end") for 从哪天开始 / 哪天截止, ("noun", pattern) for 哪个县 / 加什么油, else asked_measure's answer for a
    number (or clock-time) question; None when the question asks for no particular form."""
    if kind == TIME:
        bound = asks_bound(question)
        if bound:
            return "bound", bound
        asked = asked_measure(question)
        return asked if asked == ("form", "clock") else None
    if kind == NUMBER:
        return asked_measure(question)
    if kind in (PLACE, ORG, None):
        heads = asked_heads(question)
        noun = asked_noun(question) or (heads[-1] if heads and heads[-1] in _PLACE_HEADS else "")
        if noun:
            return "noun", re.compile(rf"({_NAME_CHARS}{{1,6}}?){re.escape(noun)}")
    return None


def span_kind(shape: tuple[str, object] | None) -> str | None:
    """The spans.py type whose phrases `states_asked` looks at for this shape (None: it needs none)."""
    if shape is None or shape[0] == "noun":
        return None
    return TIME if shape[0] == "bound" or shape == ("form", "clock") else NUMBER


def states_asked(sentence: str, question: str, kind: str | None,
                 spans: list[tuple[int, int, float]] | None = None) -> float:
    """1.0 when `sentence` holds a phrase in the form the question asks for that the question does not
    already say; 0.0 when it holds none; -1.0 when the question asks for no particular form.

    The forms: a quantity in the asked measure (asked_measure), a time at the asked end of a period
    (哪天截止 -> 至3月24日, 闭幕), a name ending in the noun a which-question asks for (哪个县 -> 景谷县).
    `spans`: candidate_spans(sentence, span_kind(shape)) when the caller has them already.
    """
    shape = asked_shape(question, kind)
    if shape is None:
        return -1.0
    how, what = shape
    norm = normalize(sentence).lower()
    q = normalize(question).lower()
    if how == "noun":
        return float(any(m.group(1) not in q for m in what.finditer(norm)))
    if spans is None:
        spans = candidate_spans(sentence, span_kind(shape))
    if how == "bound":  # a range (A至B holds both ends), a time marked as one (自A起, 至B, B止), or a named bound (闭幕)
        before, after = _MARKED[what]
        return float(bool(spans) and (bool(_BOUND_WORDS[what].search(norm)) or any(
            _RANGE.search(norm[s:e]) or before.search(norm[max(0, s - 2):s]) or after.search(norm[e:e + 2])
            for s, e, _ in spans)))
    for s, e, _ in spans:
        phrase = norm[s:e]
        if phrase in q:
            continue  # what the question already says is not its answer
        if how == "form":
            ok = has_form(phrase, what)
        elif how == "unit":
            ok = bool(what.search(phrase))
        else:  # a measure: its unit, or the rate's 每分钟 just before the number
            ok = bool(what.search(norm[max(0, s - _CONTEXT):e + 1]))
        if ok:
            return 1.0
    return 0.0
