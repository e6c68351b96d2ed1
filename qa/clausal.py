"""The clause a why-, how- or yes-no question asks for, picked out of the candidate phrases.

A factoid is answered by a typed phrase (`short.py`); these questions are answered by part of a clause,
and Chinese marks which part with a few words:
- why: the clause, or the rest of one, from a cause marker (由于/因为/因/为了/得益于...);
- how, by what means: from the means word the question names (通过什么方式 -> 通过...), else a clause
  holding a means word (按国家规定发放, 井道采用钢结构); what happens if: what follows the case
  (逾期未返岗的，|不予发放补贴); what to do: the action after its time or condition (结束后|先松压,
  17:00前|切断电源) or from a modal or imperative (应立即按下急停按钮, 请在签收后拍照), the step marked 先
  when it asks for the first;
- what requirement (有什么要求/标准): the one clause that says it of the thing named (接地电阻不大于4欧姆);
- yes-no: the clause that says yes or no about what is asked (目前均未配备电梯, 暂不支持货到付款).
A phrase that only points ahead (通过以下方式：) gives way to the first item after its colon (`pointed`).
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from .candidates import (
    CONDITION_END,
    FEATURES,
    HOW,
    WHAT,
    WHICH,
    WHY,
    YESNO,
    question_chars,
    question_kind,
)
from .spans import tagged
from .text import clause_spans, normalize, sentence_spans

_COL = {name: i for i, name in enumerate(FEATURES)}
# The preposition a how-question puts before 什么 starts the answer (按什么顺序 -> 按轻压、重压、再轻压的顺序揉捻).
_MEANS = {
    "按": ("按照", "按", "依照", "依据", "根据"), "按照": ("按照", "按", "依照", "依据", "根据"),
    "根据": ("根据", "依据", "按照", "按"), "凭": ("凭借", "凭", "持"), "凭借": ("凭借", "凭", "持"),
    "用": ("采用", "使用", "利用", "用", "以"), "采用": ("采用", "使用", "利用", "用", "以"),
    "以": ("以", "通过", "采用"), "": ("通过", "经由", "借助", "依托", "采用", "利用", "以"),
}
_ASKS_MEANS = re.compile(r"(按照|按|根据|凭借|凭|采用|用|以|通过)?(?:什么|哪些|哪种)(?:方式|渠道|途径|办法|手段|方法|顺序|标准|材料|形式)"
                         r"|(按照|按|根据|凭借|凭|采用|以|通过)什么")
_ASKS_OUTCOME = re.compile(r"会怎样|会怎么样|会如何|怎么处理|如何处理|怎么办|怎么处罚|如何处罚|什么后果|什么处罚|会被")
# What to do: every how-question but 怎么样 (how good), and 做什么 / 做哪些 / 第一步.
_ASKS_ACTION = re.compile(r"[做干办](?:什么|哪些)|第[一二三四五六七八九十\d]步|下一步")
# 怎么样 (how good), 是怎样一场战争, 是怎么产生的, 是怎样描述的 ask for a description, not for what to do.
_DESCRIBE = re.compile(r"怎么样|怎样的|(?:怎么|怎样)一|如何[？?]?$|是(?:怎么|怎样|如何).*的[？?]?$")
# Markers that say why wherever they stand in a clause.
_STRONG_CAUSE = ("因为", "由于", "因", "主要得益于", "得益于", "为了", "鉴于", "旨在")
# Words that say how something is done, whichever clause they stand in (a word of their own: 按, not 按钮).
_MEANS_WORDS = frozenset(("通过", "采用", "采取", "按照", "按", "依照", "依据", "根据", "凭借", "凭", "借助", "依托", "利用",
                          "使用", "经由", "运用"))
# A rule the thing named must meet (接地电阻有什么要求), and the first of several steps (先怎么揉, 第一步做什么).
_ASKS_RULE = re.compile(r"什么(?:要求|标准|规定|条件|规格|限制)")
_ASKS_FIRST = re.compile(r"先|首先|第一步")
# Words that open an action: a modal or an imperative (应立即按下急停按钮), the first step (先松压; a later step's
# 再/然后 follows another).
_ACTION_WORDS = frozenset(("应", "应当", "应该", "须", "必须", "务必", "需", "需要", "请", "要", "先", "首先", "立即", "马上",
                           "及时"))
# A clause that says yes or no: a negation, a permission, or 已 (目前均未配备电梯, 可由区财政全额承担).
_POLARITY = re.compile(r"不|未|没|无|非|禁止|免|已|可以|可由|可|能")
# A list or article number that opens a clause (5. 揉捻结束后先松压, 第一条 为改善..., （二）..., 一是到社区登记) is
# not part of it.
LIST_NUMBER = re.compile(r"(?:第[一二三四五六七八九十百零\d]+[条章节款项]|\d{1,2}[.．、](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[)）]"
                          r"|[一二三四五六七八九十]{1,3}、|[一二三四五六七八九十]是(?=[\u4e00-\u9fff]{2}))\s*")
# A phrase that points at what follows (通过以下方式：) is not the answer; what follows the colon is.
POINTER = re.compile(r"以下|如下|下列")


def clause_mask(text: str, spans: list[tuple[int, int]], x: np.ndarray, question: str) -> np.ndarray | None:
    """Which candidates can answer a why-, how-, what-requirement or yes-no question, or None when the question
    is none of these or no candidate has the clause's marks (then the ranker alone decides)."""
    kind = question_kind(question)
    q = normalize(question)
    norm = normalize(text)
    # Not a phrase the question says, and ending where a clause does (before a colon too), but not inside a
    # list (检查揉桶、揉盘...).
    ends = (x[:, _COL["clause_end"]] > 0) | np.array([norm[b:b + 1] in (":", ";") for _, b in spans])
    free = (x[:, _COL["in_question"]] == 0) & ends & np.array([norm[b:b + 1] != "、" for _, b in spans])
    # A whole clause, or one but its list number (第一条 |为改善既有住宅居住条件).
    numbered = {m.end() for a, b in clause_spans(text) if (m := LIST_NUMBER.match(norm, a, b))}
    whole = (x[:, _COL["whole_clause"]] > 0) | np.array([a in numbered for a, _ in spans])
    if kind == WHY:
        # A whole clause opening with a cause marker (为改善居住条件), or the rest of one from a marker that
        # only says why (已拆封的茶叶|因涉及食品安全; not 为 nor 以, which mid-clause mean "as" and "by").
        strong = np.array([norm.startswith(_STRONG_CAUSE, a) and not _BREAK.search(norm, a, b) for a, b in spans])
        return _some(free & (x[:, _COL["cause_start"]] > 0) & (whole | strong))
    if kind == YESNO:
        # The yes or no bears on what the question asks about: 目前均未|配备电梯 for 有没有电梯, 暂不|支持货到付款
        # for 能货到付款吗 (not 这些桥梁虽不|雄伟 for 有桥梁吗).
        chars = question_chars(question)
        says = [any(chars & set(norm[m.end():m.end() + 4]) for m in _POLARITY.finditer(norm, a, b)) for a, b in spans]
        return _some(free & whole & np.array(says))
    means = _ASKS_MEANS.search(q)
    if means:
        preps = _MEANS.get(means.group(1) or means.group(2) or "", _MEANS[""])
        return _some(free & np.array([norm.startswith(preps, a) for a, _ in spans]))
    if kind not in (HOW, WHAT, WHICH, None):
        return None
    rule = _ASKS_RULE.search(q) if kind == WHAT else None
    if rule:
        # 接地电阻有什么要求 is answered by the one clause that says most of the thing named (接地电阻不大于4欧姆).
        topic = {q[i:i + 2] for i in range(rule.start() - 1)}
        said = np.array([0 if _BREAK.search(norm, a, b) else len(topic & {norm[i:i + 2] for i in range(a, b - 1)})
                         for a, b in spans]) * free
        return _some((said == said.max()) & (said > 0))
    found = None
    if _ASKS_OUTCOME.search(q):
        found = _some(free & _outcomes(text, spans))
    acts = kind == HOW and not _DESCRIBE.search(q) or bool(_ASKS_ACTION.search(q))
    if found is None and acts:
        tags = tagged(text)
        words = [(s, e, norm[s:e]) for s, e, _ in tags]
        if _ASKS_FIRST.search(q):  # 先怎么揉, 第一步做什么: the step the text marks as first (先不加压揉捻5分钟)
            first = {s for s, _, w in words if w in ("先", "首先")}
            found = _some(free & np.array([a in first for a, _ in spans]))
        if found is None and kind == HOW:  # 怎么发工资: by what means, when the text says (按国家规定发放加班工资), not 按下 (press)
            at = {s for (s, e, f), nxt in itertools.pairwise(tags) if norm[s:e] in _MEANS_WORDS and nxt[2].startswith(("n", "vn"))}
            found = _some(free & _holding(spans, whole, at))
        if found is None:
            found = _some(free & _actions(text, spans, words))
    return found


def _some(mask: np.ndarray) -> np.ndarray | None:
    return mask if mask.any() else None


def _outcomes(text: str, spans: list[tuple[int, int]]) -> np.ndarray:
    """Candidates that follow a clause stating a case (ending in 的/时) and run to the sentence's end."""
    norm = normalize(text)
    ends = {e for _, e in sentence_spans(text)}
    return np.array([a >= 2 and norm[a - 1] in "，," and norm[a - 2] in "的时" and (b in ends or b + 1 in ends)
                     for a, b in spans])


def _holding(spans: list[tuple[int, int]], whole: np.ndarray, at: set[int]) -> np.ndarray:
    """Candidates that start with one of the words starting at `at`, or are whole clauses holding one."""
    pos = np.array(sorted(at), np.int64)
    return np.array([a in at or (whole[i] and np.searchsorted(pos, a) < np.searchsorted(pos, b))
                     for i, (a, b) in enumerate(spans)], bool)


def _actions(text: str, spans: list[tuple[int, int]], words: list[tuple[int, int, str]]) -> np.ndarray:
    """Candidates that start with an action word, or right after a time or condition (结束后|先松压,
    订单完成后，|...)."""
    norm = normalize(text)
    opens = {s for s, _, w in words if w in _ACTION_WORDS}
    after = {e for _, e, w in words if w in CONDITION_END}
    # A lone verb (反应后|过滤) says too little of how to do it.
    return np.array([b - a >= 3 and (a in opens or a in after or (a >= 1 and norm[a - 1] in "，," and a - 1 in after))
                     for a, b in spans], bool)


def pointed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """`span`, or when it only points at what follows (可通过以下方式：) the first item after the colon."""
    norm = normalize(text)
    s, e = span
    rest = norm[e:]
    colon = e + len(rest) - len(rest.lstrip())
    if not POINTER.search(norm[s:e]) or norm[colon:colon + 1] not in ("：", ":"):
        return span
    m = _ITEM_END.search(norm, colon + 1)
    a, b = colon + 1, m.start() if m else len(norm)
    while a < b and norm[a].isspace():
        a += 1
    return (a, b) if b - a >= 2 else span


_BREAK = re.compile(r"[，,；;。！？!?]")
_ITEM_END = re.compile(r"[；;。\n]")
