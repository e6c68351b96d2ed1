"""The answerer seam: the analysed question and its retrieved passages in, an `Answer` out.

Retrieval and fusion (qa/retrieve.py) never know which answerer reads their hits, and an
answerer never knows which store backend found them: it sees the `Store` protocol only
(sentence vectors and IDF for scoring). A different reader (a learned ranker, later an
optional LLM) is one class with an `answer` method and one line in `ANSWERERS`, chosen by
`Settings.answerer` (QA_ANSWERER).

Refusing is the answerer's job too: it returns `found=False` with the closest passages cited.
The threshold in `settings.min_confidence` is the index's fitted one (qa/calibrate.py), on the
extractive answerer's confidence scale; an answerer with its own notion of confidence may
ignore it.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .errors import InputError

if TYPE_CHECKING:
    from .answer import AnswerWeights
    from .config import Settings
    from .query import Query
    from .stores import Store
    from .types import Answer, Hit


class Answerer(Protocol):
    """Reads the retrieved passages and answers, or refuses."""

    name: str

    def answer(self, query: "Query", hits: "list[Hit]", store: "Store", qvec: np.ndarray | None,
               settings: "Settings") -> "Answer":
        """The answer to `query` from `hits` (best first); `qvec` is the question's vector, if embedded."""
        ...


@dataclass(frozen=True)
class Extractive:
    """The default: the best evidence window among the hits, its short answer, calibrated refusal (qa/answer.py)."""

    name: str = "extractive"
    weights: "AnswerWeights | None" = None  # None: the measured defaults (answer.DEFAULT_WEIGHTS)

    def answer(self, query, hits, store, qvec, settings):
        from .answer import DEFAULT_WEIGHTS, answer_question
        return answer_question(query, hits, store, qvec, settings, self.weights or DEFAULT_WEIGHTS)


# name -> "module:Class"; the module is imported only when that answerer is used.
ANSWERERS = {
    "extractive": "qa.answerer:Extractive",
}


def make_answerer(name: str) -> Answerer:
    """The answerer registered as `name` (Settings.answerer)."""
    if name not in ANSWERERS:
        raise InputError(f"QA_ANSWERER={name!r} is not an answerer: use one of {', '.join(sorted(ANSWERERS))}")
    module, cls = ANSWERERS[name].split(":")
    return getattr(importlib.import_module(module), cls)()
