"""How sure an answer is: a few signals a reader would check, combined by a small logistic model.

Coverage alone (how much of the question, IDF-weighted, the evidence passage holds; qa/answer.py)
cannot tell a near-topic question from a paraphrase: 值班人员的交通补贴是多少？ shares every word but
one with a passage about 餐费补贴, while 值班的员工吃饭能补多少钱？ shares few. So two
signals about *what* is missing are added:

- focus: the words right next to the question word (交通补贴 in 交通补贴是多少, 奖金 in
  每户能领多少奖金) name what is asked; the evidence sentence must hold each of them (a word whose
  characters are all there, reordered or split, counts half). A question whose asked thing is absent
  from the sentence is usually asking about something the knowledge base does not state.
- a number the question names (a year, a model number) that the evidence passage never mentions:
  2023年发放了多少 asked of a notice about 2024 is another year's question.

The weights (qa/models/refusal.json) are fitted by `scripts/train_refusal.py` on the CMRC 2018 trial
set (each question also asked with its own paragraph removed, as a negative) and the realistic set's
dev split; the score is the model's probability that the evidence answers, so 0.5 means even odds.
Where the refusal threshold lies is still fitted per index (qa/calibrate.py).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

import numpy as np

from .ranker import MODELS
from .text import QUESTION_WORDS, jieba_tokenizer, normalize

FEATURES = ("coverage", "focus", "digits_missing")

# The question word, longest first; 吗/呢/请问 mark a question without naming what is asked.
_WH = re.compile("|".join(sorted(map(re.escape, {*QUESTION_WORDS, "多高", "多重", "多远", "多宽", "多深", "几点", "何年"}
                                     - {"吗", "呢", "请问", "是否"}), key=len, reverse=True)))
# A yes-no or either-or question asks about what comes right before its particle (能喝咖啡吗 -> 咖啡).
_YESNO = re.compile(r"会不会|是不是|能不能|有没有|可不可以|要不要|还是|[吗呢么]$")
_ADVERBIAL = re.compile(r"为什么|为何|怎么样?|怎样|如何|什么时候|什么时间|何时|哪一?天|哪一?年|几点|多久|多长时间")
_COUNTERS = set("个元米人次天年月日岁块张名位件台辆户亩吨克斤升度分秒倍家所座种只头层条本部首场届支队套篇字号点周")
_UNITS = {"小时", "分钟", "公里", "千米", "厘米", "毫米", "平方米", "平方公里", "公斤", "千克", "公顷", "摄氏度", "个月", "星期",
          "周年", "万元", "亿元", "美元", "人次", "块钱"}
# Words that sit between the question word and what it asks about without naming it (能领多少, 是什么).
_FILLER = {"的", "了", "吗", "呢", "啊", "呀", "吧", "是", "有", "在", "和", "与", "及", "或", "能", "要", "会", "可以",
           "需要", "这", "那", "这个", "那个", "这次", "这回", "每", "个", "一", "都", "还", "就", "也", "又", "现在",
           "目前", "一共", "大概", "大约", "总共", "今年", "到底", "为", "共", "约", "该", "应", "得"}
_MODALS = "能要会可应该得需"
_PUNCT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
MAX_BEFORE = 3  # words taken from before the question word: a noun phrase rarely runs longer


@functools.lru_cache(maxsize=512)
def focus_words(question: str) -> tuple[str, ...]:
    """The content words next to the question word: what the question asks about.

    After the question word: the last word of its clause (多少慰问金 -> 慰问金). Before it: the noun
    phrase that ends there, back to 的 or punctuation (交通补贴是多少 -> 交通, 补贴). A question without
    a question word is read from its yes-no particle (北京今天会下雨吗 -> 下雨).
    """
    norm = normalize(question).rstrip("？?。.！! ")
    m = _WH.search(norm) or _YESNO.search(norm)
    if not m:
        return ()
    words, at = [], 0
    for w in jieba_tokenizer().cut(norm):
        words.append((at, at + len(w), w))
        at += len(w)
    # After it, the clause's last content word is its head (多少慰问金, 谁担任本次活动的主持人 -> 主持人).
    after = []
    for a, _, w in words:
        if a < m.end():
            continue
        if _PUNCT.fullmatch(w):
            break
        after.append(w)
    # A lone character there is the thing asked (多少水) unless it only counts or measures it (多少米, 几个小时).
    out = [w for w in after if w not in _FILLER and w not in _COUNTERS and w not in _UNITS][-1:]
    run: list[str] = []
    tail = [w for w in after if w not in _FILLER]
    if _ADVERBIAL.fullmatch(m.group()) and tail:
        # 为什么 / 何时 ... modify the predicate after them: the subject before is context. A question
        # ending in one (巴黎明天的天气怎么样) asks about what comes before it.
        before: list[tuple[int, int, str]] = []
        out = tail[-2:]
    else:
        before = [x for x in words if x[1] <= m.start()]
    for _, b, w in reversed(before):
        if _PUNCT.fullmatch(w) or w == "的" or (w.startswith("每") and run):
            break
        if w in _FILLER or w.startswith("每"):  # 每人 / 每户 say how it is shared, not what
            if run:
                break
            continue  # fillers right before the question word (能领, 是) are skipped
        run.append(w)
        if len(run) >= MAX_BEFORE:
            break
    # A modal glued to its verb (能领, 要花) is not what is asked about, nor is a lone verb (领, 花).
    run = [w.strip(_MODALS) for w in run]  # jieba glues modals on either side (能领, 前要)
    # A number is context the passage must hold (`digits_missing`), not the thing asked.
    found = [w for w in out + [w for w in run if len(w) > 1] if w and not _PUNCT.fullmatch(w) and not w.isdigit()]
    if not found:  # only a verb and a measure (高铁要坐几个小时): the nearest word before them
        found = [w for _, _, w in reversed(before)
                 if len(w) > 1 and w not in _FILLER and not _PUNCT.fullmatch(w) and not w.isdigit()][:1]
    return tuple(found)


def focus_share(question: str, sentence: str) -> float:
    """1 when the evidence sentence holds every focus word; 0.5 for a word whose characters are all
    there but not together; 0 when one is missing altogether (the least held word decides)."""
    norm = normalize(sentence)
    held = [1.0 if w in norm else 0.5 if all(c in norm for c in w) else 0.0 for w in focus_words(question)]
    return min(held, default=1.0)


def digits_missing(question: str, passage: str) -> bool:
    """Whether the question names a number (a year, a model number) that the passage never mentions."""
    norm = normalize(passage)
    return any(d not in norm for d in _DIGITS.findall(normalize(question)))


@dataclass(frozen=True)
class RefusalModel:
    """Logistic regression over `features`: probability = sigmoid(bias + weights . x)."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float

    def probability(self, x: np.ndarray) -> float:
        z = self.bias + float(np.dot(self.weights, x))
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_json(self) -> dict:
        return {"features": list(self.features), "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(self.bias, 6)}


MODEL = "refusal"


@functools.lru_cache(maxsize=4)
def load_model(name: str = MODEL) -> RefusalModel:
    """The shipped refusal model; one whose features differ from `FEATURES` is an error, not a silent misfit."""
    data = json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{name}.json was trained on features {data['features']}, the code computes {list(FEATURES)}; "
                         f"re-train it with scripts/train_refusal.py")
    return RefusalModel(FEATURES, np.asarray(data["weights"], np.float64), float(data["bias"]))


def features(coverage: float, question: str, sentence: str, passage: str) -> np.ndarray:
    """The model's inputs, in `FEATURES` order."""
    return np.array([coverage, focus_share(question, sentence), digits_missing(question, passage)], np.float64)


def answer_probability(coverage: float, question: str, sentence: str, passage: str) -> float:
    """How likely the evidence answers the question (0-1), from its coverage and what it lacks."""
    return load_model().probability(features(coverage, question, sentence, passage))
