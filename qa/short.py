"""The short answer: the exact phrase inside the evidence that answers the question.

`candidates.py` lists the phrases a reader could point at and describes each by a few dozen numbers;
a gradient-boosted tree ensemble (`ranker.py`, trained by `scripts/train_short_answer.py`) scores them.
Hard constraints a person would apply come on top: a factoid asks for a phrase of its type (a date for
何时, a whole organisation name for 哪个部门) in the form its words ask (补贴多少 -> an amount of money,
比例 -> a share, 电话 -> a phone number, “12351”热线 -> 12351). What-questions name what they want: 加什么油 a
noun phrase ending in 油, 是什么职务 a post. Why-, how- and yes-no questions ask for part of a clause: the
cause, the means or the action, the clause that says yes or no (`clausal.py`).
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from .candidates import (
    FEATURES,
    POS_CODES,
    WHAT,
    WHICH,
    candidates,
    question_chars,
    question_kind,
)
from .clausal import LIST_NUMBER, POINTER, clause_mask, pointed
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
    tagged,
)
from .text import normalize

__all__ = ["FEATURES", "candidates", "question_kind", "short_span"]

MODEL = "short_answer"
# Question kinds whose answer can be asked in a form (money, a share, a phone number, a clock time); a why- or
# how-question that mentions 补贴 still asks for a reason or a way, not an amount.
_FORMED = (None, NUMBER, TIME, "what", "which")
_NOUN_POS = tuple(POS_CODES[f] for f in ("n", "nt", "nz"))
_TOTAL = re.compile(r"一共|总共|共有|共计|合计|总计|累计|总数")
_LISTED = re.compile(r"[、和及]")
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
        mirror = _mirror(text, question, np.array([a for a, _ in spans])) if kind != PERSON else 0.0
        scores = np.where(typed, scores + SPECIFIC * x[:, col["typed_spec"]] + ALIGN * align + MIRROR * mirror, -np.inf)
    elif question_kind(question) in (WHAT, WHICH) and _asked_phrases(text, spans, x, asked_noun(question)).any():
        # 加什么油 is answered by the noun phrase that names one (46号机械油), 是什么职务 by a post (行政部经理).
        typed = _asked_phrases(text, spans, x, asked_noun(question))
        align = x[:, col["left_align"]] + x[:, col["right_align"]]
        scores = np.where(typed, scores + ALIGN * align, -np.inf)
    elif (clause := clause_mask(text, spans, x, question)) is not None:
        # A why-question is answered by the clause that gives the cause (由于雨季导致工期延误), a how-question
        # by the means or the action (通过劳务派遣方式解决, 应立即切断电源), a yes-no one by the clause that
        # says yes or no (qa.clausal).
        scores = np.where(clause, scores, -np.inf)
    best = int(np.argmax(scores))
    span = spans[best]
    if kind == TIME:
        span = _point(text, range_end(text, span, question))
        if not bound:  # periods listed as one (每天8:00至12:00、14:30至18:00): the ranker only saw single ones
            span = max(((a, b) for i, (a, b) in enumerate(spans) if typed[i] and a <= span[0] and span[1] <= b
                        and _LISTED.search(text, a, b)), key=lambda sp: sp[1] - sp[0], default=span)
    elif (kind in (ORG, PLACE) or question_kind(question) in (WHAT, WHICH)) and typed[best]:
        span = _widest(text, spans, x, typed, span, asked_heads(question))
    return _unquoted(text, _unnumbered(text, pointed(text, span))), float(raw[best])


# Quotation marks around a whole answer (“净海”, 「香港公开羽毛球锦标赛」) are the text's, not the answer's;
# a book title keeps its 《》.
_QUOTED = re.compile(r"“[^“”]+”|「[^「」]+」|『[^『』]+』|‘[^‘’]+’|\"[^\"]+\"")


def _unquoted(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """`span` without the quotation marks that enclose all of it."""
    s, e = span
    return (s + 1, e - 1) if e - s > 2 and _QUOTED.fullmatch(normalize(text[s:e])) else span


def _unnumbered(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """`span` without a list or article number at its start (when something is left)."""
    s, e = span
    m = LIST_NUMBER.match(normalize(text[s:e]))
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
    # Not one that points at what follows (以下方式：): qa.clausal answers from the list after it.
    return np.array([nominal[i] and x[i, col["in_question"]] == 0 and text[a:b].endswith(ends) and not POINTER.search(text[a:b])
                     and b - a > len(noun) and text[a:b] not in TITLES for i, (a, b) in enumerate(spans)])


_SEGMENT_BREAK = re.compile(r"[；;。！？!?\n]")
_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n]")


def _mirror(text: str, question: str, starts: np.ndarray) -> np.ndarray:
    """For each position of `starts`, the share of the question's characters in the clause of `text` holding it."""
    chars = question_chars(question)
    norm = normalize(text)
    # A clause after a comma that opens with a verb has no subject of its own: it goes on about the one before
    # (区住建局是主管部门，|负责资金的审核和拨付；区财政局负责...), so the two are read as one.
    verbs = {a for a, _, f in tagged(text) if f == "v"}
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(norm) if not (m.group() in "，," and m.end() in verbs)]
    bounds.append(len(norm) + 1)
    # The clauses a semicolon or a full stop closes count too, half as much: 其中，2000年前建成的住宅，|每台另增加
    # 补助5万元 answers 2000年前建成的住宅每台另外多补多少, though its own clause does not say 2000年.
    outer = [0] + [m.end() for m in _SEGMENT_BREAK.finditer(norm)] + [len(norm) + 1]

    def share(cuts: list[int]) -> np.ndarray:  # the share of the question's characters in the piece holding each start
        held = np.array([len(chars & set(norm[a:b])) for a, b in itertools.pairwise(cuts)]) / max(len(chars), 1)
        return held[np.searchsorted(cuts, starts, "right") - 1]

    return share(bounds) + 0.5 * share(outer)


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
