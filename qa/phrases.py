"""Whole phrases a short answer can be, and the form a question asks its answer in.

`spans.py` finds dates, quantities and single tagged names; people ask for more than that:
- an organisation or place is a whole noun phrase, not its last word (区住房和城乡建设局, not 建设局;
  区民政局社会救助股, not 民政局; 思茅区国际会展中心, not 中国);
- a place is what follows 在/于/向/到 (在区政府门户网站公示), an address ends in 路/大道...号;
- a factoid often asks for one form of number: money (补贴多少 -> 5万元, not 31日), a share
  (比例/比重/增长了多少 -> 70%), a phone number (电话/热线), a clock time (几点 -> 上午10:00).
"""
from __future__ import annotations

import functools
import re

from .text import normalize

MONEY, PERCENT, PHONE, CLOCK = "money", "percent", "phone", "clock"

# Checked in order: a share before money (收入占营业收入的比重), a phone number before anything.
_FORM_WORDS = (
    (PHONE, r"电话|热线|号码|手机号|联系方式|拨打|打哪个"),
    (PERCENT, r"比例|比重|比率|百分之|百分比|占.{0,12}多少|(?:增长|下降|增加|减少|提高|降低|上涨|下跌)了?多少|增幅|降幅|涨幅|[率]是?多少|几成"),
    (CLOCK, r"几点|时段|时间段|什么时间.{0,3}(?:开放|营业|上班|工作)|工作时间"),
    (MONEY, r"多少钱|钱|经费|资金|补贴|补助|费用|金额|红利|分红|工资|价格|售价|单价|奖金|慰问金|津贴|罚款|多少元|几元|多少万|花了多少|投资"),
)
_FORM_RES = [(f, re.compile(p)) for f, p in _FORM_WORDS]
_FITS = {
    MONEY: re.compile(r"元|块钱"),
    PERCENT: re.compile(r"[%％]|分之|成$|百分点"),
    PHONE: re.compile(r"^\D{0,4}\d[\d\- ]{1,}\d$"),
    CLOCK: re.compile(r"\d[:：]\d|[点时](?:半|\d+分)?$"),
}
PHONE_RE = re.compile(r"(?<![\d\-])(?:\d{3,4}-\d{7,8}|400-?\d{3}-?\d{4}|1[3-9]\d{9})(?![\d\-])")
# A service number is short (110, 12345, 95598): it is a phone number only where the text names it one,
# before 热线/电话/专线 (“12351”热线, 12345政务服务便民热线) or after 拨打/热线/电话 (拨打12345).
_SERVICE = r"[“\"「]?(\d{3,6})(?![\d.])[”\"」]?"
_SERVICE_RE = re.compile(rf"(?<![\d\-.]){_SERVICE}(?![年月日号个人元万亿次件条名家项天岁])(?=[\u4e00-\u9fff]{{0,8}}?(?:热线|电话|专线|服务号|求助号))"
                         rf"|(?:拨打|热线|电话|专线)[:：为是]?{_SERVICE}(?![\d\-.])")


def asked_form(question: str) -> str | None:
    """MONEY, PERCENT, PHONE, CLOCK: the form of the answer the question's words ask for, or None."""
    q = normalize(question)
    for form, pattern in _FORM_RES:
        if pattern.search(q):
            unit = asked_unit(q)
            # 占地多少亩 names its unit: an area, not a share; 补贴多少天 a duration, not money.
            if unit and form in (PERCENT, MONEY) and not _FITS[form].search(unit):
                return None
            return form
    return None


_COUNTED = re.compile(r"(?:多少|几)(.{1,4})")


def asked_unit(question: str) -> str:
    """The counter word a number question names (多少亩 -> 亩, 几个单元 -> 个), or ""."""
    from .spans import _UNITS

    m = _COUNTED.search(normalize(question))
    after = m.group(1) if m else ""
    return next((after[:n] for n in range(len(after), 0, -1) if after[:n] in _UNITS), "")


_WHICH_NOUN = re.compile(r"(?:哪一?[个家所座位种类]?|什么)([^\s，,。？?！!]{1,3})")


def asked_heads(question: str) -> tuple[str, ...]:
    """The noun a which-question names, longest first (哪个县 -> 县, 哪家公司 -> 公司, 公, ...)."""
    m = _WHICH_NOUN.search(normalize(question))
    noun = m.group(1) if m else ""
    return tuple(noun[:n] for n in range(len(noun), 0, -1))


_ASKS_NOUN = re.compile(r"(?:什么|哪一?[个些种类样项])(.{1,6})")
# 是什么职务 asks for a post (行政部经理), named by its title word.
POST_NOUNS = ("职务", "职位", "身份", "头衔", "职称", "官职", "岗位")


def asked_noun(question: str) -> str:
    """The noun a what- or which-question asks about (加什么油 -> 油, 有什么补偿 -> 补偿), or "" when the
    word after 什么 is not a noun (用什么付款 asks how, not for a 付款)."""
    from .spans import tagged

    m = _ASKS_NOUN.search(normalize(question))
    if not m:
        return ""
    words = tagged(m.group(1))
    return m.group(1)[:words[0][1]] if words and words[0][2] in ("n", "ng", "nz", "vn") and words[0][0] == 0 else ""


def has_form(phrase: str, form: str | None) -> bool:
    """Whether `phrase` is in the asked `form` (always true when there is none)."""
    return form is None or bool(_FITS[form].search(normalize(phrase)))


# Word classes that build a noun phrase: nouns of every kind, distinguishing words (所在, 主要), verbal
# nouns (救助 in 社会救助股) and place words.
_NOMINAL = ("n", "nr", "ns", "nt", "nz", "nl", "ng", "j", "b", "vn", "s", "an")
_JOIN = set("和与及、")
# Single characters that end an organisation or a place even when jieba tags them as measure words.
_HEAD_CHARS = set("股科处室组队所站局部院厅委会司社团馆场园楼号县市区省镇乡村州")
_ORG_HEAD = re.compile(r"(?:公司|集团|大学|学院|学校|中学|小学|研究院|研究所|委员会|工会|协会|学会|联合会|基金会|银行|医院|政府|法院|检察院"
                       r"|办事处|办公室|中心|俱乐部|电视台|报社|出版社|组织|设计院|交易所|速运|快递|物流|[局股科处室部厅署委所院队站组社])$")
_PERSON_HEAD = re.compile(r"(?:人员|同志|负责人|工作人员|主任|经理|书记|局长|部长|校长|院长|董事长|总经理|秘书|员|者|家|长|师|人|方|户|主)$")
_PLACE_HEAD = re.compile(r"(?:中心|广场|网站|平台|交易所|会场|会议室|大厅|礼堂|公园|县|市|区|省|州|镇|乡|村|街道|社区|小区|路|街|巷|大道|号"
                         r"|馆|厅|室|场|站|园|办事处|楼|国|岛|山|湖|江|河|房|库|窗口|网|页面|柜台|门口|车间|厂区)$")
# Words right before a place or a party: 在/于/向/到 (where), 由/交由/被 (who does it).
LOCATIVE = ("在", "于", "向", "到", "赴", "位于", "来自", "设在", "前往", "地址为", "地点为", "地点是", "地址是", "至")
AGENT = ("由", "交由", "被", "请", "委托")
_PREPOSITIONS = frozenset(LOCATIVE + AGENT) - {"至"}


def named(phrase: str) -> bool:
    """Whether `phrase` ends in a word that closes an organisation's or a place's name (局, 公司, 广场, 县...)."""
    return bool(_ORG_HEAD.search(phrase) or _PLACE_HEAD.search(phrase))


@functools.lru_cache(maxsize=256)
def noun_phrases(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every maximal noun phrase of `text` and of each of its tails (heads come last in
    Chinese: 中国普洱茶产业博览会 -> 博览会), joined over 和/与/及/、 and a number before 号."""
    from .spans import tagged

    norm = normalize(text)
    words = tagged(text)
    runs: list[list[tuple[int, int]]] = []
    cur: list[tuple[int, int]] = []
    verbs: set[tuple[int, int]] = set()
    for i, (s, e, f) in enumerate(words):
        w = norm[s:e]
        nxt = words[i + 1] if i + 1 < len(words) else None
        nominal = f in _NOMINAL or (cur and len(w) == 1 and w in _HEAD_CHARS and f not in ("p", "v", "c", "uj", "x"))
        # jieba sometimes tags a preposition as a noun (交由/n 保卫科): it ends a noun phrase all the same.
        nominal = nominal and w not in _PREPOSITIONS
        # A number belongs to a noun phrase only as a house number (茶城大道88号) or a model (304不锈钢).
        number = f in ("m", "eng") and w[:1].isdigit() and nxt is not None and (
            norm[nxt[0]:nxt[1]] in ("号", "号楼", "室", "栋", "单元") or nxt[2] in ("n", "nz") and cur)
        ordinal = cur and f == "m" and not w[:1].isdigit() and nxt is not None and nxt[2] in _NOMINAL + ("m",)
        joint = cur and (w in _JOIN) and nxt is not None and nxt[2] in _NOMINAL
        # Inside an unknown name jieba tags pieces as verbs (云南 建/v 投 设计院, 茶机 制造/v 有限公司,
        # 思茅区 振兴/v 大道): kept when a name or a lone character comes before and a noun after;
        # a phrase holding one must end in an organisation or a place word (below).
        prev = words[i - 1] if i else None
        after = words[i + 2] if i + 2 < len(words) else None
        noun_next = nxt is not None and (nxt[2] in _NOMINAL or (  # 就业 促进 科: two verbs before the noun
            nxt[2] in ("v", "vn") and nxt[1] - nxt[0] <= 2 and after is not None and after[2] in _NOMINAL))
        soft = bool(cur) and len(w) <= 2 and f in ("v", "a", "k") and noun_next and (
            prev[2] in ("ns", "nz", "nr", "j") or prev[1] - prev[0] == 1 or norm[prev[1] - 1] in _HEAD_CHARS
            or (prev[0], prev[1]) in verbs)
        if soft:
            verbs.add((s, e))
        if nominal or number or ordinal or joint or soft:
            cur.append((s, e))
        else:
            if cur:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    flag = {(s, e): f for s, e, f in words}
    out = set()
    for run in runs:
        while run and norm[run[-1][0]:run[-1][1]] in _JOIN:
            run = run[:-1]
        # Every tail of the run, and every stretch ending in a name or a head word: jieba sometimes tags the
        # verb after a name as a noun (深圳证券交易所 上市/ns), so the run can overshoot the phrase.
        ends = [j for j, w in enumerate(run) if j == len(run) - 1 or flag.get(w) in ("nt", "ns", "nz")
                or norm[w[1] - 1] in _HEAD_CHARS]
        for i in range(len(run)):
            if norm[run[i][0]:run[i][1]] in _JOIN:
                continue
            for j in ends:
                if j >= i and (not verbs.intersection(run[i:j + 1]) or named(norm[run[i][0]:run[j][1]])):
                    out.add((run[i][0], run[j][1]))
    return tuple(sorted((s, e) for s, e in out if e - s >= 2))


def role_phrases(text: str, kind: str) -> list[tuple[int, int, float]]:
    """(start, end, specificity) of noun phrases that can answer a who / which-organisation / where question."""
    from .spans import ORG, PERSON, PLACE

    norm = normalize(text)
    head = {ORG: _ORG_HEAD, PERSON: _PERSON_HEAD, PLACE: _PLACE_HEAD}[kind]
    out = []
    for s, e in noun_phrases(text):
        before = norm[max(0, s - 3):s]
        after_prep = before.endswith(LOCATIVE if kind == PLACE else AGENT)
        if head.search(norm[s:e]) or (kind == PERSON and _ORG_HEAD.search(norm[s:e])) or after_prep:
            out.append((s, e, 0.9 + 0.3 * after_prep))
    return out


def phone_spans(text: str) -> list[tuple[int, int, float]]:
    """(start, end, 1.0) of each phone number (0879-2123345, 400-872-6655, a mobile number) and of each
    service number the text calls a hotline or a phone (“12351”热线 -> 12351, 拨打12345)."""
    norm = normalize(text)
    out = {(m.start(), m.end()) for m in PHONE_RE.finditer(norm)}
    for m in _SERVICE_RE.finditer(norm):
        g = 1 if m.group(1) else 2
        out.add((m.start(g), m.end(g)))
    return [(s, e, 1.0) for s, e in sorted(out)]
