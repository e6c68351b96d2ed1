"""Candidate short answers and the features the ranker scores them by.

Candidates are every phrase a reader could point at: runs of jieba words inside a clause, runs of
whole clauses of one sentence, the rest of a clause from a cause, means or modal word (因/通过/须) or after
a time or condition (结束后|先松压), dates and quantities (regexes, since jieba splits them), names,
places and organisations (jieba part-of-speech tags) quoted titles, whole noun phrases and phone numbers (`phrases.py`). Each is described by a few
dozen numbers (`features`), and a small gradient-boosted tree ensemble (`ranker.py`, trained by
`scripts/train_short_answer.py` on half of the CMRC 2018 trial set) scores them; the best wins.

The features a person would use:
- wh-slot alignment: the question mirrors the statement with the question word in the answer's
  slot (由[谁]担任 -> 由周建华担任), so the characters around the question word should sit around it;
- distance to the question's words in the evidence, and whether the phrase only repeats the question;
- the asked type (a date for 何时, a quantity with a unit for 多少, a name for 谁, a reason for 为什么);
- part of speech at the phrase's edges, whole clauses, cause markers (因为/由于/为了, 所以);
- a dateline (本报普洱11月16日电) and a byline are never the answer to "when".
"""
from __future__ import annotations

import functools
import itertools
import re

import numpy as np

from .phrases import (
    AGENT,
    LOCATIVE,
    asked_form,
    asked_unit,
    has_form,
    noun_phrases,
    phone_spans,
    role_phrases,
)
from .spans import (
    NUMBER,
    ORG,
    PERSON,
    PLACE,
    TIME,
    candidate_spans,
    question_type,
    tagged,
)
from .text import clause_spans, normalize, sentence_spans

WHY, HOW, WHAT, WHICH, YESNO = "why", "how", "what", "which", "yesno"
# Question kinds as the ranker sees them (a feature); typed ones come from spans.question_type.
KINDS = (None, TIME, NUMBER, PERSON, PLACE, ORG, WHY, HOW, WHAT, WHICH, YESNO)
# Not 命名为什么 / 改名为什么 / 表现为什么: there 为 ends the verb and 什么 asks for a name.
_WHY = re.compile(r"(?<![成称名现认作视译分列定封选评誉改更])为什么|为何|什么原因|何故|原因是什么|原因是|为啥|怎么会")
_HOW = re.compile(r"如何|怎样|怎么|什么方式|什么方法|通过什么|用什么办法")
_WHICH = re.compile(r"哪")
_WHAT = re.compile(r"什么|啥")
_YESNO = re.compile(r"是否|吗[？?]?$|有没有|是不是|能不能|可不可以")

# The question word itself: where the answer's slot is in the question.
_WH = re.compile(
    r"什么时候|什么时间|什么地方|什么原因|什么样|为什么|为何|怎么样|怎么|怎样|如何|多少|多久|多长|多大|多高|多远|多重|多深|"
    r"哪一年|哪一天|哪一位|哪一个|哪些|哪个|哪位|哪家|哪种|哪年|哪天|哪里|哪儿|哪|何时|何地|何处|何人|谁|几|什么|啥"
)
_CAUSE_START = ("因为", "由于", "为了", "因", "鉴于", "以便", "以免", "为", "以", "使", "得益于", "主要得益于", "旨在", "目的是")
# Where a reason or a way starts inside a clause (增长主要得益于直播电商的拓展, 会议同意通过劳务派遣方式解决):
# the rest of the clause from there is a candidate of its own.
# A modal or imperative (须于停产当日17:00前切断电源, 请在签收后24小时内拍照) starts the action a how-question asks for.
_MARKERS = re.compile(r"主要得益于|得益于|因为|由于|为了|以便|以免|旨在|通过|按照|采用|利用|借助|依托|凭借|可由|使得?"
                      r"|应当|应该|必须|务必|[以按经先因凭须应需请]")
# A time or a condition stated before an action (揉捻结束后|先松压, 订单完成后|在“我的订单”页面申请): what follows
# it to the clause's end is a candidate of its own.
CONDITION_END = ("以后", "之后", "后", "时", "前", "期间", "之前", "以前")
_CAUSE_BEFORE = ("所以", "因此", "因而", "于是", "从而", "是因为", "原因是", "是为了", "目的是")
_COPULA = set("是为叫称即指")
_UNIT_END = set("人名位元个项次家所座台辆架艘件条本部首场届支队套张米里吨克斤升度%％倍天日周月年岁层种只头户篇字时分秒")
_DATELINE = re.compile(r"(?:本报|新华社|中新社|记者)[^，,。]{0,12}?\d{1,2}月\d{1,2}日电|[(（]记者[^)）]{1,20}[)）]|本报讯")
_TITLE = re.compile(r"《[^《》]{1,40}》|「[^「」]{1,40}」|“[^“”]{1,40}”|\"[^\"]{1,40}\"")
_PUNCT_EDGE = "，,、：:；;。！？!?…·—-～~ \n\t"
POS_CODES = {"n": 1, "nr": 2, "ns": 3, "nt": 4, "nz": 5, "v": 6, "vn": 7, "a": 8, "m": 9, "q": 10, "t": 11, "d": 12,
        "p": 13, "c": 14, "u": 15, "uj": 15, "ul": 15, "uz": 15, "f": 16, "r": 17, "eng": 18, "x": 19, "i": 20, "l": 20, "s": 21}
MAX_WORDS = 6  # a word run longer than this is a clause, not a phrase
MAX_RUN_CHARS = 16
MAX_CLAUSES = 3

FEATURES = (
    "kind", "chars", "words", "q_char_share", "q_bigram_share", "in_question", "whole_clause", "clauses",
    "whole_sentence", "clause_start", "clause_end", "left_anchor", "right_anchor", "near_anchor", "left_align",
    "right_align", "typed_exact", "typed_inside", "time_exact", "number_exact", "name_exact", "place_exact",
    "org_exact", "pos_first", "pos_last", "has_digit", "unit_end", "cause_start", "cause_before", "title",
    "dateline", "rel_pos", "in_core", "clause_cover", "copula_before", "single_chars", "sentence_cover",
    "typed_spec", "noun_phrase", "role_spec", "form_fit", "after_locative", "after_agent", "phone", "unit_match",
)


def question_kind(question: str) -> str | None:
    """The answer type a question asks for: a `spans` type, why / how / which / what / yes-no, or None."""
    typed = question_type(question)
    if typed:
        return typed
    q = normalize(question)
    for kind, pattern in ((WHY, _WHY), (YESNO, _YESNO), (HOW, _HOW), (WHICH, _WHICH), (WHAT, _WHAT)):
        if pattern.search(q):
            return kind
    return None


@functools.lru_cache(maxsize=512)
def _question_parts(question: str) -> tuple[str, str, str, frozenset[str], frozenset[str], str]:
    """(normalised question, text left of the question word, text right of it, its characters, its bigrams,
    the noun a 多少/几 counts)."""
    q = normalize(question).strip().rstrip("？?。.！! ")
    m = _WH.search(q)
    left, right = (q[: m.start()], q[m.end():]) if m else (q, "")
    counted = ""
    # 哪个部门负责审核 is answered by 住建局负责审核: the noun the question word asks about is the answer's
    # own slot, so the statement goes on with what follows that noun.
    first = tagged(right)[:2] if m and m.group().startswith(("哪", "什么", "多少", "几")) else []
    if first and first[0][2] in ("q", "m") and m.group() in ("多少", "几"):  # 多少个运动员: past the counter
        first = first[1:]
    if first and first[0][2].startswith("n") and first[0][1] < len(right):
        if m.group() in ("多少", "几"):
            # 有多少运动员 is answered by 运动员23人: the noun counted stands just left of the number.
            counted = right[first[0][0]:first[0][1]]
        else:
            right = right[first[0][1]:]
    body = _WH.sub(" ", q)
    chars = frozenset(c for c in body if not c.isspace() and c not in _PUNCT_EDGE and c not in "的了是在有")
    bigrams = frozenset(body[i:i + 2] for i in range(len(body) - 1) if not any(c in _PUNCT_EDGE for c in body[i:i + 2]))
    return q, left, right, chars, bigrams, counted


def question_chars(question: str) -> frozenset[str]:
    """The characters of the question other than its question word, punctuation and function characters."""
    return _question_parts(question)[3]


def _common_suffix(a: str, b: str, cap: int = 4) -> int:
    n = 0
    while n < min(len(a), len(b), cap) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str, cap: int = 4) -> int:
    n = 0
    while n < min(len(a), len(b), cap) and a[n] == b[n]:
        n += 1
    return n


def _inside(items: list, spans: list[tuple[int, int]]):
    """For each (start, end) of `spans`, the `items` ((start, end, ...), sorted) lying wholly inside it."""
    k = 0
    for s, e in spans:
        while k < len(items) and items[k][0] < s:
            k += 1
        inside = []
        while k < len(items) and items[k][1] <= e:
            inside.append(items[k])
            k += 1
        yield (s, e), inside


def candidates(text: str, question: str, core: tuple[int, int] | None = None) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Every candidate phrase of `text` as (start, end), with one feature row each (columns: FEATURES).

    Features are computed from per-character prefix sums, so the cost is a few array operations
    however many candidates there are (about 150 for an 85-character window).
    """
    norm = normalize(text)
    n = len(norm)
    kind = question_kind(question)
    form = asked_form(question)
    unit = asked_unit(question)
    q, q_left, q_right, q_chars, q_bigrams, q_counted = _question_parts(question)
    words = [(s, e, f) for s, e, f in tagged(text) if e > s]
    sents = sentence_spans(text)
    clauses = clause_spans(text)

    phones = {(a, b) for a, b, _ in phone_spans(text)}
    # A piece of a phone number (400-872 of 400-872-6655) is not a quantity nor a date.
    spec = {k: {(s, e): v for s, e, v in candidate_spans(text, k)
                if not any(a < e and s < b for a, b in phones)} for k in (TIME, NUMBER)}
    typed = {k: set(v) for k, v in spec.items()}
    titles = {(m.start(), m.end()) for m in _TITLE.finditer(norm)}
    titles |= {(s + 1, e - 1) for s, e in titles if e - s > 2}
    trimmed_clauses = {(a, _trim_end(norm, a, b)) for a, b in clauses}

    spans: set[tuple[int, int]] = set()
    for _, inside in _inside(words, clauses):  # word runs inside one clause
        for i, (ws, _, wf) in enumerate(inside):
            if wf == "x":
                continue
            for j in range(i, min(i + MAX_WORDS, len(inside))):
                if inside[j][1] - ws > MAX_RUN_CHARS:
                    break
                if inside[j][2] != "x":
                    spans.add((ws, inside[j][1]))
    for (ss, se), inside_c in _inside(clauses, sents):  # runs of whole clauses, and the whole sentence
        for i in range(len(inside_c)):
            for j in range(i, min(i + MAX_CLAUSES, len(inside_c))):
                spans.add((inside_c[i][0], _trim_end(norm, inside_c[i][0], inside_c[j][1])))
        spans.add((ss, se))
    for k in typed.values():
        spans |= k
    spans |= titles
    word_at = {a: norm[a:b] for a, b, _ in words}
    word_ends = {b for _, b, _ in words}
    # A list joined by 、 belongs to the clause it stands in (检查揉桶、揉盘内有无杂物): marker and condition
    # tails run to the end of the clause or of the whole list.
    segments = list(clauses)
    for i in range(len(segments) - 1, 0, -1):
        if norm[segments[i - 1][1] - 1] == "、" and segments[i - 1][1] <= segments[i][0]:
            segments[i - 1:i + 1] = [(segments[i - 1][0], segments[i][1])]
    lists = [sp for sp in segments if sp not in set(clauses)]
    for (a, b), inside in itertools.chain(_inside(words, clauses), _inside(words, lists)):
        b = _trim_end(norm, a, b)
        for m in _MARKERS.finditer(norm, a, b):  # from a reason, manner or modal marker to the end
            # A marker is a word of its own (以, not 可以; 使, not 使用), or a longer one ends one (可|通过).
            w = word_at.get(m.start())
            own = w and (len(m.group()) > 1 or w == m.group()) or len(m.group()) > 1 and m.end() in word_ends
            if m.start() > a and b - m.start() >= 3 and own:
                spans.add((m.start(), b))
        spans.update((e, b) for s, e, _ in inside if s > a and e <= b - 2 and norm[s:e] in CONDITION_END)
    nps = set(noun_phrases(text))
    roles = {(a, b): v for a, b, v in role_phrases(text, kind)} if kind in (PERSON, ORG, PLACE) else {}
    if kind == PERSON:  # a name says who better than a role does (周建华, not 行政部经理 nor 行政部经理周建华)
        names = {(a, b) for a, b, f in words if f == "nr"}
        name_ends = {b for _, b in names}
        roles = {sp: v for sp, v in roles.items() if sp[1] not in name_ends}
        roles.update({sp: 1.5 for sp in names})
    spans |= nps | phones
    out = sorted((s, e) for s, e in spans if e > s and norm[s] not in _PUNCT_EDGE and norm[e - 1] not in "，,、：:；; ")
    if not out:
        return [], np.zeros((0, len(FEATURES)), np.float32)

    S = np.array([s for s, _ in out], np.int64)
    E = np.array([e for _, e in out], np.int64)
    L = E - S

    def prefix(flags) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(np.asarray(flags, np.int32))])

    def span_sum(cum: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (cum[b] - cum[a]).astype(np.float32)

    qc = prefix([c in q_chars for c in norm])
    qb = prefix([norm[i:i + 2] in q_bigrams for i in range(n)])
    digits = prefix([c.isdigit() for c in norm])
    anchor_pos = [i for i in range(n - 1) if norm[i:i + 2] in q_bigrams]
    covered = np.zeros(n, bool)
    for i in anchor_pos:
        covered[i:i + 2] = True
    cov = prefix(covered)
    a_starts = np.array(anchor_pos, np.int64)
    a_ends = a_starts + 2
    li = np.searchsorted(a_ends, S, "right") - 1
    left = np.where(li >= 0, S - a_ends[np.maximum(li, 0)] if len(a_ends) else 200, 200)
    ri = np.searchsorted(a_starts, E, "left")
    right = np.where(ri < len(a_starts), (a_starts[np.minimum(ri, len(a_starts) - 1)] if len(a_starts) else 0) - E, 200)
    left, right = np.minimum(left, 200), np.minimum(right, 200)

    ws = np.array([w[0] for w in words], np.int64)
    we = np.array([w[1] for w in words], np.int64)
    n_words = np.maximum(np.searchsorted(we, E, "right") - np.searchsorted(ws, S, "left"), 1)
    single = prefix(np.isin(np.arange(n), ws[(we - ws) == 1]))
    pos_start = np.zeros(n + 1, np.float32)
    pos_end = np.zeros(n + 1, np.float32)
    for a, b, f in words:
        pos_start[a] = POS_CODES.get(f, 0)
        pos_end[b] = POS_CODES.get(f, 0)

    c_start = np.array([a for a, _ in clauses], np.int64)
    c_end = np.array([b for _, b in clauses], np.int64)
    ci = np.maximum(np.searchsorted(c_start, S, "right") - 1, 0)
    c_cover = (cov[c_end] - cov[c_start])[ci]
    n_clauses = np.searchsorted(c_end, E + 1, "right") - np.searchsorted(c_start, S, "left")
    is_c_start = np.isin(S, c_start)
    after = np.array([norm[e:e + 1] in ("，", ",", "。", "、", "；", "：", "") for e in E.tolist()])
    is_c_end = np.isin(E, c_end) | after
    s_start = np.array([a for a, _ in sents], np.int64)
    s_end = np.array([b for _, b in sents], np.int64)
    si = np.maximum(np.searchsorted(s_start, S, "right") - 1, 0)
    s_cover = (cov[s_end] - cov[s_start])[si]
    whole_sent = (S == s_start[si]) & (E >= s_end[si] - 1)
    n_anchor = max(int(cov[-1]), 1)

    dateline = np.zeros(n, bool)
    for m in _DATELINE.finditer(norm):
        dateline[m.start():m.end()] = True
    dl = prefix(dateline)
    starts, ends = sorted(set(S.tolist())), sorted(set(E.tolist()))

    def at(positions, fn) -> np.ndarray:
        out_ = np.zeros(n + 1, np.float32)
        for i in positions:
            out_[i] = fn(i)
        return out_

    cause_start = at(starts, lambda i: norm.startswith(_CAUSE_START, i))
    cause_before = at(starts, lambda i: norm[max(0, i - 4):i].endswith(_CAUSE_BEFORE))
    copula = at(starts, lambda i: i > 0 and norm[i - 1] in _COPULA)
    unit_end = at(ends, lambda i: norm[i - 1] in _UNIT_END)
    l_align = at(starts, lambda i: max(_common_suffix(q_left, norm[max(0, i - 4):i]),
                                       _common_suffix(q_counted, norm[max(0, i - 4):i]) if q_counted else 0))
    r_align = at(ends, lambda i: _common_prefix(q_right, norm[i:i + 4]))

    named = {k: {(a, b) for a, b, f in words if f == flag} for k, flag in ((PERSON, "nr"), (PLACE, "ns"), (ORG, "nt"))}
    if kind in named:
        named[kind] |= set(roles)
    exact_typed = np.array([sp in (typed.get(kind) or named.get(kind) or ()) for sp in out], np.float32)
    inside_typed = np.zeros(len(out), np.float32)
    if kind in typed:
        for a, b in typed[kind]:
            inside_typed[(S <= a) & (E >= b)] = 1.0
    core_s, core_e = core or (0, n)
    # A sentence of the text that asks (问：可以开发票吗？) only repeats a question, like the question's own words.
    asks = [(a, b) for a, b in sents if norm[b - 1] in "？?"]
    asking = (lambda i: any(a <= i < b for a, b in asks)) if asks else (lambda i: False)
    x = np.zeros((len(out), len(FEATURES)), np.float32)
    cols = dict(
        kind=KINDS.index(kind) if kind in KINDS else 0,
        chars=L,
        words=n_words,
        q_char_share=span_sum(qc, S, E) / L,
        q_bigram_share=span_sum(qb, S, np.maximum(E - 1, S)) / np.maximum(L - 1, 1),
        in_question=[norm[a:b] in q or asking(a) for a, b in out],
        whole_clause=[sp in trimmed_clauses for sp in out],
        clauses=n_clauses,
        whole_sentence=whole_sent,
        clause_start=is_c_start,
        clause_end=is_c_end,
        left_anchor=left,
        right_anchor=right,
        near_anchor=np.minimum(left, right),
        left_align=l_align[S],
        right_align=r_align[E],
        typed_exact=exact_typed,
        typed_inside=inside_typed,
        time_exact=[sp in typed[TIME] for sp in out],
        number_exact=[sp in typed[NUMBER] for sp in out],
        name_exact=[sp in named[PERSON] for sp in out],
        place_exact=[sp in named[PLACE] for sp in out],
        org_exact=[sp in named[ORG] for sp in out],
        pos_first=pos_start[S],
        pos_last=pos_end[E],
        has_digit=span_sum(digits, S, E) > 0,
        unit_end=unit_end[E],
        cause_start=cause_start[S],
        cause_before=cause_before[S],
        title=[sp in titles for sp in out],
        dateline=span_sum(dl, S, E) == L,
        rel_pos=S / max(n, 1),
        in_core=(S >= core_s) & (E <= core_e),
        clause_cover=(c_cover - span_sum(cov, S, E)) / n_anchor,
        copula_before=copula[S],
        single_chars=(n_words > 1) & (span_sum(single, S, E) == n_words),
        sentence_cover=(s_cover - span_sum(cov, S, E)) / n_anchor,
        typed_spec=[spec[kind].get(sp, 0.0) if kind in spec else roles.get(sp, 0.0) for sp in out],
        noun_phrase=[sp in nps for sp in out],
        role_spec=[roles.get(sp, 0.0) for sp in out],
        form_fit=[has_form(norm[a:b], form) if form else 0.5 for a, b in out],
        after_locative=at(starts, lambda i: norm[max(0, i - 3):i].endswith(LOCATIVE))[S],
        after_agent=at(starts, lambda i: norm[max(0, i - 2):i].endswith(AGENT))[S],
        phone=[sp in phones for sp in out],
        unit_match=[bool(unit) and norm[a:b].rstrip("多余以上下内左右及整").endswith(unit) for a, b in out],
    )
    for i, name in enumerate(FEATURES):
        x[:, i] = cols[name]
    return out, x


def _trim_end(norm: str, s: int, e: int) -> int:
    while e > s and norm[e - 1] in _PUNCT_EDGE:
        e -= 1
    return e
