"""Which sentence of the top passages answers the question: candidates, their features and the learned choice.

Every sentence of the first `PASSAGES` hits is a candidate (all five: a paraphrased question often
ranks the answer's passage fourth or fifth). It is described by how much of the question it covers
(character uni/bigrams weighted by corpus IDF times passage-local IDF, by corpus IDF alone, and the
question's jieba words found in it), whether it holds a phrase of the asked type and of the asked form
(qa/measures.py: 场地有多大 -> 平方米, 一分钟转几圈 -> 每分钟45至50转, 哪天截止 -> a period's end), its dense cosine with the question, where its passage ranks and how far its fused score trails the
first hit, where it sits in its passage and whether the question only names the article's topic.
Relative columns (against the best candidate of the same question) let one model compare across
questions. A gradient-boosted model (qa/models/evidence.json, trained by scripts/train_evidence.py
on the CMRC 2018 trial set's training half and the realistic dev split) scores them; the best wins.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .measures import asked_shape, span_kind, states_asked
from .query import Query
from .ranker import load
from .spans import NUMBER, ORG, PERSON, PLACE, REGEX_KINDS, TIME, candidate_spans, has_span
from .stores import Store
from .text import char_tokens, normalize, strip_question_words
from .types import Hit

MODEL = "evidence"
# How many top hits give candidates. 3 -> 5 (with the asked-form columns, retrained): realistic evidence
# = [1] dev 0.780 -> 0.795, refusal off answer hit dev 0.871 -> 0.902, test 0.882 -> 0.897; trial held-out
# half answer hit 0.845 -> 0.852, first source gold 0.975 kept; the evidence step +0.9 ms p50.
PASSAGES = 5
LEAD_CHARS = 60  # an article's lead: its first sentences up to here
UNIGRAM = 0.5  # a single character says less than a bigram

# Particles, prepositions, conjunctions and light verbs, as single characters: they do not say which
# sentence answers (幸福里小区在哪里 -> 在 matched any sentence with 在), so sentence choice leaves them
# out; bigrams holding them still count. Trial answer hit 0.832 -> 0.838; realistic dev (refusal off) 0.818 -> 0.826.
FUNCTION_CHARS = frozenset("的了是在和与及或被把将也都就而之其于对从以由为着过吗呢吧等要会能有给来去")

_KINDS = (TIME, NUMBER, PERSON, PLACE, ORG)

FEATURES = (
    "cover", "cover_rel", "cover_corpus", "cover_corpus_rel", "words", "words_rel", "typed",
    "dense", "dense_rel", "dense_rank", "rank", "doc_gap", "hit_gap", "fused",
    "sentence", "sentence_rel", "lead", "first_passage", "topic_only", "topic_share", "chars",
    "passage_cover", "kind", "hand", "hand_rel",
    # Answers often sit beside the sentence that repeats the question's words: the neighbours' coverage,
    # and how far the sentence is from its passage's best-covering one.
    "prev_cover", "next_cover", "cover_in_passage", "from_best", "prev_typed", "next_typed",
    # Whether the sentence holds a phrase in the form the question asks for (qa/measures.py: 多大 -> 平方米,
    # 多吵 -> 分贝, 哪天截止 -> a period's end, 哪个县 -> 景谷县; -1 when none is asked), and whether it is the best-scored (hand) of the sentences that fit the question best.
    "asked", "fit_best",
    # How much of the question the best candidate covers (little: a paraphrase, where the answer's form says
    # more than its words) and how many candidates fit the question best (one alone says more than many).
    "pool_cover", "fit_count",
)


@dataclass(frozen=True)
class SentenceCandidates:
    """Every candidate sentence of one question: hit rank, span in that hit's text, and feature rows."""

    rank: np.ndarray  # (n,) int
    span: np.ndarray  # (n, 2) int
    cover: np.ndarray  # (n,) the IDF-weighted share of the question the sentence covers
    dense: np.ndarray  # (n,) cosine of the question and the sentence
    x: np.ndarray  # (n, len(FEATURES))


def question_idf(query: Query, store: Store) -> tuple[dict[str, float], dict[str, float]]:
    """(raw corpus IDF of the question's tokens, the weights sentence choice uses: unigrams halved,
    function characters left out)."""
    q_toks = list(dict.fromkeys(query.chars))
    raw = dict(zip(q_toks, store.idf(q_toks).tolist()))
    idf = {t: v * (UNIGRAM if len(t) == 1 else 1.0) for t, v in raw.items()}
    return raw, {t: v for t, v in idf.items() if t not in FUNCTION_CHARS} or idf


def sentence_candidates(query: Query, hits: list[Hit], store: Store, qvec: np.ndarray | None, idf: dict[str, float],
                        passages: int = PASSAGES) -> SentenceCandidates | None:
    """The sentences of the first `passages` hits with their features (None when there are none)."""
    question = query.understood
    q_toks = list(dict.fromkeys(query.chars))
    q = qvec.astype(np.float32).ravel() if qvec is not None else None
    words = [w for w in dict.fromkeys(query.words) if len(w) >= 2]
    kind = _KINDS.index(query.kind) + 1 if query.kind in _KINDS else 0
    shape = asked_shape(question, query.kind)
    doc_gap = {h.passage.doc_id: hits[0].score - h.score for h in reversed(hits)}
    rows, ranks, spans, covers, denses = [], [], [], [], []
    for rank, hit in enumerate(hits[:passages]):
        sp, vecs = store.sentences(hit.pid)
        if not len(sp):
            continue
        text = hit.passage.text
        norm = normalize(text)
        sp = sp.tolist()
        sents = _tokens_present(q_toks, text, norm, sp)
        topic = topic_tokens(question, q_toks, hit.passage.title)
        w = local_weights(idf, sents, topic)
        total = sum(w.values()) or 1.0
        corpus = {t: v for t, v in idf.items() if t not in topic} or idf
        corpus_total = sum(corpus.values()) or 1.0
        in_passage = set().union(*sents)
        topic_only = hit.passage.position == 0 and topic >= set(idf)
        passage_cover = sum(v for t, v in w.items() if t in in_passage) / total
        topic_share = sum(v for t, v in idf.items() if t in topic) / (sum(idf.values()) or 1.0)
        dense = vecs @ q if q is not None else np.zeros(len(sp), np.float32)
        for i, ((s, e), toks, d) in enumerate(zip(sp, sents, dense.tolist())):
            sentence = text[s:e]
            # One regex pass over the sentence serves both the typed and the asked-form columns.
            typed_spans = candidate_spans(sentence, query.kind) if query.kind in REGEX_KINDS else None
            cover = sum(v for t, v in w.items() if t in toks) / total
            rows.append([
                cover, 0.0, sum(v for t, v in corpus.items() if t in toks) / corpus_total, 0.0,
                sum(x in norm[s:e] for x in words) / max(len(words), 1), 0.0,
                float(bool(query.kind) and has_new_span(sentence, query.kind, question, typed_spans)),
                d, 0.0, 0.0, rank, doc_gap[hit.passage.doc_id], hits[0].score - hit.score, hit.score,
                i, i / len(sp), float(s < LEAD_CHARS), float(hit.passage.position == 0), float(topic_only),
                topic_share, e - s, passage_cover, kind, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                states_asked(sentence, question, query.kind, typed_spans if span_kind(shape) == query.kind else None),
                0.0, 0.0, 0.0,
            ])
            ranks.append(rank)
            spans.append((s, e))
            covers.append(cover)
            denses.append(d)
    if not rows:
        return None
    x = np.asarray(rows, np.float64)
    col = {name: j for j, name in enumerate(FEATURES)}
    # The hand-weighted score sentence choice used before the model (trial answer hit 0.846): a strong summary.
    typed, lead = x[:, col["typed"]], x[:, col["lead"]] * x[:, col["topic_only"]]
    x[:, col["hand"]] = x[:, col["cover"]] + 0.12 * typed + 0.25 * x[:, col["dense"]] - x[:, col["doc_gap"]] + 0.3 * lead
    for r in np.unique(x[:, col["rank"]]):
        rows = np.flatnonzero(x[:, col["rank"]] == r)  # one passage's sentences, in order
        cover, typed_p = x[rows, col["cover"]], x[rows, col["typed"]]
        x[rows, col["prev_cover"]] = np.r_[0.0, cover[:-1]]
        x[rows, col["next_cover"]] = np.r_[cover[1:], 0.0]
        x[rows, col["prev_typed"]] = np.r_[0.0, typed_p[:-1]]
        x[rows, col["next_typed"]] = np.r_[typed_p[1:], 0.0]
        x[rows, col["cover_in_passage"]] = cover - cover.max()
        x[rows, col["from_best"]] = np.clip(np.arange(len(rows)) - int(np.argmax(cover)), -3, 3)
    for name in ("cover", "cover_corpus", "words", "dense", "hand"):  # against the best candidate of the question
        x[:, col[f"{name}_rel"]] = x[:, col[name]] - x[:, col[name]].max()
    fit = np.where(x[:, col["asked"]] >= 0, x[:, col["asked"]], x[:, col["typed"]])
    pool = fit == fit.max()
    x[:, col["fit_best"]] = pool & (x[:, col["hand"]] == x[pool, col["hand"]].max()) & (fit > 0)
    x[:, col["fit_count"]] = pool.sum() if fit.max() > 0 else 0
    x[:, col["pool_cover"]] = x[:, col["cover"]].max()
    x[:, col["dense_rank"]] = np.argsort(np.argsort(-x[:, col["dense"]], kind="stable"), kind="stable")
    return SentenceCandidates(np.asarray(ranks), np.asarray(spans), np.asarray(covers), np.asarray(denses), x)


def best_sentence(cands: SentenceCandidates) -> int:
    """Index of the candidate the shipped model scores highest (the first on a tie)."""
    model = load(MODEL)
    return int(np.argmax(model.score(cands.x[:, [FEATURES.index(f) for f in model.features]])))


_ASCII = re.compile(r"[a-z0-9]")


def _tokens_present(q_toks: list[str], text: str, norm: str, spans: list[tuple[int, int]]) -> list[set[str]]:
    """The question's tokens each sentence holds: all that sentence choice asks of a sentence's tokens.

    A token without ASCII letters or digits is one of the sentence's tokens exactly when it occurs in
    its normalised text (bigrams hold no punctuation), a cheap test; only questions with ASCII words
    (6CR-55) need the sentences' own tokens. With five passages of candidates, query p50 -0.5 ms.
    """
    plain = [t for t in q_toks if not _ASCII.search(t)]
    other = [t for t in q_toks if _ASCII.search(t)]
    out = []
    for s, e in spans:
        sent = norm[s:e]
        held = {t for t in plain if t in sent}
        if other:
            toks = set(char_tokens(text[s:e]))
            held.update(t for t in other if t in toks)
        out.append(held)
    return out


def topic_tokens(question: str, q_toks: list[str], title: str) -> set[str]:
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


def local_weights(idf: dict[str, float], sents: list[set[str]], topic: set[str]) -> dict[str, float]:
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


def has_new_span(text: str, kind: str, question: str, spans: list[tuple[int, int, float]] | None = None) -> bool:
    """Whether `text` holds a phrase of the asked type that the question does not already say.

    Only regex-found types: tagging every sentence with jieba.posseg would cost more than it is
    worth. When the question names its counter, the quantity must be counted in it (or in money for 钱).
    `spans`: candidate_spans(text, kind), when the caller has them already.
    """
    if kind not in REGEX_KINDS:
        return False
    if spans is None:
        spans = candidate_spans(text, kind)
    m = _COUNTER.search(normalize(question)) if kind == NUMBER else None
    if m is None:
        return has_span(text, kind, question, spans)
    unit = _MONEY if m.group(1) == "钱" else re.compile(re.escape(m.group(1)))
    # The quantity must be new to the question as well as counted in the asked unit.
    return any(unit.search(p) and has_span(p, kind, question) for p in (text[s:e] for s, e, _ in spans))
