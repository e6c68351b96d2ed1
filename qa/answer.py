"""Extractive answers: the evidence sentence, the answering span, and abstention.

1. Every sentence of the top passages is scored by the question's character
   uni/bigrams it contains, each weighted by corpus IDF times passage-local IDF
   (a word in every sentence of the passage says nothing about which one
   answers). Words of the passage's topic (its title) are left out: they
   match every sentence, so they would only reward long ones. Small bonuses go
   to sentences that hold a phrase of the asked type (a date for 何时, an amount
   in 元 for 多少钱, ...), to dense similarity with the question, and to an
   article's lead when the question only names its topic; a document pays for
   its fused retrieval score's gap to the first hit.
2. The shown answer is the window of whole clauses around that sentence that
   best covers the question, up to `Settings.max_answer_chars`: long
   sentences are trimmed to their densest clauses, short ones widened with a
   neighbouring clause, since answers often sit just beside the matched words.
3. Confidence starts from how much of the question (IDF weighted) the evidence
   passage covers, blended with dense similarity, and is weighed (qa/confidence.py)
   with whether the evidence sentence holds what the question asks about; below
   the index's refusal threshold (fitted per index by qa/calibrate.py, or
   `Settings.min_confidence`) the answer is NOT_FOUND.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .config import DEFAULT_MIN_CONFIDENCE, Settings
from .confidence import answer_probability
from .query import Query
from .short import short_span
from .spans import NUMBER, REGEX_KINDS, candidate_spans, has_span
from .stores import Store
from .text import char_tokens, clause_spans, normalize, strip_question_words
from .sources import cite
from .types import NOT_FOUND, Answer, Hit


@dataclass(frozen=True)
class AnswerWeights:
    """Sentence-choice and confidence weights, measured on the CMRC 2018 trial set."""

    passages: int = 3  # how many top hits to take sentences from
    gap_penalty: float = 1.0  # times the fused-score gap of the document's best hit to the first hit
    type_bonus: float = 0.12  # the sentence holds a phrase of the asked type
    dense: float = 0.25  # times the sentence-question cosine
    lead_bonus: float = 0.3  # the article's opening sentences, for questions only about its topic
    lead_chars: int = 60
    unigram: float = 0.5  # a single character says less than a bigram
    # Confidence = cover_weight * passage coverage + (1 - cover_weight) * dense cosine of the best sentence.
    cover_weight: float = 0.8
    cover_power: float = 2.0
    # Answer window: rewards for staying in the chosen sentence, for filling the length budget, for holding a typed phrase.
    window_own: float = 2.0
    window_fill: float = 0.15
    window_type: float = 0.3
    window_over: float = 1.0  # per max_chars beyond max_chars
    window_cap: float = 2.0  # times max_chars: never longer


DEFAULT_WEIGHTS = AnswerWeights()

# Particles, prepositions, conjunctions and light verbs, as single characters: they do not say which
# sentence answers (幸福里小区在哪里 -> 在 matched any sentence with 在), so sentence choice leaves them
# out; bigrams holding them still count. Trial answer hit 0.832 -> 0.838; realistic dev (refusal off) 0.818 -> 0.826.
_FUNCTION_CHARS = frozenset("的了是在和与及或被把将也都就而之其于对从以由为着过吗呢吧等要会能有给来去")


@dataclass(frozen=True)
class _Sentence:
    rank: int
    start: int
    end: int
    score: float
    cover: float


@dataclass(frozen=True)
class Evidence:
    """Where the answer is: the window [start, end) of hit `rank`'s text, its best sentence `core` (within
    the window) and how confident the choice is."""

    rank: int
    start: int
    end: int
    core: tuple[int, int]
    confidence: float
    sentence_cover: float = 0.0  # IDF-weighted share of the question in the best sentence
    dense: float = 0.0  # cosine of the question and the best sentence
    unknown: float = 0.0  # share of the question's bigrams that no passage of the index holds


def answer_question(query: Query, hits: list[Hit], store: Store, qvec: np.ndarray | None, settings: Settings,
                    weights: AnswerWeights = DEFAULT_WEIGHTS) -> Answer:
    """The best evidence among `hits`, its short answer and the citations; NOT_FOUND when evidence is weak.

    A refusal still cites the closest passages (可能相关), so the user can check for themselves.
    """
    ev = choose_evidence(query, hits, store, qvec, settings.max_answer_chars, weights)
    threshold = DEFAULT_MIN_CONFIDENCE if settings.min_confidence is None else settings.min_confidence
    confidence = _answer_probability(query, hits, ev) if ev is not None else 0.0
    if ev is None or confidence < threshold:
        return Answer(query.text, NOT_FOUND, False, cite(hits), None, confidence, understood=query.understood)
    text = hits[ev.rank].passage.text[ev.start:ev.end]
    span, _ = short_span(text, query.understood, ev.core)
    short = text[span[0]:span[1]] if span else ""
    return Answer(query.text, text, True, cite(hits, ev.rank, (ev.start, ev.end)), span, confidence, short, query.understood)


def _answer_probability(query: Query, hits: list[Hit], ev: Evidence) -> float:
    """The answer's confidence: the evidence's coverage (`_confidence`) weighed with whether its best
    sentence holds what the question asks about (qa/confidence.py)."""
    passage = hits[ev.rank].passage
    sentence = passage.text[ev.start:ev.end][ev.core[0]:ev.core[1]]
    return answer_probability(ev.confidence, query.understood, sentence, f"{passage.title}\n{passage.text}")


def choose_evidence(query: Query, hits: list[Hit], store: Store, qvec: np.ndarray | None, max_chars: int,
                    weights: AnswerWeights = DEFAULT_WEIGHTS) -> Evidence | None:
    """The sentence that best answers the question, widened or trimmed to a window of whole clauses."""
    question = query.understood
    q_toks = list(dict.fromkeys(query.chars))
    if not hits or not q_toks:
        return None
    raw_idf = dict(zip(q_toks, store.idf(q_toks).tolist()))
    idf = {t: v * (weights.unigram if len(t) == 1 else 1.0) for t, v in raw_idf.items()}
    idf = {t: v for t, v in idf.items() if t not in _FUNCTION_CHARS} or idf
    kind = query.kind
    q = qvec.astype(np.float32).ravel() if qvec is not None else None

    best: _Sentence | None = None
    best_dense = 0.0
    # The penalty is by document (its best hit's fused-score gap to the first hit): passages of one
    # article compete on their sentences alone. A fixed penalty per document rank (0.5) ruled out a
    # near-tied second article (realistic, refusal off: answer hit 0.805 -> 0.815 with the gap).
    doc_gap = {h.passage.doc_id: hits[0].score - h.score for h in reversed(hits)}
    for rank, hit in enumerate(hits[: weights.passages]):
        spans, vecs = store.sentences(hit.pid)
        if not len(spans):
            continue
        text = hit.passage.text
        sents = [set(char_tokens(text[s:e])) for s, e in spans.tolist()]
        topic = _topic(question, q_toks, hit.passage.title)
        w = _weights(idf, sents, topic)
        total = sum(w.values()) or 1.0
        # A question only about the article's topic (什么是X; when did <headline> happen) is answered by its lead.
        lead = weights.lead_bonus if hit.passage.position == 0 and topic >= set(idf) else 0.0
        dense = vecs @ q if q is not None else np.zeros(len(spans), np.float32)
        for (s, e), toks, d in zip(spans.tolist(), sents, dense.tolist()):
            cover = sum(v for t, v in w.items() if t in toks) / total
            typed = weights.type_bonus if kind and _has_new_span(text[s:e], kind, question) else 0.0
            score = (cover + typed + weights.dense * d - weights.gap_penalty * doc_gap[hit.passage.doc_id]
                     + (lead if s < weights.lead_chars else 0.0))
            if best is None or score > best.score:
                best, best_dense = _Sentence(rank, s, e, score, cover), d

    if best is None:
        return None
    hit = hits[best.rank]
    confidence = _confidence(raw_idf, hit, best_dense, weights)
    start, end = _window(hit.passage.text, best.start, best.end, idf, _topic(question, q_toks, hit.passage.title),
                         kind, question, max_chars, weights)
    core = (max(best.start, start) - start, max(min(best.end, end) - start, 0))
    bigrams = [t for t in q_toks if len(t) == 2]
    n = max(len(store), 1)
    unknown = sum(raw_idf[t] >= math.log(1.0 + (n + 0.5) / 0.5) - 1e-9 for t in bigrams) / max(len(bigrams), 1)
    return Evidence(best.rank, start, end, core, confidence, best.cover, best_dense, unknown)


def _topic(question: str, q_toks: list[str], title: str) -> set[str]:
    """The question's tokens that only name the passage's topic (its title).

    Characters of the question that belong to a bigram of the title are blanked
    out before tokenising, so tokens that straddle the topic and the next word
    (严长寿的 -> 寿的) go too: they would match wherever the topic is followed by 的.
    """
    title_bigrams = {t for t in char_tokens(title) if len(t) == 2}
    norm = strip_question_words(normalize(question))
    masked = list(norm)
    for i in range(len(norm) - 1):
        if norm[i:i + 2] in title_bigrams:
            masked[i] = masked[i + 1] = " "
    return set(q_toks) - set(char_tokens("".join(masked)))


def _weights(idf: dict[str, float], sents: list[set[str]], topic: set[str]) -> dict[str, float]:
    """Corpus IDF times passage-local IDF of each question token; topic tokens get none."""
    n = len(sents)
    out = {}
    for t, v in idf.items():
        df = sum(t in s for s in sents)
        if df and t not in topic:
            out[t] = v * math.log(1.0 + n / df)
    if not out and set(idf) <= topic:  # the question is only about the topic: then its words are all we have
        out = {t: v for t, v in idf.items() if any(t in s for s in sents)}
    # Tokens absent from the passage still count in the total, so a sentence never covers more than the passage does.
    out.update({t: v * math.log(1.0 + n) for t, v in idf.items() if t not in out and t not in topic})
    return out


# A counter right after 多少/几 names the unit of the answer (多少人 -> 1268人, 几次 -> 8次); 钱 asks for money.
# 第几名 asks for a rank, not a count.
_COUNTER = re.compile(r"(?:多少|(?<!第)几)(钱|[人次户名位元个项家台辆件条场届天年岁米吨斤升层])")
_MONEY = re.compile(r"元|块")


def _has_new_span(text: str, kind: str, question: str) -> bool:
    """Whether `text` holds a phrase of the asked type that the question does not already say.

    Only regex-found types: tagging every sentence with jieba.posseg would cost more than the bonus is
    worth. When the question names its counter, the quantity must be counted in it (or in money for 钱).
    """
    if kind not in REGEX_KINDS:
        return False
    m = _COUNTER.search(normalize(question)) if kind == NUMBER else None
    if m is None:
        return has_span(text, kind, question)
    unit = _MONEY if m.group(1) == "钱" else re.compile(re.escape(m.group(1)))
    # The quantity must be new to the question as well as counted in the asked unit.
    return any(unit.search(p) and has_span(p, kind, question) for p in (text[s:e] for s, e, _ in candidate_spans(text, kind)))


def _confidence(idf: dict[str, float], hit: Hit, dense: float, weights: AnswerWeights) -> float:
    """How much of the question the passage (with its title) covers, blended with dense similarity.

    Tokens weigh IDF squared: a question about a name the corpus never
    mentions should fail on that name, however many common words match.
    """
    toks = set(char_tokens(f"{hit.passage.title}\n{hit.passage.text}"))
    w = {t: v ** weights.cover_power for t, v in idf.items()}
    cover = sum(v for t, v in w.items() if t in toks) / (sum(w.values()) or 1.0)
    c = weights.cover_weight * cover + (1.0 - weights.cover_weight) * max(dense, 0.0)
    return float(min(max(c, 0.0), 1.0))


def _window(text: str, s: int, e: int, idf: dict[str, float], topic: set[str], kind: str | None,
            question: str, max_chars: int, weights: AnswerWeights = DEFAULT_WEIGHTS) -> tuple[int, int]:
    """The run of whole clauses around the best clause of sentence [s, e) that best covers the question within `max_chars`."""
    clauses = clause_spans(text)
    inside = [i for i, (a, b) in enumerate(clauses) if a < e and b > s]
    if not inside:
        return s, e
    w = {t: v for t, v in idf.items() if t not in topic} or idf
    total = sum(w.values()) or 1.0
    toks = [set(char_tokens(text[a:b])) for a, b in clauses]
    core = max(inside, key=lambda i: (sum(v for t, v in w.items() if t in toks[i]), -i))
    best, best_score = clauses[core], float("-inf")
    cap = int(max_chars * weights.window_cap)
    for i in range(core, -1, -1):
        if clauses[core][1] - clauses[i][0] > cap and i < core:
            break
        seen: set[str] = set()
        for j in range(i, len(clauses)):
            a, b = clauses[i][0], clauses[j][1]
            if b - a > cap and j > core:
                break
            seen |= toks[j]
            if j < core:
                continue
            covered = sum(v for t, v in w.items() if t in seen) / total
            recall = (min(b, e) - max(a, s)) / (e - s)
            score = (covered + weights.window_own * recall + weights.window_fill * min(b - a, max_chars) / max_chars
                     - weights.window_over * max(b - a - max_chars, 0) / max_chars)
            if kind and _has_new_span(text[a:b], kind, question):
                score += weights.window_type
            if score > best_score:
                best, best_score = (a, b), score
    a, b = best
    while b > a and text[b - 1] in "，,、：:；; ":
        b -= 1
    if b - a > cap:  # one very long clause: keep the part around the matched words
        a, b = _clip(text, a, b, w, cap)
    return a, b


def _clip(text: str, a: int, b: int, w: dict[str, float], max_chars: int) -> tuple[int, int]:
    anchors = _anchors(text[a:b], w)
    mid = (anchors[0][0] + anchors[-1][1]) // 2 + a if anchors else a + max_chars // 2
    lo = max(a, min(mid - max_chars // 2, b - max_chars))
    return lo, min(b, lo + max_chars)


def _anchors(text: str, w: dict[str, float]) -> list[tuple[int, int]]:
    """Where the question's bigrams occur in `text`."""
    norm = normalize(text)
    out = []
    for t in w:
        if len(t) >= 2:
            i = norm.find(t)
            while i >= 0:
                out.append((i, i + len(t)))
                i = norm.find(t, i + 1)
    return sorted(out)


def calibrate_threshold(positives: list[float], negatives: list[float], keep: float = 0.97) -> float:
    """The highest confidence threshold that still keeps a `keep` share of `positives` found.

    `negatives` are only reported against, not fitted: the threshold is the
    (1 - keep) quantile of the positive confidences, so it rejects as many
    negatives as that keep rate allows.
    """
    if not positives:
        raise ValueError("calibrate_threshold needs at least one positive confidence")
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    pos = np.sort(np.asarray(positives, dtype=np.float64))
    k = int(math.floor((1.0 - keep) * len(pos) + 1e-9))
    return float(pos[min(k, len(pos) - 1)])
