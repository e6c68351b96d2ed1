"""A gradient-boosted tree ensemble, read from JSON and evaluated with numpy.

Trained with scikit-learn (`scripts/train_short_answer.py`) and exported as plain arrays, so the
package needs neither scikit-learn nor pickle at run time: loading a pickle runs code, and a pickle
from one scikit-learn version does not load in the next. Each tree is stored as a complete binary
tree of one depth (heap order: node k has children 2k+1 and 2k+2; a leaf above the bottom is copied
down), so every comparison of every tree is one array operation and the walk is `depth` small steps:
200 candidates x 200 trees of depth 3 in well under a millisecond.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODELS = Path(__file__).parent / "models"


@dataclass(frozen=True)
class TreeEnsemble:
    """Sum of regression trees plus a bias (the log-odds of a binary gradient-boosted classifier)."""

    features: tuple[str, ...]  # the column names the trees were trained on
    feature: np.ndarray  # (trees, 2**depth - 1) int: the column each internal node tests
    threshold: np.ndarray  # (trees, 2**depth - 1) float: go left when x <= threshold
    value: np.ndarray  # (trees, 2**depth) float: each leaf's contribution (learning rate included)
    bias: float
    depth: int

    def score(self, x: np.ndarray) -> np.ndarray:
        """The log-odds of each row of `x` (rows: candidates, columns: `features`)."""
        n, (t, inner) = len(x), self.feature.shape
        if not n:
            return np.zeros(0, np.float64)
        right = x[:, self.feature.ravel()] > self.threshold.ravel()  # (n, trees * inner): every test at once
        node = np.zeros((n, t), np.intp)
        first = np.arange(t) * inner  # where each tree's tests start in a row of `right`
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            node = 2 * node + 1 + right[rows, first + node]
        leaf = node - inner
        return self.bias + self.value.ravel()[np.arange(t) * (inner + 1) + leaf].sum(axis=1)

    def to_json(self) -> dict:
        return {"features": list(self.features), "bias": self.bias, "depth": self.depth,
                "feature": self.feature.tolist(), "threshold": self.threshold.tolist(),
                "value": np.round(self.value, 7).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "TreeEnsemble":
        return cls(tuple(data["features"]), np.asarray(data["feature"], np.int64),
                   np.asarray(data["threshold"], np.float64), np.asarray(data["value"], np.float64),
                   float(data["bias"]), int(data["depth"]))

    @classmethod
    def from_sklearn(cls, model, features: tuple[str, ...]) -> "TreeEnsemble":
        """From a fitted binary `sklearn.ensemble.GradientBoostingClassifier`."""
        ests = model.estimators_[:, 0]
        depth = max(e.get_depth() for e in ests)
        inner = 2 ** depth - 1
        feat = np.zeros((len(ests), inner), np.int64)
        thr = np.full((len(ests), inner), np.inf)
        val = np.zeros((len(ests), inner + 1))
        for i, est in enumerate(ests):
            t = est.tree_

            def place(node: int, slot: int, level: int) -> None:
                if level == depth:
                    val[i, slot - inner] = t.value[node, 0, 0] * model.learning_rate
                elif t.children_left[node] < 0:  # a leaf above the bottom: always go left, same value below
                    place(node, 2 * slot + 1, level + 1)
                    place(node, 2 * slot + 2, level + 1)
                else:
                    feat[i, slot], thr[i, slot] = t.feature[node], t.threshold[node]
                    place(t.children_left[node], 2 * slot + 1, level + 1)
                    place(t.children_right[node], 2 * slot + 2, level + 1)

            place(0, 0, 0)
        thr = np.where(np.isinf(thr), np.finfo(np.float64).max, thr)
        prior = model.init_.class_prior_[1]
        return cls(tuple(features), feat, thr, val, float(np.log(prior / (1 - prior))), depth)


@functools.lru_cache(maxsize=4)
def load(name: str) -> TreeEnsemble:
    """A model shipped in `qa/models/` by file stem."""
    return TreeEnsemble.from_json(json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8")))
