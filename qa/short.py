"""The short answer: the exact phrase inside the evidence that answers the question.

`candidates.py` lists the phrases a reader could point at and describes each by a few dozen numbers;
a gradient-boosted tree ensemble (`ranker.py`, trained by `scripts/train_short_answer.py`) scores them.
Hard constraints a person would apply come on top: a factoid asks for a phrase of its type (a date for
何时, a whole organisation name for 哪个部门) in the form its words ask (补贴多少 -> an amount of money,
比例 -> a share, 电话 -> a phone number, “12351”热线 -> 12351), and a why-question for the clause that gives the
cause. What- and how-questions name what they want: 加什么油 a noun phrase ending in 油, 是什么职务 a post,
通过什么方式 the phrase from 通过 on, 会怎样 what follows the clause stating the case.
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from .candidates import (
    FEATURES,
    HOW,
    POS_CODES,
    WHAT,
    WHICH,
    WHY,
    candidates,
    question_chars,
    question_kind,
)
from .phrases import PHONE, POST_NOUNS, asked_form, asked_heads, asked_noun, named
from .spans import (
    NUMBER,
    ORG,
    PERSON,
    PLACE,
    TIME,
    TITLES,
    asks_bound,
    at_bound,
    fits,
    question_type,
    range_end,
)
from .text import normalize, sentence_spans

__all__ = ["FEATURES", "candidates", "question_kind", "short_span"]

MODEL = "short_answer"
# Question kinds whose answer can be asked in a form (money, a share, a phone number, a clock time); a why- or
# how-question that mentions 补贴 still asks for a reason or a way, not an amount.
_FORMED = (None, NUMBER, TIME, "what", "which")
_CLAUSAL = (HOW, WHAT, WHICH, None)
# The preposition a how-question puts before 什么 starts the answer (按什么顺序 -> 按轻压、重压、再轻压的顺序揉捻).
_MEANS = {
    "按": ("按照", "按", "依照", "依据", "根据"), "按照": ("按照", "按", "依照", "依据", "根据"),
    "根据": ("根据", "依据", "按照", "按"), "凭": ("凭借", "凭", "持"), "凭借": ("凭借", "凭", "持"),
    "用": ("采用", "使用", "利用", "用", "以"), "采用": ("采用", "使用", "利用", "用", "以"),
    "以": ("以", "通过", "采用"), "": ("通过", "经由", "借助", "依托", "采用", "利用", "以"),
}
_ASKS_MEANS = re.compile(r"(按照|按|根据|凭借|凭|采用|用|以|通过)?什么(?:方式|渠道|途径|办法|手段|方法|顺序|标准|材料|形式)"
                         r"|(按照|按|根据|凭借|凭|采用|以|通过)什么")
_ASKS_OUTCOME = re.compile(r"会怎样|会怎么样|会如何|怎么处理|如何处理|怎么办|怎么处罚|如何处罚|什么后果|什么处罚|会被")
_NOUN_POS = tuple(POS_CODES[f] for f in ("n", "nt", "nz"))
_TOTAL = re.compile(r"一共|总共|共有|共计|合计|总计|累计|总数")
_TOTAL_MARK = ("共", "合计", "总计", "累计", "总")
SPECIFIC = 2.0  # log-odds per unit of a typed phrase's specificity (qa.spans)
# Log-odds for a typed phrase whose clause holds all the question's characters. Swept 0/1/2/4/8 on realistic dev
# (gold-window short correct 0.871/0.879/0.879/0.879/0.864, money 0.92 -> 0.96 at 4) and trial (EM 0.256 -> 0.260 at 4).
MIRROR = 4.0
ALIGN = 1.0  # log-odds per character the phrase's neighbours share with the question word's


def short_span(text: str, question: str, core: tuple[int, int] | None = None) -> tuple[tuple[int, int] | None, float]:
    """(start, end) of the short answer within `text`, the evidence shown, and the ranker's log-odds for it
    (how much the evidence looks like it holds an answer); `core` is the evidence's best sentence."""
    from .ranker import load

    spans, x = candidates(text, question, core)
    if not spans:
        return None, -10.0
    scores = raw = load(MODEL).score(x)
    # A factoid question is answered by a phrase of its type when the evidence has one the question does
    # not already say: the trial set's long golds teach the ranker to like whole clauses, people don't.
    col = {name: i for i, name in enumerate(FEATURES)}
    kind = question_type(question)
    typed = (x[:, col["typed_exact"]] > 0) & (x[:, col["in_question"]] == 0)
    if kind == TIME:  # a dateline (本报普洱11月16日电) says when it was filed, not when it happened
        typed &= x[:, col["dateline"]] == 0
    typed &= np.array([fits(text[s:e], kind, question) for s, e in spans])
    form = asked_form(question) if question_kind(question) in _FORMED else None
    if form:
        # 补贴多少 asks for money, 比例 for a share, 电话 for a phone number: a phrase of that form wins when
        # the evidence has one (a date must not answer 每台多补多少).
        shaped = x[:, col["phone"]] if form == PHONE else x[:, col["number_exact"]] + x[:, col["time_exact"]]
        formed = (shaped > 0) & (x[:, col["form_fit"]] > 0) & (x[:, col["in_question"]] == 0)
        if formed.any():
            typed = formed
    unit = x[:, col["unit_match"]] > 0
    if kind == NUMBER and (typed & unit).any():  # 占地多少亩 asks for 126亩, not 65%
        typed &= unit
    if kind == NUMBER and _TOTAL.search(question):  # 一共多少人 asks for 共1268人, not one of its parts
        total = typed & np.array([text[a:a + 2].startswith(_TOTAL_MARK) or text[max(0, a - 2):a].endswith(_TOTAL_MARK)
                                  for a, _ in spans])
        typed = total if total.any() else typed
    bound = asks_bound(question) if kind == TIME else None
    if bound:  # 从哪天开始执行 asks for 自X起, 有效期到什么时候 for 至X
        marked = typed & np.array([at_bound(text, sp, bound) for sp in spans])
        typed = marked if marked.any() else typed
    if typed.any():
        # Among them the more specific wins (a full date over a bare year, a stated start over 近日):
        # the ranker saw too few typed questions to learn that.
        # And the one in the question's slot: 由谁担任 mirrors 由周建华担任, 哪个部门负责审核 mirrors
        # 住建局负责审核 (characters shared just left and right of the phrase, up to 4 each side).
        # And the one in the clause that mirrors the question (对特困供养人员每人发放慰问金600元, not the 800元 of
        # 对孤儿...每人发放慰问金800元): the share of the question's characters its clause holds.
        align = x[:, col["left_align"]] + x[:, col["right_align"]]
        # Not for a person: who wrote or said it is named in a byline (记者 杨丽娟) away from what it says.
        mirror = _mirror(text, question) if kind != PERSON else (lambda i: 0.0)
        scores = np.where(typed, scores + SPECIFIC * x[:, col["typed_spec"]] + ALIGN * align
                          + MIRROR * np.array([mirror(a) for a, _ in spans]), -np.inf)
    elif question_kind(question) == WHY:
        # A why-question is answered by the clause that gives the cause (由于雨季导致工期延误), when there is one.
        cause = (x[:, col["cause_start"]] > 0) & (x[:, col["whole_clause"]] > 0) & (x[:, col["in_question"]] == 0)
        if cause.any():
            scores = np.where(cause, scores, -np.inf)
    elif question_kind(question) in (WHAT, WHICH) and _asked_phrases(text, spans, x, asked_noun(question)).any():
        # 加什么油 is answered by the noun phrase that names one (46号机械油), 是什么职务 by a post (行政部经理).
        typed = _asked_phrases(text, spans, x, asked_noun(question))
        align = x[:, col["left_align"]] + x[:, col["right_align"]]
        scores = np.where(typed, scores + ALIGN * align, -np.inf)
    elif question_kind(question) in _CLAUSAL:
        # 通过什么方式 is answered from 通过 on (通过劳务派遣方式解决), 按什么顺序 from 按 on; 会怎样 / 怎么办 by
        # what the sentence says after the case it names (逾期未返岗的，|不予发放返乡交通补贴).
        way = _way_phrases(text, spans, x, question)
        if way.any():
            scores = np.where(way, scores, -np.inf)
    best = int(np.argmax(scores))
    span = spans[best]
    if kind == TIME:
        span = _point(text, range_end(text, span, question))
    elif (kind in (ORG, PLACE) or question_kind(question) in (WHAT, WHICH)) and typed[best]:
        span = _widest(text, spans, x, typed, span, asked_heads(question))
    return _unnumbered(text, span), float(raw[best])


# A list or article number that opens a clause (5. 揉捻结束后先松压, 第一条 为改善..., （二）...) is not part of it.
_LIST_NUMBER = re.compile(r"^(?:第[一二三四五六七八九十百零\d]+[条章节款项]|\d{1,2}[.．、](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[)）]"
                          r"|[一二三四五六七八九十]{1,3}、)\s*")


def _unnumbered(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """`span` without a list or article number at its start (when something is left)."""
    s, e = span
    m = _LIST_NUMBER.match(normalize(text[s:e]))
    return (s + m.end(), e) if m and s + m.end() < e else span


def _asked_phrases(text: str, spans: list[tuple[int, int]], x: np.ndarray, noun: str) -> np.ndarray:
    """Which candidates are noun phrases naming what the question asks about: ending in its noun and saying
    more than it, or ending in a title when it asks for a post."""
    col = {name: i for i, name in enumerate(FEATURES)}
    if not noun:
        return np.zeros(len(spans), bool)
    post = noun in POST_NOUNS
    ends = TITLES if post else (noun,)
    # A post is a run of nouns ending in a title (行政部经理 before the name 周建华: not a whole noun phrase).
    nominal = x[:, col["noun_phrase"]] > 0
    if post:
        nominal |= np.isin(x[:, col["pos_first"]], _NOUN_POS) & np.isin(x[:, col["pos_last"]], _NOUN_POS)
    return np.array([nominal[i] and x[i, col["in_question"]] == 0 and text[a:b].endswith(ends)
                     and b - a > len(noun) and text[a:b] not in TITLES for i, (a, b) in enumerate(spans)])


def _way_phrases(text: str, spans: list[tuple[int, int]], x: np.ndarray, question: str) -> np.ndarray:
    """Which candidates give the means a question asks for (from the preposition it names to the clause's
    end) or the outcome (from after a clause stating the case, ending in 的/时, to the sentence's end)."""
    col = {name: i for i, name in enumerate(FEATURES)}
    q, norm = normalize(question), normalize(text)
    free = (x[:, col["in_question"]] == 0) & (x[:, col["clause_end"]] > 0)
    m = _ASKS_MEANS.search(q)
    if m:
        preps = _MEANS.get(m.group(1) or m.group(2) or "", _MEANS[""])
        return free & np.array([norm.startswith(preps, a) for a, _ in spans])
    if _ASKS_OUTCOME.search(q):
        ends = {e for _, e in sentence_spans(text)}
        return free & np.array([a >= 2 and norm[a - 1] in "，," and norm[a - 2] in "的时" and
                                (b in ends or b + 1 in ends) for a, b in spans])
    return np.zeros(len(spans), bool)


_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n]")


def _mirror(text: str, question: str):
    """A function of a position of `text`: the share of the question's characters in the clause holding it."""
    chars = question_chars(question)
    norm = normalize(text)
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(norm)] + [len(norm) + 1]
    share = [len(chars & set(norm[a:b])) / max(len(chars), 1) for a, b in itertools.pairwise(bounds)]
    return lambda i: share[int(np.searchsorted(bounds, i, "right")) - 1]


def _point(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A single time without the 自/从 that marks it as a start: 哪一年开始 is answered by 1992年, not 自1992年;
    a range keeps it (自即日起至2025年2月12日 is one answer)."""
    s, e = span
    phrase = text[s:e]
    if phrase[:1] in ("自", "从") and not any(c in phrase for c in "至到—–~～-") and e - s > 1:
        return s + 1, e
    return span


def _widest(text: str, spans: list[tuple[int, int]], x: np.ndarray, typed: np.ndarray, span: tuple[int, int],
            heads: tuple[str, ...]) -> tuple[int, int]:
    """The longest noun phrase of the asked type holding `span`: an organisation or a place is named in
    full (区住房和城乡建设局, not 住房和城乡建设局), however the ranker weighed the shorter forms. It grows
    to the left (Chinese modifiers come first), and to the right only up to the noun the question names
    (哪个县: 景谷 -> 景谷县, not 景谷县新厂区项目) or to a unit within (民政局 -> 民政局社会救助股)."""
    col = FEATURES.index("noun_phrase")
    s, e = span
    wider = [(b - a, (a, b)) for i, (a, b) in enumerate(spans) if typed[i] and x[i, col] > 0 and a <= s and e <= b
             and (b == e or any(text[a:b].endswith(h) for h in heads) or named(text[a:b]))]
    return max(wider, default=(0, span))[1]
