"""Retrieval and answer quality on a SQuAD-style set (CMRC 2018): R@1, R@5, MRR, answer hit, latency."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np

from .config import FORMAT_VERSION, TOKENIZER, Settings
from .errors import InputError
from .query import analyse
from .ranking import top_n
from .retrieve import RETRIEVERS, FusionWeights, candidate_features, fuse
from .text import normalize
from .types import Document

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    doc_id: str  # the paragraph that holds the answer
    answers: tuple[str, ...]


def read_jsonl(path: Path, make: Callable[[int, dict], T], shape: str) -> list[T]:
    """`make(line number, record)` for each non-blank line of a JSON-lines file of evaluation data;
    a line that is not `shape` is one InputError naming the file and line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(make(n, json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise InputError(f"{path}:{n}: not {shape} ({e})") from None
    return out


def load_squad(path: str | Path) -> tuple[list[Document], list[Question]]:
    """Paragraphs as documents (id = paragraph id) and their questions; blank questions are skipped with a warning."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path} is not a SQuAD-style JSON file with a top-level 'data' list: {e}") from None
    docs, questions, blank = [], [], 0
    for article in data:
        for i, para in enumerate(article.get("paragraphs", [])):
            doc_id = str(para.get("id") or f"{article.get('id', 'doc')}-{i}")
            docs.append(Document(doc_id, article.get("title", ""), para["context"], str(path)))
            for qa in para.get("qas", []):
                if not qa.get("question", "").strip():
                    blank += 1
                    continue
                answers = tuple(a["text"] for a in qa.get("answers", []) if a.get("text"))
                questions.append(Question(str(qa.get("id")), qa["question"].strip(), doc_id, answers))
    if blank:
        log.warning("skipped %d blank question(s) in %s", blank, path)
    return docs, questions


def _store_tag(settings: Settings) -> str:
    """Which backend the cached evaluation index is on (the local one keeps its old cache key)."""
    if settings.store in ("", "local"):
        return ""
    return f"{settings.store}:{settings.qdrant_url or settings.qdrant_local}"


def eval_index(path: Path, settings: Settings, rebuild: bool = False, progress: bool = True):
    """An Assistant over the set's paragraphs, built once and cached by file content and settings."""
    from .assistant import Assistant, refit
    from .chunk import chunk_documents
    from .encoders import load_encoder
    from .index import Index

    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    tag = hashlib.sha256(f"{settings.model}|{FORMAT_VERSION}|{TOKENIZER}|{settings.max_passage_chars}|{_store_tag(settings)}".encode()).hexdigest()[:8]
    cache = settings.cache_path / f"eval-{key}-{tag}"
    encoder = load_encoder(settings.model)
    docs, questions = load_squad(path)
    if rebuild or not (cache / "manifest.json").exists():
        log.info("building the evaluation index in %s", cache)
        index = Index.create(cache, encoder, settings, expected_size=len(docs))
        index.add_passages(chunk_documents(docs, settings.max_passage_chars), encoder, settings, progress=progress)
        index.stamp({str(path): key})
        refit(index, encoder, settings)
        index.save()
        return Assistant(index, settings=settings, encoder=encoder), questions
    return Assistant(cache, settings=settings, encoder=encoder), questions


@dataclass
class Report:
    name: str
    n: int = 0
    ranks: list[int] = field(default_factory=list)  # rank of the gold paragraph, 0 = missing

    def r_at(self, k: int) -> float:
        return sum(1 for r in self.ranks if 0 < r <= k) / max(len(self.ranks), 1)

    @property
    def mrr(self) -> float:
        return float(np.mean([1.0 / r if r else 0.0 for r in self.ranks])) if self.ranks else 0.0


def _rank_of(doc_ids: list[str], gold: str) -> int:
    return next((i + 1 for i, d in enumerate(doc_ids) if d == gold), 0)


def compare(assistant, questions: list[Question], k: int = 5) -> list[Report]:
    """R@1/R@5/MRR of each retriever alone, plain RRF, and the configured hybrid, on the same candidates."""
    s = assistant.settings
    store = assistant.index.store
    systems = {f"{name} alone": FusionWeights.only(name) for name in RETRIEVERS}
    systems["hybrid (qa)"] = FusionWeights.from_settings(s)
    reports = {name: Report(name) for name in [*systems, "RRF bm25_words+dense_passage"]}
    for q in questions:
        qvec = assistant.embed_query(q.text)
        feats = candidate_features(store, analyse(q.text), qvec, s.candidates)
        docs = [store.passage(int(p)).doc_id for p in feats.pids]
        for name, w in systems.items():
            order = top_n(fuse(feats, w), len(docs))
            reports[name].ranks.append(_rank_of(_dedupe([docs[i] for i in order]), q.doc_id))
        rrf = sum(1.0 / (60 + np.argsort(np.argsort(-feats.raw[r], kind="stable")) + 1) for r in ("bm25_words", "dense_passage"))
        order = np.argsort(-rrf, kind="stable")
        reports["RRF bm25_words+dense_passage"].ranks.append(_rank_of(_dedupe([docs[i] for i in order]), q.doc_id))
    return list(reports.values())


def _dedupe(doc_ids: list[str]) -> list[str]:
    return list(dict.fromkeys(doc_ids))


@dataclass
class EvalResult:
    questions: int
    r1: float
    r5: float
    mrr: float
    answer_hit: float
    mean_answer_chars: float
    found_rate: float
    p50_ms: float
    p95_ms: float
    short_rate: float = 0.0  # answered questions that carry a short answer
    short_em: float = 0.0  # short answer == a gold answer, over all questions (refusals count as misses)
    short_em_number: float = 0.0  # the same on number questions (多少, 几, ...)
    short_contains: float = 0.0  # short answer holds a gold answer and is at most twice its length
    first_source_gold: float = 0.0  # found, and source [1] is the gold paragraph
    em_by_kind: dict = field(default_factory=dict)  # question kind -> (questions, short-answer exact match)
    misses: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "misses"}


def evaluate(assistant, questions: list[Question], k: int = 5, progress: bool = True) -> EvalResult:
    """Ask every question end to end. Retrieval ranks are by document (paragraph) id in retrieval
    order (the citations sorted by score); "first source" is the order the user sees."""
    from tqdm.auto import tqdm

    from .short import question_kind
    from .spans import NUMBER

    ranks, hits, lengths, found, times, misses = [], [], [], [], [], []
    shorts, em, contains, first, kinds = [], [], [], [], []
    for q in tqdm(questions, desc="asking", unit="q", disable=not progress, leave=False):
        t = time.perf_counter()
        ans = assistant.ask(q.text, k=k)
        times.append(time.perf_counter() - t)
        by_score = sorted(ans.citations, key=lambda c: -c.score)
        ranks.append(_rank_of(_dedupe([c.doc_id for c in by_score]), q.doc_id))
        norm = normalize(ans.answer)
        hit = ans.found and any(normalize(a) in norm for a in q.answers)
        hits.append(hit)
        found.append(ans.found)
        kinds.append(question_kind(q.text) or "other")
        if ans.found:
            lengths.append(len(ans.answer))
            shorts.append(bool(ans.short_answer))
        em.append(ans.found and exact_match(ans.short_answer, q.answers))
        contains.append(ans.found and contains_gold(ans.short_answer, q.answers))
        first.append(ans.found and bool(ans.citations) and ans.citations[0].doc_id == q.doc_id)
        if not hit or not em[-1]:
            misses.append({"question": q.text, "gold": list(q.answers), "answer": ans.answer, "short_answer": ans.short_answer,
                           "rank": ranks[-1], "hit": hit})
    rep = Report("qa", ranks=ranks)
    mean = lambda xs: float(np.mean(xs)) if len(xs) else 0.0  # noqa: E731
    by_kind = {}
    for kind in sorted(set(kinds)):
        sel = [e for e, kd in zip(em, kinds) if kd == kind]
        by_kind[kind] = (len(sel), mean(sel))
    return EvalResult(
        questions=len(questions), r1=rep.r_at(1), r5=rep.r_at(5), mrr=rep.mrr,
        answer_hit=mean(hits), mean_answer_chars=mean(lengths), found_rate=mean(found),
        p50_ms=float(np.percentile(times, 50) * 1000) if times else 0.0,
        p95_ms=float(np.percentile(times, 95) * 1000) if times else 0.0,
        short_rate=mean(shorts), short_em=mean(em), short_em_number=by_kind.get(NUMBER, (0, 0.0))[1],
        short_contains=mean(contains), first_source_gold=mean(first), em_by_kind=by_kind, misses=misses,
    )


_EDGE = " \t\n。，,.;；:：!！?？"


def exact_match(candidate: str, golds) -> bool:
    """Whether `candidate` equals a gold answer, up to normalisation and punctuation at the ends."""
    c = normalize(candidate).strip(_EDGE)
    return bool(c) and any(c == normalize(g).strip(_EDGE) for g in golds)


def contains_gold(candidate: str, golds) -> bool:
    """Whether `candidate` holds a gold answer and is at most twice its length (a usable short answer)."""
    c = normalize(candidate).strip(_EDGE)
    return any((g := normalize(x).strip(_EDGE)) and g in c and len(c) <= 2 * len(g) for x in golds)


def evidence_for(assistant, question: str, k: int = 5) -> tuple[str, tuple[int, int]] | None:
    """The evidence window the answerer would show for `question` (found or not) and its best sentence."""
    from .answer import choose_evidence
    from .retrieve import retrieve

    store, s = assistant.index.store, assistant.settings
    query = analyse(question)
    qvec = assistant.embed_query(question)
    hits = retrieve(store, query, qvec, k, s)
    ev = choose_evidence(query, hits, store, qvec, s.max_answer_chars)
    if ev is None:
        return None
    return hits[ev.rank].passage.text[ev.start:ev.end], ev.core


def calibration_confidences(assistant, questions: list[Question], k: int = 5, progress: bool = True) -> tuple[list[float], list[float]]:
    """Answer confidences for questions the index can answer, and for the same questions with
    their own article removed (so the index no longer holds the answer): the data for the threshold."""
    from tqdm.auto import tqdm

    from .answer import answer_question
    from .retrieve import retrieve

    store, s = assistant.index.store, assistant.settings
    positives, negatives = [], []
    for q in tqdm(questions, desc="calibrating", unit="q", disable=not progress, leave=False):
        query = analyse(q.text)
        qvec = assistant.embed_query(q.text)
        hits = retrieve(store, query, qvec, 2 * k, s)
        positives.append(answer_question(query, hits[:k], store, qvec, s).confidence)
        others = [h for h in hits if h.passage.doc_id != q.doc_id][:k]
        negatives.append(answer_question(query, others, store, qvec, s).confidence)
    return positives, negatives
