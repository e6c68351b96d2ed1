"""The answerer seam: a different reader slots in through Settings or the constructor, retrieval untouched."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from qa import Assistant
from qa.answerer import ANSWERERS, Extractive, make_answerer
from qa.config import Settings
from qa.errors import InputError
from qa.types import NOT_FOUND, Answer
from qa.sources import cite


@dataclass
class LeadReader:
    """A toy reader: answers with the first sentence of the best passage; records what it was given."""

    name: str = "lead"
    seen: list = field(default_factory=list)

    def answer(self, query, hits, store, qvec, settings):
        self.seen.append((query.understood, [h.pid for h in hits], qvec is not None))
        if not hits:
            return Answer(query.text, NOT_FOUND, False, [], None, 0.0, understood=query.understood)
        text = hits[0].passage.text.split("。")[0] + "。"
        return Answer(query.text, text, True, cite(hits, 0, (0, len(text))), None, 1.0, "", query.understood)


@pytest.fixture
def built(small_corpus, hash_encoder, tmp_path):
    return Assistant.build(small_corpus, tmp_path / "index", encoder=hash_encoder, settings=Settings())


def test_default_answerer_is_the_extractive_one(built):
    assert isinstance(built.answerer, Extractive) and built.answerer.name == Settings().answerer


def test_another_reader_gets_the_same_hits_and_its_answer_is_returned(built, hash_encoder):
    reader = LeadReader()
    other = Assistant(built.index_dir, encoder=hash_encoder, answerer=reader)
    question = built.search("送温暖")[0].passage.text[:6]
    r = other.ask(question)
    hits = built.search(question)
    assert reader.seen == [(question, [h.pid for h in hits], True)]  # retrieval is the same, the question embedded
    assert r.found and r.answer == hits[0].passage.text.split("。")[0] + "。"
    assert r.citations[0].pid == hits[0].pid


def test_unknown_answerer_is_one_clear_error(monkeypatch, built, hash_encoder):
    with pytest.raises(InputError, match=r"QA_ANSWERER='llm'.*extractive"):
        make_answerer("llm")
    monkeypatch.setenv("QA_ANSWERER", "llm")
    with pytest.raises(InputError, match="QA_ANSWERER"):
        Assistant(built.index_dir, encoder=hash_encoder, settings=Settings.from_env())


def test_every_registered_answerer_loads():
    for name in ANSWERERS:
        assert make_answerer(name).name == name


@dataclass
class SureReader(LeadReader):
    """A reader whose confidence is always 0.3, whatever it is asked."""

    name: str = "sure"

    def answer(self, query, hits, store, qvec, settings):
        a = super().answer(query, hits, store, qvec, settings)
        return Answer(a.question, a.answer, a.found, a.citations, a.span, 0.3, a.short_answer, a.understood)


def test_the_refusal_threshold_is_fitted_on_the_chosen_answerers_confidence(monkeypatch, built, hash_encoder):
    from qa.calibrate import fit_threshold

    monkeypatch.setitem(ANSWERERS, "sure", f"{__name__}:SureReader")
    store = built.index.store
    assert fit_threshold(store, hash_encoder, Settings(answerer="sure")) == pytest.approx(0.3)
    assert fit_threshold(store, hash_encoder, Settings()) != pytest.approx(0.3)
