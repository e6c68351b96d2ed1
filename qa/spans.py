"""Question typing and answer spans: what kind of answer a question asks for, and where it is in a sentence.

The type comes from the question word (何时 asks for a time, 多少 for a number,
谁 for a person, ...). Spans are found with regexes for dates and quantities,
which jieba's part-of-speech tags split into pieces, and with jieba.posseg tags
for names (nr), places (ns) and organisations (nt).
"""
from __future__ import annotations

import functools
import itertools
import re

from .text import normalize

TIME, NUMBER, PERSON, PLACE, ORG = "time", "number", "person", "place", "org"

# Checked in order: the longer, more specific question words first (几月 is a
# time before 几 is a number; 哪个单位 an organisation before 哪个 anything).
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    (ORG, r"哪个单位|哪些单位|哪家|哪个组织|什么组织|什么机构|哪个机构|哪个部门|什么部门|哪个公司|什么公司|哪所|哪个团队|哪支"),
    (TIME, r"何时|什么时候|什么时间|哪年|哪一年|哪个年|哪天|哪一天|几月|几号|几日|哪个月|哪月|何年|哪个朝代|什么朝代|哪个时期|什么年代|哪个世纪|几点|什么时段|哪个时段|哪些时段|哪段时间"),
    (PERSON, r"谁|哪位|哪一位|何人|哪个人|哪些人"),
    (PLACE, r"哪里|哪儿|在哪|何地|何处|哪个国家|哪国|哪个城市|哪座|哪个省|哪个地区|哪个[县市区镇乡村州]|哪个街道|哪个社区|什么地方|哪个地方|去哪|哪几个地方|哪些地方|哪几个城市|哪些城市"),
    # 哪几个X asks which ones, not how many.
    # 有多沉, 烧到多热, 会有多吵 ask for a measure too (after 有/到/要..., so 许多热心 is not one).
    (NUMBER, (r"多少|(?<!哪)几|多大|多长|多高|多重|多远|多久|多宽|多深|多厚|多快|多老|第几"
              r"|(?<=[有到要会得能是够])多(?:沉|热|冷|烫|吵|响|贵|低|粗|细|窄|近|亮|暗|矮|轻|大声)")),
)
_TYPE_RES = [(t, re.compile(p)) for t, p in _TYPE_WORDS]

_CN = "零〇一二两三四五六七八九十百千万亿"
_NUM = rf"(?:\d+(?:[.,．]\d+)*|[{_CN}]+|半)"
_ERA = r"(?:公元前?|前)?"
# Dates and time expressions, from most to least specific; ranges (自...起至...) are joined afterwards.
_DAYPART = r"(?:次日|当日|当天|每天|每日|上午|下午|晚上|早上|中午|凌晨|傍晚|夜间)"
_DATE = re.compile(
    # Relative to an event: 满一年后, 3个工作日内.
    rf"(?:满|届满){_NUM}个?(?:年|月|天|周|小时|工作日)(?:后|以后|之后)?|{_NUM}个?(?:工作日|小时|天|周|个月)(?:内|以内|之内)"
    rf"|{_ERA}{_NUM}年(?:{_NUM}月(?:{_NUM}[日号])?)?(?:[初底末中]|代(?:[初末中]期?|以来|以后|之后|之前)?|前后|以来|以后|之后|之前|左右)?"
    # 2月5日（正月初八）, 1月26日（星期日）: the day's name belongs to the date.
    rf"|{_NUM}月{_NUM}[日号](?:[（(](?:星期|周|农历|正月|腊月|初)[^）)]{{1,6}}[）)])?|{_NUM}月份|{_NUM}月[初底末中](?:前|后)?|{_NUM}月{_NUM}?"
    rf"|{_NUM}[日号](?=[，,。、起至到])"
    rf"|{_ERA}{_NUM}世纪(?:{_NUM}年代)?(?:[初末中]期?|上半叶|下半叶|以来|以后|之后|之前)?"
    # Clock times: 上午10:00, 每日8:30, 下午3点半.
    rf"|{_DAYPART}?\d{{1,2}}[:：]\d{{2}}|{_DAYPART}{_NUM}[点时](?:半|{_NUM}分)?"
    r"|(?:正月|腊月)(?:初|十|廿|二十)?[一二三四五六七八九十]{1,2}|除夕"
    r"|即日起?|近日|日前|目前|当前|今年|去年|明年|前年|本月|上月|下月|今天|昨天|明天|当天|次日|同年|当年|此前|随后"
    r"|[春夏秋冬][季天]|(?:元旦|春节|国庆|中秋|端午|清明)(?:期间|前后|假期)?"
    r"|[\u4e00-\u9fff]{1,2}(?:朝|代)(?=[，,。时期间末初年])|[\u4e00-\u9fff]{2}年间"
)
_RANGE_GLUE = re.compile(r"^\s*(?:起)?\s*(?:至|到|—|–|-|~|～)\s*$")
# Quantities: a number, an optional magnitude and a unit or counter word.
# Units and counter words, longest first (12个月 is one quantity, not 12个 and a stray 月).
_UNITS = ("人次 万人 人 名 位 元 美元 港元 欧元 英镑 日元 日圆 块 亿元 万元 个 项 次 家 所 座 台 辆 架 艘 件 条 本 部 首 场 届 支 队 套 张 "
          "米 公里 千米 厘米 毫米 公尺 公分 英尺 英寸 英里 海里 平方公里 平方米 公顷 亩 吨 千克 公斤 克 斤 升 毫升 度 摄氏度 ℃ % ％ 倍 分钟 小时 秒 天 日 周 "
          "个月 月 年 岁 代 层 集 章 卷 期 种 只 头 匹 株 级 页 分 票 枚 颗 户 篇 字 码 马力 瓦 伏 赫兹 分贝 欧姆 转 圈 款 股 积分 "
          "栋 幢 单元 间 份 批 例 起 宗 处 门 班 节 桶 瓶 袋 箱 包 盒 罐 斤 两 个工作日 工作日 个小时 个百分点 百分点 周岁 km kg m cm mm").split()
_UNIT = "(?:" + "|".join(sorted(set(map(re.escape, _UNITS)), key=len, reverse=True)) + ")"
_QUANT_CORE = rf"{_NUM}(?:多|余|几)?(?:[万亿千百]|万亿)?(?:多|余)?{_UNIT}?"
# A quantity with what qualifies it: 约/每/不大于 before, 以上/以内/左右 after, and a range 30至35公斤 as one.
_QUANTITY = re.compile(
    rf"[{_CN}]+分之[{_CN}]+(?:以上|以下|左右)?"
    rf"|(?:约|近|超过|逾|共|达|第|每|不大于|不小于|不超过|不少于|不低于|不高于|至少|最多|最少|仅|高达|累计)?{_QUANT_CORE}"
    rf"(?:(?:至|到|—|–|~|～|-){_QUANT_CORE})?(?:多|余|左右|以上|以下|以内|之内|内|及以上|及以下|上下|整)?"
)
_ORG_SUFFIX = re.compile(
    r"(?:公司|集团|大学|学院|学校|中学|研究院|研究所|委员会|工会|协会|学会|联合会|基金会|银行|医院|政府|法院|部|局|厅|署|办公室|中心|俱乐部|乐团|电视台|报社|出版社|组织|队)$"
)
# Single characters that end a name rather than continue it (李明在 -> 李明).
_NOT_IN_NAME = set("的了是在和与及或被把将也都就而之其于对从以由为着过吗呢吧等说曾已又还并向给跟同")
# The commonest surnames (over 85% of people) and titles that come right before a name.
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
TITLES = ("记者", "经理", "主任", "局长", "书记", "董事长", "主席", "部长", "处长", "科长", "厂长", "院长", "校长",
           "市长", "县长", "区长", "镇长", "村长", "会长", "秘书长", "总监", "教授", "委员", "主持人", "通讯员", "联系人",
           "秘书", "总监", "会计", "干事", "专员", "助理", "组长", "班长", "队长", "站长", "所长", "行长", "律师", "医生", "老师", "工程师")
# Types found by regex are cheap enough to test every sentence for; tagged ones only the chosen answer.
REGEX_KINDS = (TIME, NUMBER)
_POS_OF = {PERSON: ("nr",), PLACE: ("ns",), ORG: ("nt",)}


def question_type(question: str) -> str | None:
    """TIME, NUMBER, PERSON, PLACE, ORG, or None when the question word does not say."""
    q = normalize(question)
    for kind, pattern in _TYPE_RES:
        if pattern.search(q):
            return kind
    return None


@functools.lru_cache(maxsize=1)
def _posseg():
    import jieba.posseg

    from .text import jieba_tokenizer

    return jieba.posseg.POSTokenizer(jieba_tokenizer())


def tagged(text: str) -> list[tuple[int, int, str]]:
    """(start, end, flag) of each jieba.posseg word of `text`.

    Cached: the short answer's candidates, noun phrases and typed names all read the same window's tags.
    """
    return list(_tagged(text))


@functools.lru_cache(maxsize=64)
def _tagged(text: str) -> tuple[tuple[int, int, str], ...]:
    """The tags, without jieba's HMM, which costs ~15 ms per sentence; unknown names then
    come out as a surname (nr) and single characters, joined back here.
    """
    out: list[tuple[int, int, str]] = []
    norm = normalize(text)
    pos = 0
    for w in _posseg().cut(norm, HMM=False):
        s, e = pos, pos + len(w.word)
        pos = e
        prev = out[-1] if out else None
        # A surname jieba left on its own (白 a, 段 q, 马 n) before a given name of one or two characters:
        # tagged as a name (莹 nr, 志强 nr), or after a title (经理马俊, 记者白莹).
        surname = prev is not None and prev[1] - prev[0] == 1 and norm[prev[0]] in _SURNAMES and (
            prev[2] == "nr" or w.flag.startswith("nr") or len(out) >= 2 and norm[out[-2][0]:out[-2][1]].endswith(TITLES))
        if (surname and 1 <= e - s <= 2 and w.flag not in ("x", "m", "eng", "v", "p", "c", "u", "uj", "ul")
                and w.word not in _NOT_IN_NAME and w.word[0] not in _NOT_IN_NAME):
            out[-1] = (prev[0], e, "nr")
        elif out and out[-1][2] == "nr" and out[-1][1] - out[-1][0] + (e - s) <= 3 and e - s == 1 and w.flag not in ("x", "m", "eng") and w.word not in _NOT_IN_NAME:
            out[-1] = (out[-1][0], e, "nr")
        elif out and w.flag.startswith("nr") and len(out) >= 2 and text[out[-1][0]:out[-1][1]] == "·" and out[-2][2] == "nr":
            out[-2:] = [(out[-2][0], e, "nr")]
        else:
            out.append((s, e, "nr" if w.flag in ("nr", "nrt", "nrfg") else w.flag))
    return tuple(out)


def _time_spans(norm: str) -> list[tuple[int, int, float]]:
    spans = []
    for m in _DATE.finditer(norm):
        s, e, g = m.start(), m.end(), m.group()
        if re.fullmatch(rf"{_NUM}|[千百万亿]年.*|{_NUM}月", g):
            continue  # 千年茶源 is not a year; a bare 6月 only counts after a year (kept by the first pattern)
        # Specificity: a full date or a stated start says more than a bare year or "recently".
        spec = 1.0 + ("年" in g and "月" in g) * 0.5 + bool(re.search(r"[日号]$", g)) * 0.5
        spec += 0.8 if g.startswith("即日") else 0.0
        if g in ("近日", "日前", "目前", "当前", "此前", "随后"):
            spec = 0.5
        spans.append((s, e, spec))
    # Join "A 至 B" ranges into one span, and take a leading 自/从.
    joined: list[tuple[int, int, float]] = []
    ranges = set()
    for s, e, spec in spans:
        if joined and _RANGE_GLUE.match(norm[joined[-1][1]:s]) and s - joined[-1][1] <= 3:
            ps, _, pspec = joined[-1]
            joined[-1] = (ps, e, max(pspec, spec) + 0.5)
            ranges.add(ps)
        else:
            joined.append((s, e, spec))
    # Ranges listed with 、/和/及 are one answer too (每天8:00至12:00、14:30至18:00), saying more than either.
    listed = [(s, e2, max(p1, p2) + 0.3) for (s, e, p1), (s2, e2, p2) in itertools.pairwise(joined)
              if s in ranges and s2 in ranges and norm[e:s2] in ("、", "和", "及", ",")]
    return [(s - 1 if s and norm[s - 1] in "自从" else s, e, spec) for s, e, spec in joined + listed]


_ASKS_START = re.compile(r"开始|起始|从哪|从什么时候|何时起|哪天起|什么时候起")
_ASKS_END = re.compile(r"截止|截至|结束|到期|为止|闭幕|有效期|到什么时候|至什么时候|到哪天|到几号|最晚")


def asks_bound(question: str) -> str | None:
    """"start" for 从哪天开始, "end" for 哪天截止, else None."""
    q = normalize(question)
    start, end = bool(_ASKS_START.search(q)), bool(_ASKS_END.search(q))
    return None if start == end else "start" if start else "end"


def at_bound(text: str, span: tuple[int, int], bound: str) -> bool:
    """Whether the time at `span` is marked as a start (自/从 X 起) or an end (至/到 X 止, 截至 X)."""
    norm = normalize(text)
    s, e = span
    if bound == "start":
        return norm[s:s + 1] in ("自", "从") or norm[max(0, s - 1):s] in ("自", "从") or norm[e:e + 1] == "起"
    return norm[max(0, s - 2):s].endswith(("至", "到", "截至", "截止")) or norm[e:e + 1] in ("止", "前")


def range_end(text: str, span: tuple[int, int], question: str) -> tuple[int, int]:
    """The start or the end of a time range (自2024年12月20日起至2025年1月26日) when the question asks for
    one of them (从哪天开始, 哪天截止); else `span` itself."""
    q = normalize(question)
    start, end = bool(_ASKS_START.search(q)), bool(_ASKS_END.search(q))
    if start == end:
        return span
    s, e = span
    norm = normalize(text)
    parts = [m for m in _DATE.finditer(norm, s, e) if not re.fullmatch(rf"{_NUM}", m.group())]
    if len(parts) < 2 or not _RANGE_GLUE.match(norm[parts[0].end():parts[1].start()]):
        return span
    m = parts[0] if start else parts[-1]
    return m.start(), m.end()


def _number_spans(norm: str) -> list[tuple[int, int, float]]:
    out = []
    for m in _QUANTITY.finditer(norm):
        g = m.group()
        if not re.search(r"\d|[一二两三四五六七八九十百千万亿半]", g) or len(g) == 1 and g in "一":
            continue
        has_unit = not re.fullmatch(rf"{_NUM}", g)
        spec = 1.0 + 0.5 * has_unit + 0.3 * bool(re.search(r"\d", g))
        if re.search(r"[年月日]$", g) and re.match(rf"{_NUM}[月日号]", norm[m.end():m.end() + 4]) or norm[m.start() - 1:m.start()] in ("年", "月"):
            spec -= 1.0  # a piece of a date, not a quantity
        out.append((m.start(), m.end(), spec))
        # A rate of use (每工作500小时, 每消费1元): the quantity with the activity it counts, saying more.
        if has_unit and _EVERY.fullmatch(norm, max(0, m.start() - 3), m.start()):
            out.append((m.start() - 3, m.end(), spec + 0.3))
    return out


_EVERY = re.compile(r"每[\u4e00-\u9fff]{2}")


def _tag_spans(text: str, kind: str) -> list[tuple[int, int, float]]:
    flags = _POS_OF[kind]
    words = tagged(text)  # POS tagging is the costly part: once per sentence
    out: list[tuple[int, int, float]] = []
    for s, e, f in words:
        if f in flags:
            if out and out[-1][1] == s:  # adjacent names are one (e.g. 北京 + 大学)
                out[-1] = (out[-1][0], e, 1.0)
            else:
                out.append((s, e, 1.0))
    if kind == ORG:
        # A noun ending in an organisation word, with up to three nouns before it (北京 市 总工会).
        norm = normalize(text)
        for i, (s, e, f) in enumerate(words):
            if f.startswith("n") and _ORG_SUFFIX.search(norm[s:e]):
                j = i
                while j > 0 and i - j < 3 and words[j - 1][2][:1] in ("n", "j") and words[j - 1][2] != "nr":
                    j -= 1
                out.append((words[j][0], e, 0.8))
    if kind == PLACE:
        out += [(s, e, 0.6) for s, e, f in words if f == "nt"]
    return out


def candidate_spans(text: str, kind: str | None) -> list[tuple[int, int, float]]:
    """(start, end, specificity) of every phrase of `text` that could answer a `kind` question."""
    if kind is None:
        return []
    norm = normalize(text)
    if kind == TIME:
        return _time_spans(norm)
    if kind == NUMBER:
        return _number_spans(norm)
    return _tag_spans(text, kind)


def best_span(text: str, kind: str | None, question: str, anchors: list[tuple[int, int]] | None = None) -> tuple[int, int] | None:
    """The phrase of `text` most likely to answer a `kind` question: specific, not in the question, near `anchors`.

    `anchors` are (start, end) ranges of `text` that match the question's words.
    """
    q = normalize(question)
    norm = normalize(text)
    best, best_score = None, float("-inf")
    for s, e, spec in candidate_spans(text, kind):
        phrase = norm[s:e]
        if phrase in q or any(a <= s and e <= b for a, b in anchors or []):
            continue  # what the question already says is not its answer
        dist = min((max(a - e, s - b, 0) for a, b in anchors), default=0) if anchors else 0
        score = spec - 0.015 * dist
        if score > best_score:
            best, best_score = (s, e), score
    return best


_ASKS_YEAR = re.compile(r"哪一?年|何年|哪个年份|什么年份|哪一年份")
_BARE_YEAR = re.compile(rf"{_NUM}年(?!{_NUM}月)|年代|世纪")


# 多少年 / 几年 counts years (开展了30余年): a calendar year (自1992年) is when, not how long.
_ASKS_YEARS = re.compile(r"(?:多少|几)个?年(?!级|代)")
_CALENDAR_YEAR = re.compile(r"^(?:公元)?[12]\d{3}年$")


def fits(phrase: str, kind: str | None, question: str) -> bool:
    """Whether a phrase of type `kind` has the grain the question asks for (哪一年 wants a year, not a day;
    多少年 a number of years, not a calendar year)."""
    if kind == TIME and _ASKS_YEAR.search(normalize(question)):
        return bool(_BARE_YEAR.search(normalize(phrase)))
    if kind == NUMBER and _ASKS_YEARS.search(normalize(question)):
        return not _CALENDAR_YEAR.match(normalize(phrase).strip())
    return True


def has_span(text: str, kind: str | None, question: str, spans: list[tuple[int, int, float]] | None = None) -> bool:
    """Whether `text` holds a phrase of the asked type and grain that the question does not already contain.

    `spans`: candidate_spans(text, kind), when the caller has them already."""
    if kind is None:
        return False
    q = normalize(question)
    norm = normalize(text)
    if spans is None:
        spans = candidate_spans(text, kind)
    return any(norm[s:e] not in q and fits(norm[s:e], kind, question) for s, e, _ in spans)
