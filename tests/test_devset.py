"""The evaluation data in eval/ is sound: every gold answer and evidence is verbatim in its document.

A wrong gold poisons every measurement made with it, so these checks are strict and
fast (no model, no index): they read the documents the way `qa` reads them.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from qa.ingest import load_documents
from qa.text import normalize

ROOT = Path(__file__).resolve().parents[1]
REALISTIC = ROOT / "eval" / "realistic"
DOCS = REALISTIC / "docs"
QUESTIONS = REALISTIC / "questions.jsonl"
CONVERSATIONS = ROOT / "eval" / "followups" / "conversations.jsonl"
CORPUS = ROOT / "corpus"
KINDS = {"who", "when", "where", "number", "money", "why", "how", "what", "which"}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _texts(paths: list[Path]) -> dict[str, list[str]]:
    """File name -> the normalised text of each article `qa` reads from it."""
    result = load_documents(paths)
    assert not result.skipped, result.skipped
    out: dict[str, list[str]] = defaultdict(list)
    for d in result.documents:
        out[Path(d.source).name].append(normalize(d.text))
    return out


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return _jsonl(QUESTIONS)


@pytest.fixture(scope="module")
def doc_texts() -> dict[str, list[str]]:
    return _texts([DOCS])


def _in_doc(needle: str, texts: list[str]) -> bool:
    return any(normalize(needle) in t for t in texts)


def test_questions_are_well_formed(questions):
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for q in questions:
        assert set(q) >= {"id", "question", "answers", "doc", "evidence", "kind", "paraphrased", "traditional", "split"}, q["id"]
        assert q["question"].strip(), q["id"]
        assert q["kind"] in KINDS, q
        assert q["split"] in ("dev", "test"), q
        assert isinstance(q["paraphrased"], bool) and isinstance(q["traditional"], bool), q["id"]
        if not q["answers"]:
            assert q["doc"] is None and q["evidence"] is None, q["id"]


def test_gold_answers_and_evidence_are_verbatim_in_their_document(questions, doc_texts):
    bad = []
    for q in questions:
        if not q["answers"]:
            continue
        texts = doc_texts.get(q["doc"])
        if not texts:
            bad.append((q["id"], "unknown doc", q["doc"]))
            continue
        # the evidence must sit inside one article, as a retrieved passage would hold it
        if not _in_doc(q["evidence"], texts):
            bad.append((q["id"], "evidence not in doc", q["evidence"]))
        if not any(normalize(a) in normalize(q["evidence"]) for a in q["answers"]):
            bad.append((q["id"], "no answer inside the evidence", q["answers"]))
        bad += [(q["id"], "answer not in doc", a) for a in q["answers"] if not a.strip() or not _in_doc(a, texts)]
    assert not bad, bad


def test_question_counts(questions):
    answerable = [q for q in questions if q["answers"]]
    kinds = Counter(q["kind"] for q in questions)
    assert len(questions) >= 170
    assert len(questions) - len(answerable) >= 30
    assert sum(q["paraphrased"] for q in answerable) >= 0.3 * len(answerable)
    assert sum(q["traditional"] for q in questions) >= 12
    assert kinds["why"] + kinds["how"] >= 20
    assert len({q["doc"] for q in answerable}) >= 8
    test_share = sum(q["split"] == "test" for q in questions) / len(questions)
    assert 0.25 <= test_share <= 0.4
    # every document has questions in both splits, so a tuned-on-dev score can be checked per document
    for doc in {q["doc"] for q in answerable}:
        assert {q["split"] for q in answerable if q["doc"] == doc} == {"dev", "test"}, doc


def test_documents_cover_the_formats():
    files = sorted(p for p in DOCS.iterdir() if p.is_file())
    suffixes = Counter(p.suffix for p in files)
    assert len(files) >= 9
    assert suffixes[".md"] >= 2 and suffixes[".txt"] >= 2 and suffixes[".docx"] >= 2
    assert suffixes[".pdf"] >= 1 and suffixes[".html"] >= 1
    for p in files:
        if p.suffix == ".txt":  # GBK on purpose: the encoding detection is part of what is evaluated
            data = p.read_bytes()
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert data.decode("gbk")


def test_documents_are_article_length(doc_texts):
    for name, texts in doc_texts.items():
        assert 600 <= sum(len(t) for t in texts) <= 2000, name


def test_followup_answers_are_verbatim():
    convs = _jsonl(CONVERSATIONS)
    assert len(convs) >= 36
    ids = [c["id"] for c in convs]
    assert len(ids) == len(set(ids))
    pages = sorted({t["doc"] for c in convs for t in c["turns"] if (CORPUS / t["doc"]).is_file()})
    texts = _texts([DOCS] + [CORPUS / p for p in pages])
    assert len([c for c in convs if any(t["doc"] in pages for t in c["turns"])]) >= 10
    assert sum(any(t.get("fresh_topic") for t in c["turns"]) for c in convs) >= 5
    bad = []
    for c in convs:
        assert 2 <= len(c["turns"]) <= 3, c["id"]
        for t in c["turns"]:
            assert t["answers"], c["id"]
            bad += [(c["id"], t["question"], a) for a in t["answers"] if not _in_doc(a, texts.get(t["doc"], []))]
    assert not bad, bad


def test_cmrc_trial_set_is_shipped_with_its_licence():
    data = json.loads((ROOT / "eval" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    assert data
    assert "Attribution-ShareAlike 4.0" in (ROOT / "eval" / "CMRC2018-LICENSE.txt").read_text(encoding="utf-8")
