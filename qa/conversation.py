"""Follow-up questions: resolve a question that leans on the previous turn into one that stands alone.

Offline and rule-based (no language model). A question is a follow-up when it
- points back with a pronoun or demonstrative (它/他/她/这/该/其/此/这个/其中 ...): the pronoun is
  replaced by the previous turn's topic (or, for 他/她 after a 谁 question, by the person answered);
- asks for more of the same (还有呢？, 还有哪些？, 其他的呢？): the previous question is asked again,
  and the previous answer is avoided;
- opens with a connective (那/那么/另外 ...), or names no topic of its own (那什么时候结束？, 具体有哪些？,
  多少钱？): the previous topic is put in front.
A question that names its own topic (蓝莓果酱节在哪里举行) starts afresh: nothing is carried over.

The topic of a turn is the longest stretch of its question that also occurs in the article it was
answered from (送温暖行动 from 何时启动送温暖行动), else the stretch from its first to its last
noun. A follow-up also prefers that article (`Resolved.doc_id`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .spans import PERSON, _posseg, question_type
from .text import _QUESTION_RE, normalize

# Pronouns replaced by the topic; determiners (这个项目) swallow the noun after them when it is
# the topic's own head (项目 of 技能提升项目) or a generic one (活动).
_PRONOUNS = {"它", "它们", "其", "其中", "这里", "那里"}
_PERSONS = {"他", "她", "他们", "她们"}
_DETERMINERS = {"这", "此", "该", "这些", "那些", "这个", "那个", "这项", "该项", "这次", "此次", "本次", "这场", "这家", "该家", "这位", "这一", "那次"}
_CONNECTIVES = re.compile(r"^(?:那么|那|然后|另外|此外|而且|并且|那请问|请问那)(?![个些里儿次样么])\s*[，,]?\s*")
_MORE = re.compile(r"^(?:那)?(?:还有|其他|其它|别的|另外|除此之外|除了这个)(?:的)?(?:呢|吗|么|什么|哪些|谁|没有)?[？?。！!]*$")
# Nouns too general to name a topic on their own (活动在哪里举行 still needs the previous one).
_GENERIC = set(
    "时候 时间 日期 地点 地方 人数 人员 活动 项目 工作 内容 原因 目的 结果 方式 费用 价格 规模 情况 部门 单位 负责人 主题 "
    "名字 名称 东西 问题 主办方 承办方 措施 作用 意义 效果 成果 数量 金额 总数 地址 领导 对象 范围 期间 方面 形式 标准 "
    "条件 要求 过程 步骤 计划 目标 任务 成绩 收入 面积 位置 年份 具体 详情 细节 门票 票价 人次 人们 大家 有关 相关 "
    "文章 报道 新闻 通知 文件 消息 现在 目前".split()
)
# The most common Chinese surnames (about 85% of people), and the common two-character ones.
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
                "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝") | {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "尉迟", "长孙", "宇文", "司徒", "夏侯"}
_TOPIC_FLAGS = ("n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "l", "eng")
# Added to the fused score (at most the sum of the fusion weights, 3.2) of the previous answer's
# article for a follow-up; FOLLOWUP_POOL candidates are re-ranked so that article can come up.
DOC_BONUS = 1.0
FOLLOWUP_POOL = 20
# X呢？ (净利润呢？): the previous question, asked about X instead.
_ABOUT = re.compile(r"^(.{1,20}?)(?:呢|的呢)[？?。！!]*$")
# With a dense `similar`, the cosine above which an X呢？ phrase replaces a phrase of the previous question.
SWAP_MIN_SIMILARITY = 0.5
_PUNCT = re.compile(r"[\s，,。？?！!；;：:、“”\"'（）()《》【】]+")


Similar = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question, its answer and the article the answer came from.

    `evidence` is text of that article (title and cited passage) used to find the turn's topic;
    `understood` is the question as it was resolved (when it was a follow-up itself).
    """

    question: str
    answer: str = ""
    doc_id: str = ""
    understood: str = ""
    evidence: str = ""
    short_answer: str = ""

    @classmethod
    def from_answer(cls, a) -> "Turn":
        """The turn an `Answer` (or its `to_dict()`) makes; its article is the one the evidence came from."""
        d = a if isinstance(a, dict) else a.to_dict()
        cites = d.get("citations") or []
        found = bool(d.get("found", True))
        src = next((c for c in cites if c.get("highlight")), cites[0] if cites else None) if found else None
        doc = str(src.get("doc_id", "")) if src else ""
        # What the article says, as far as the answer shows it: its title and every cited passage of it.
        evidence = "\n".join([src.get("title", "")] + [c.get("text", "") for c in cites if c.get("doc_id") == doc]) if src else ""
        return cls(str(d.get("question", "")), str(d.get("answer", "")) if found else "", doc, str(d.get("understood") or ""),
                   evidence, str(d.get("short_answer") or d.get("span_text") or "") if found else "")

    @classmethod
    def coerce(cls, item: Any) -> "Turn":
        """A Turn from what callers pass as history: a Turn, an Answer or its dict, a {"question", "answer",
        "doc_id"} dict, a (question, answer[, doc_id]) pair, or a question."""
        from .errors import InputError

        if isinstance(item, Turn):
            return item
        if hasattr(item, "citations") and hasattr(item, "to_dict"):
            return cls.from_answer(item)
        if isinstance(item, str):
            return cls(item)
        if isinstance(item, dict) and "citations" in item:
            return cls.from_answer(item)
        if isinstance(item, dict) and isinstance(item.get("question"), str):
            d = item
            return cls(d["question"], str(d.get("answer") or ""), str(d.get("doc_id") or d.get("doc") or ""),
                       str(d.get("understood") or ""), str(d.get("evidence") or ""), str(d.get("short_answer") or ""))
        if isinstance(item, (list, tuple)) and 1 <= len(item) <= 3 and all(isinstance(x, str) for x in item):
            return cls(*item)
        raise InputError(f"history item {str(item)[:80]!r} is not a turn: give {{'question': ..., 'answer': ..., 'doc_id': ...}} or an Answer")


@dataclass(frozen=True)
class Resolved:
    """A question as understood in its conversation.

    `text` stands alone; `followup` says whether the history was used; `doc_id` is the article to
    prefer; `avoid` is an earlier answer not to give again (for 还有呢？).
    """

    text: str
    followup: bool = False
    doc_id: str = ""
    avoid: str = ""

    def rerank(self, hits: list) -> list:
        """`hits` (best first) with the passages of the preferred article moved ahead by DOC_BONUS."""
        if not self.doc_id:
            return list(hits)
        return sorted(hits, key=lambda h: -(h.score + (DOC_BONUS if h.passage.doc_id == self.doc_id else 0.0)))

    def keeps_to_article(self, answer) -> bool:
        """Whether `answer` comes from the preferred article (always, when none is preferred)."""
        source = next((c.doc_id for c in answer.citations if c.highlight), None)
        return not self.doc_id or source == self.doc_id

    def without_repeat(self, answer, hits: list) -> list:
        """For 还有呢？: when `answer` repeats the avoided one, the hits without the passage it came from
        (empty when there is nothing to change)."""
        if not self.avoid or not answer.found or normalize(answer.answer) != normalize(self.avoid):
            return []
        source = next((c.pid for c in answer.citations if c.highlight), None)
        return [h for h in hits if h.pid != source]


def resolve(question: str, history: Sequence[Any] | None, similar: Similar | None = None) -> Resolved:
    """`question` made self-contained from the last turn of `history` (oldest first).

    `similar(phrase, candidates)` scores how alike two phrases are (e.g. a dense cosine); it helps
    place the new phrase of an `X呢？` question. Without it, shared characters decide.
    """
    question = question.strip()
    turns = [t for t in (Turn.coerce(t) for t in history or []) if t.question.strip()]
    if not turns:
        return Resolved(question)
    prev = turns[-1]
    prev_q = (prev.understood or prev.question).strip()
    norm = normalize(question)
    if _MORE.match(norm):
        return Resolved(prev_q, True, prev.doc_id, prev.answer)
    words = _words(question)
    if any(w in _PRONOUNS | _PERSONS | _DETERMINERS for w, _ in words):
        return _replace_pronouns(words, prev, prev_q, topic_of(_anchor(turns)))
    body = _CONNECTIVES.sub("", question)
    about = _ABOUT.match(body)
    if about:  # 净利润呢？ / 东部省份的呢？: the previous question, asked of something else
        phrase = about.group(1).strip().removesuffix("的")
        before = _ABOUT.match(_CONNECTIVES.sub("", prev.question.strip()))
        was = before.group(1).strip().removesuffix("的") if before else ""
        if was and was in prev_q:  # 城乡低保家庭呢？ then 孤儿呢？: the one asked about last time gives way
            return Resolved(prev_q.replace(was, phrase, 1), True, prev.doc_id)
        return Resolved(_swap_in(phrase, prev_q, similar), True, prev.doc_id)
    if body == question and not _leans_on(question, prev):
        return Resolved(question)
    topic = topic_of(_anchor(turns))
    if not topic or normalize(topic) in normalize(body):
        return Resolved(question) if body == question else Resolved(body, True, prev.doc_id)
    return Resolved(topic + body, True, prev.doc_id)


def _words(question: str) -> list[tuple[str, str]]:
    """jieba words and tags, with 它/他/她 split off a word jieba glued them into (那它, 它是)."""
    out = []
    for w in _posseg().cut(question):
        at = next((i for i, c in enumerate(w.word) if c in "它他她"), -1)
        if len(w.word) > 1 and at >= 0 and w.word not in _PERSONS | _PRONOUNS | _NOT_PRONOUNS:
            head, tail = w.word[:at], w.word[at + 1 :]
            out += ([(head, "c")] if head else []) + [(w.word[at], "r")] + ([(tail, w.flag)] if tail else [])
        else:
            out.append((w.word, w.flag))
    return out


# Words holding 他/它 that point at nothing.
_NOT_PRONOUNS = {"其他", "其它", "他人", "他乡", "吉他", "他们", "她们", "它们", "他国", "利他"}


def _leans_on(question: str, prev: Turn) -> bool:
    """Whether a question without pronouns still needs the previous turn: it names nothing of its own,
    or everything it names is in the previous turn's article (走访了多少家企业？ after a question about it)."""
    if not names_topic(question):
        return True
    evidence = normalize(f"{prev.evidence}\n{prev.question}\n{prev.understood}")
    if not prev.evidence:
        return False
    content = [w for w in _content_words(question) if len(w) >= 2]
    return bool(content) and all(normalize(w) in evidence for w in content)


def _anchor(turns: list[Turn]) -> Turn:
    """The turn a chain of elided follow-ups hangs on: the last one that was asked in full
    (加多少？ then 多久换一次？ both lean on 揉捻机首次使用前减速箱要加什么油？)."""
    for t in reversed(turns):
        if not t.understood or normalize(t.understood) == normalize(t.question):
            return t
    return turns[-1]


def _replace_pronouns(words: list[tuple[str, str]], prev: Turn, prev_q: str, topic: str) -> Resolved:
    if not topic:
        return Resolved("".join(w for w, _ in words))
    person = prev.short_answer if question_type(prev_q) == PERSON and _is_name(prev.short_answer) else ""
    out, i = [], 0
    if words and words[0][0] in ("那", "那么") and len(words) > 1:
        i = 1  # a leading 那 is a connective (那它什么时候结束), not a pronoun
    while i < len(words):
        w, _ = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ("", "")
        if w in _PERSONS:
            out.append(person or topic)
        elif w == "其中":  # among what the last question counted: 有多少在职员工？ 其中… -> …在职员工中
            counted = _counted(prev_q)
            out.append(topic + (counted if counted not in topic else "") + "中")
        elif w == "其":
            out.append(topic + ("" if nxt[0] == "的" else "的"))
        elif w in _PRONOUNS:
            out.append(topic)
        elif w in _DETERMINERS:
            out.append(topic)
            if nxt[1] == "q" and i + 2 < len(words):  # 这篇报道: the classifier goes with the noun
                i += 1
                nxt = words[i + 1]
            if nxt[0] and (nxt[0] in topic or nxt[0] in _GENERIC):
                i += 1
        else:
            out.append(w)
        i += 1
    return Resolved("".join(out), True, prev.doc_id)


def _counted(question: str) -> str:
    """The noun phrase a question asks about after its question word (多少在职员工 -> 在职员工), or ""."""
    m = _QUESTION_RE.search(normalize(question))
    if not m:
        return ""
    tail = question[m.end() :].rstrip("？?。！! ")
    chunks = _noun_chunks(tail)
    return tail[: chunks[0][1]].lstrip("个家名位项次种") if chunks and chunks[0][0] <= 2 else ""


def _swap_in(phrase: str, prev_q: str, similar: Similar | None) -> str:
    """The previous question with its most similar noun phrase replaced by `phrase`, or with `phrase`
    put in front when nothing in it is alike (2000年以前建成的呢？ qualifies rather than replaces)."""
    phrase = phrase.strip().removesuffix("的") or phrase
    chunks = _noun_chunks(prev_q)
    if chunks:
        scores = similar(phrase, [c for _, _, c in chunks]) if similar else [_dice(phrase, c) for _, _, c in chunks]
        best = max(range(len(chunks)), key=lambda i: scores[i])
        if scores[best] >= (SWAP_MIN_SIMILARITY if similar else 0.2):
            s, e, _ = chunks[best]
            return prev_q[:s] + phrase + prev_q[e:]
    return f"{phrase}的{prev_q}" if not phrase.endswith("的") else phrase + prev_q


def _noun_chunks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each run of nouns in `text` (question words excluded)."""
    out, pos, run = [], 0, None
    for w in _posseg().cut(text):
        start, pos = pos, pos + len(w.word)
        nounish = (w.flag in _TOPIC_FLAGS or w.flag in ("vn", "an", "ng", "b")) and not _QUESTION_RE.fullmatch(w.word)
        if nounish:
            run = (run[0], pos) if run else (start, pos)
        else:
            if run:
                out.append(run)
            run = None
    if run:
        out.append(run)
    return [(s, e, text[s:e]) for s, e in out if e - s >= 2]


def _dice(a: str, b: str) -> float:
    """Overlap of the character bigrams (and single characters) of two phrases, 0..1."""
    def grams(x: str) -> set[str]:
        x = normalize(x)
        return set(x) | {x[i : i + 2] for i in range(len(x) - 1)}

    ga, gb = grams(a), grams(b)
    return 2 * len(ga & gb) / (len(ga) + len(gb)) if ga and gb else 0.0


def _content_words(question: str) -> list[str]:
    """The question's words that carry meaning: no question words, pronouns, particles or numbers."""
    stripped = _QUESTION_RE.sub(" ", normalize(question))
    return [w.word for w in _posseg().cut(stripped) if w.flag[:1] in ("n", "v", "a", "l", "j", "e", "i", "b") and w.word.strip()
            and w.word not in _GENERIC and w.word not in _PRONOUNS | _PERSONS | _DETERMINERS]


def names_topic(question: str) -> bool:
    """Whether the question names something specific of its own (a non-generic noun of 2+ characters)."""
    stripped = _QUESTION_RE.sub(" ", normalize(question))
    return any(len(w.word) >= 2 and w.flag in _TOPIC_FLAGS and w.word not in _GENERIC for w in _posseg().cut(stripped))


def topic_of(turn: Turn) -> str:
    """What the turn asked about: its question without the asking part (云岭茶业精制车间 of
    云岭茶业精制车间什么时候停产？; 送温暖行动 of 何时启动送温暖行动). Falls back to the longest
    stretch of the question found in the answer's article, then to its nouns."""
    q = _CONNECTIVES.sub("", (turn.understood or turn.question).strip()).rstrip("？?。！! ")
    m = _QUESTION_RE.search(normalize(q))
    if m:
        before = _drop_edges(q[: m.start()], from_end=True, has_object=bool(q[m.end() :].strip()))
        if len(before) >= 2:
            return before
        after = _drop_edges(q[m.end() :], from_end=False)
        after = _first_chunk(after)
        if len(after) >= 2:
            return after
    pieces = [p for chunk in _PUNCT.split(_QUESTION_RE.sub(" ", q)) for p in chunk.split() if p]
    evidence = normalize(turn.evidence or turn.answer)
    best = max((_longest_common(piece, evidence) for piece in pieces), key=len, default="") if evidence else ""
    best = _nouns_only(best)
    if len(best) >= 2:
        return best
    chunks = _noun_chunks(q)
    return _trim(q[chunks[0][0] : chunks[-1][1]]) if chunks else _trim(max(pieces, key=len, default=""))


# Words at the edge of a subject that belong to the predicate: prepositions, particles, adverbs,
# the copula and modals; a verb only with its particle or complement (筹集了, 交到) or its object.
_PREDICATE_FLAGS = ("p", "u", "uj", "ul", "ug", "uz", "ud", "uv", "c", "y", "r", "d")
_LINKS = {"是", "有", "为", "要", "能", "会", "可以", "需要", "应该", "得", "被", "将", "到", "在", "给", "于", "向", "成",
          "目前", "现在", "当前", "正在", "已经", "一共", "共", "总共", "最终", "首先"}


def _drop_edges(text: str, from_end: bool, has_object: bool = False) -> str:
    """`text` without the predicate words at its end (from_end: 工会筹集了 -> 工会) or its start
    (启动送温暖 -> 送温暖). `has_object`: the question word is followed by what the verb acts on."""
    words = [(w.word, w.flag) for w in _posseg().cut(text) if w.word.strip()]
    if not from_end:
        while words and (words[0][1] in _PREDICATE_FLAGS or words[0][1][:1] == "v" or words[0][0] in _LINKS):
            words.pop(0)
        return _trim("".join(w for w, _ in words))
    verb_ok = has_object
    while words:
        w, f = words[-1]
        if f in _PREDICATE_FLAGS or w in _LINKS:
            verb_ok = verb_ok or f.startswith("u") or w in _LINKS
        elif (f.startswith("v") or f == "j") and f != "vn" and (verb_ok or (len(w) > 1 and w[-1] in "到在给于向成")):
            verb_ok = False
        else:
            break
        words.pop()
    return _trim("".join(w for w, _ in words))


def _first_chunk(text: str) -> str:
    """`text` up to its first verb after a noun (送温暖行动正式启动 -> 送温暖行动)."""
    out, seen_noun = [], False
    for w in _posseg().cut(text):
        if seen_noun and w.flag in ("v", "vd", "vi", "p", "c", "x"):
            break
        seen_noun = seen_noun or w.flag in _TOPIC_FLAGS or w.flag == "vn"
        out.append(w.word)
    return _trim("".join(out))


def _nouns_only(phrase: str) -> str:
    """`phrase` without the verbs, adverbs and particles at its edges (项目共吸引 -> 项目)."""
    words = [(w.word, w.flag) for w in _posseg().cut(phrase)]
    nounish = [i for i, (_, f) in enumerate(words) if f in _TOPIC_FLAGS or f in ("vn", "an", "m", "ng", "nrt")]
    if not nounish:
        return _trim(phrase)
    return _trim("".join(w for w, _ in words[nounish[0] : nounish[-1] + 1]))


def _is_name(text: str) -> bool:
    """Whether `text` is a person's name (a 谁 answer to stand for 他/她): 2-4 characters starting with
    a common surname (jieba alone tags phrases such as 大力支持 as names)."""
    text = text.strip()
    return 2 <= len(text) <= 4 and (text[0] in _SURNAMES or text[:2] in _SURNAMES)


def _trim(phrase: str) -> str:
    """Drop particles and prepositions left at a phrase's edges (的, 在, 了, 是 ...)."""
    return phrase.strip("的了在是和与及被把将给对从以由为着过吗呢吧啊要到“”\"'《》 ").strip()


def _longest_common(a: str, b: str) -> str:
    """The longest substring of `a` (as written) whose normalised form occurs in `b` (normalised)."""
    na = normalize(a)
    best = (0, 0)
    for i in range(len(na)):
        j = i + best[1] - best[0] + 1
        while j <= len(na) and na[i:j] in b:
            best = (i, j)
            j += 1
    return a[best[0] : best[1]]
