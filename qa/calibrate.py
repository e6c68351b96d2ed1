"""The refusal threshold of one index, fitted on that index.

An answer's confidence (qa/answer.py) says how well the evidence covers the question, but what
counts as well depends on the knowledge base: in six articles about one trade union, 工会 is in
every passage and says nothing, and a question about anything else still finds a few of its
characters somewhere; in a million Wikipedia passages everything finds something. So the
threshold is fitted per index: the questions in `data/offtopic_questions.txt` (weather, sport,
cooking, health, geography... nothing a knowledge base of articles is likely to hold) are asked of
the index, and the threshold is the `Settings.refusal_quantile` (0.85) of their confidences: an
answer must be likelier than most questions about the wide world are. A knowledge base that does
cover a few of them only moves the threshold a little (a quantile, not the maximum). Confidence is a
probability (qa/confidence.py), so the threshold never exceeds `Settings.refusal_ceiling` (0.5):
where the wide world finds good cover (a large, varied index) evidence the model finds likelier an
answer than not is still answered.

Measured (`python -m qa.cli eval`): the fitted threshold is 0.13 on the bundled 6-article page (its
questions reach 0.21-0.27, 巴黎明天的天气怎么样 0.09), 0.21 on eval/realistic (answerable refused 0.12,
unanswerable refused 0.31) and 0.37 on the CMRC 2018 trial set (98.7% of answerable questions found;
`qa calibrate` shows about 80% of them refused once their own paragraph is removed).
"""
from __future__ import annotations

import functools
import logging
import threading
from dataclasses import replace
from importlib import resources

import numpy as np

from .answerer import make_answerer
from .config import Settings
from .encoders import Encoder
from .query import analyse
from .retrieve import retrieve
from .stores import Store

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def offtopic_questions() -> tuple[str, ...]:
    """The shipped questions about the wide world."""
    text = resources.files("qa").joinpath("data/offtopic_questions.txt").read_text(encoding="utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


_VECTORS: dict[tuple[str, int], np.ndarray] = {}
_VECTORS_LOCK = threading.Lock()


def _question_vectors(encoder: Encoder) -> np.ndarray:
    """The off-topic questions embedded once per encoder (every write of an index re-fits its threshold)."""
    key = (encoder.name, encoder.dim)
    with _VECTORS_LOCK:
        if key not in _VECTORS:
            _VECTORS[key] = encoder.encode(list(offtopic_questions()))
        return _VECTORS[key]


def fit_threshold(store: Store, encoder: Encoder, settings: Settings) -> float:
    """The refusal threshold for `store`: the `refusal_quantile` of the off-topic questions' confidences,
    at most `refusal_ceiling`, on the scale of the answerer `settings.answerer` names."""
    if not len(store):
        return 0.0
    answerer = make_answerer(settings.answerer)
    unlimited = replace(settings, min_confidence=-1.0)  # every question gets its best evidence scored
    confidences = []
    for question, qvec in zip(offtopic_questions(), _question_vectors(encoder)):
        query = analyse(question)
        hits = retrieve(store, query, qvec, settings.top_k, unlimited)
        confidences.append(answerer.answer(query, hits, store, qvec, unlimited).confidence)
    quantile = float(np.quantile(confidences, settings.refusal_quantile))
    threshold = min(quantile, settings.refusal_ceiling)
    log.info("refusal threshold %.3f (%.0f%% of %d off-topic questions fall below %.3f; ceiling %.2f)", threshold,
             100 * settings.refusal_quantile, len(confidences), quantile, settings.refusal_ceiling)
    return threshold
