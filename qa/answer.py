"""Extractive answers: the evidence sentence, the answering span, and abstention.

1. Every sentence of the top passages is a candidate; a small gradient-boosted model
   (qa/evidence.py, qa/models/evidence.json) picks the one that holds the answer from
   how much of the question it covers (IDF weighted, passage-local IDF, topic words
   left out), whether it holds a phrase of the asked type, its dense similarity, its
   passage's retrieval rank and score gap, its neighbours and its place in the article.
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
from dataclasses import dataclass

import numpy as np

from .config import DEFAULT_MIN_CONFIDENCE, Settings
from .confidence import answer_probability
from .evidence import best_sentence, has_new_span, question_idf, sentence_candidates, topic_tokens
from .query import Query
from .short import short_span
from .stores import Store
from .text import char_tokens, clause_spans, normalize
from .sources import cite
from .types import NOT_FOUND, Answer, Hit


@dataclass(frozen=True)
class AnswerWeights:
    """Confidence and answer-window weights, measured on the CMRC 2018 trial set (the sentence is chosen
    by the model of qa/evidence.py)."""

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
    """The sentence that best answers the question (the learned choice of qa/evidence.py), widened or
    trimmed to a window of whole clauses."""
    question = query.understood
    q_toks = list(dict.fromkeys(query.chars))
    if not hits or not q_toks:
        return None
    raw_idf, idf = question_idf(query, store)
    cands = sentence_candidates(query, hits, store, qvec, idf)
    if cands is None:
        return None
    i = best_sentence(cands)
    rank, (s, e), cover, dense = int(cands.rank[i]), cands.span[i].tolist(), float(cands.cover[i]), float(cands.dense[i])
    hit = hits[rank]
    confidence = _confidence(raw_idf, hit, dense, weights)
    kind = query.kind
    start, end = _window(hit.passage.text, s, e, idf, topic_tokens(question, q_toks, hit.passage.title),
                         kind, question, max_chars, weights)
    core = (max(s, start) - start, max(min(e, end) - start, 0))
    bigrams = [t for t in q_toks if len(t) == 2]
    n = max(len(store), 1)
    unknown = sum(raw_idf[t] >= math.log(1.0 + (n + 0.5) / 0.5) - 1e-9 for t in bigrams) / max(len(bigrams), 1)
    return Evidence(rank, start, end, core, confidence, cover, dense, unknown)


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
            if kind and has_new_span(text[a:b], kind, question):
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
