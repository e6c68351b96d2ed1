"""Train the short-answer ranker (qa/models/short_answer.json) on the training half of the CMRC 2018 trial set.

    python scripts/train_short_answer.py                 # eval/cmrc2018_trial.json -> qa/models/short_answer.json

The set's paragraphs are indexed (cached like `qa eval`), every question is asked end to end, and the
candidate phrases of the evidence it gets are labelled by exact match with a gold answer. Paragraphs
split in two halves by a hash of their id: the ranker learns from one half and is scored on the other,
which is printed; nothing is tuned on the held-out half.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluate import eval_index, evidence_for, exact_match  # noqa: E402
from qa.ranker import MODELS, TreeEnsemble  # noqa: E402
from qa.short import FEATURES, candidates  # noqa: E402


def in_training_half(doc_id: str) -> bool:
    """The fixed split: half of the paragraphs by a hash of their id."""
    return zlib.crc32(doc_id.encode()) % 2 == 0


def examples(assistant, questions):
    """(question, gold answers, training half?, candidate spans, features, labels) per question with evidence."""
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="candidates", unit="q"):
        ev = evidence_for(assistant, q.text)
        if ev is None:
            continue
        text, core = ev
        spans, x = candidates(text, q.text, core)
        y = np.array([exact_match(text[s:e], q.answers) for s, e in spans], dtype=np.int8)
        out.append((q, in_training_half(q.doc_id), text, core, spans, x, y))
    return out


def fit(data, seed: int = 0):
    from sklearn.ensemble import GradientBoostingClassifier

    rows = [(x, y) for _, train, _, _, _, x, y in data if train and y.any()]
    x = np.concatenate([r[0] for r in rows])
    y = np.concatenate([r[1] for r in rows])
    model = GradientBoostingClassifier(n_estimators=200, max_depth=3, learning_rate=0.1, subsample=0.8,
                                       min_samples_leaf=20, random_state=seed)
    model.fit(x, y)
    return TreeEnsemble.from_sklearn(model, FEATURES)


def report(data, ranker: TreeEnsemble, total: dict[bool, int]) -> dict:
    hits = {True: 0, False: 0}
    for _, train, _, _, spans, x, y in data:
        if len(spans) and y[int(np.argmax(ranker.score(x)))]:
            hits[train] += 1
    return {"train_em": hits[True] / total[True], "heldout_em": hits[False] / total[False]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trial", default=str(ROOT / "eval" / "cmrc2018_trial.json"))
    ap.add_argument("--out", default=str(MODELS / "short_answer.json"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    assistant, questions = eval_index(Path(args.trial), Settings())
    data = examples(assistant, questions)
    total = {h: sum(in_training_half(q.doc_id) == h for q in questions) for h in (True, False)}
    ranker = fit(data)
    print(json.dumps(report(data, ranker, total)))
    Path(args.out).write_text(json.dumps(ranker.to_json(), separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
