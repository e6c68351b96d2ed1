"""Train the evidence-sentence ranker (qa/models/evidence.json) on the training half of the CMRC 2018 trial set
and the dev split of the realistic set.

    python scripts/train_evidence.py                    # eval/cmrc2018_trial.json + eval/realistic -> qa/models/evidence.json

Each question is retrieved end to end (indexes cached like `qa eval`) and every sentence of its top
passages (qa.evidence.sentence_candidates) is labelled: trial, a gold answer lies inside the sentence;
realistic, the sentence holds the question's gold `evidence` (or is part of it). Training uses the
trial paragraphs whose id hashes to the training half (the split of scripts/train_short_answer.py)
and the realistic dev split; the other trial half and the realistic test split are held out and only
printed. The figure is the share of questions whose chosen sentence is a gold one, for the model and
for the hand-weighted score it replaces (the `hand` column).

    python scripts/train_evidence.py --check            # the shipped model on the same parts, no training
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from qa.config import Settings  # noqa: E402
from qa.eval_realistic import load_items, realistic_index  # noqa: E402
from qa.evaluate import eval_index  # noqa: E402
from qa.evidence import FEATURES, PASSAGES, question_idf, sentence_candidates  # noqa: E402
from qa.query import analyse  # noqa: E402
from qa.ranker import MODELS, TreeEnsemble, load  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from qa.text import normalize  # noqa: E402
from train_short_answer import in_training_half  # noqa: E402


@dataclass
class Example:
    """One question's candidate sentences."""

    part: str  # "trial train", "trial heldout", "realistic dev", "realistic test"
    x: np.ndarray
    y: np.ndarray


def _examples(assistant, asked, part_of, passages: int) -> list[Example]:
    """`asked`: (question, label(sentence text) -> bool, item) triples."""
    from tqdm import tqdm

    store, s = assistant.index.store, assistant.settings
    out = []
    for question, label, item in tqdm(asked, unit="q", leave=False):
        query = analyse(question)
        qvec = assistant.embed_query(question)
        hits = retrieve(store, query, qvec, s.top_k, s)
        cands = sentence_candidates(query, hits, store, qvec, question_idf(query, store)[1], passages) if hits else None
        if cands is None:
            out.append(Example(part_of(item), np.zeros((0, len(FEATURES))), np.zeros(0, np.int8)))
            continue
        y = np.array([label(hits[r].passage.text[a:b]) for r, (a, b) in zip(cands.rank, cands.span)], np.int8)
        out.append(Example(part_of(item), cands.x, y))
    return out


def trial_examples(path: Path, settings: Settings, passages: int) -> list[Example]:
    assistant, questions = eval_index(path, settings)

    def label(golds):
        golds = [normalize(g) for g in golds if g.strip()]
        return lambda sent: any(g in normalize(sent) for g in golds)

    asked = [(q.text, label(q.answers), q) for q in questions]
    return _examples(assistant, asked, lambda q: f"trial {'train' if in_training_half(q.doc_id) else 'heldout'}", passages)


def realistic_examples(path: Path, settings: Settings, passages: int) -> list[Example]:
    assistant = realistic_index(path, settings)

    def label(evidence):
        e = normalize(evidence)
        return lambda sent: (e in (n := normalize(sent).strip())) or (len(n) >= 4 and n in e)

    asked = [(it.question, label(it.evidence), it) for it in load_items(path) if it.answers and it.evidence]
    return _examples(assistant, asked, lambda it: f"realistic {it.split}", passages)


def training(part: str) -> bool:
    return part in ("trial train", "realistic dev")


def fit(data: list[Example], features: tuple[str, ...], realistic_weight: float, seed: int = 0) -> TreeEnsemble:
    """Gradient-boosted trees on the training questions that have a gold candidate."""
    from sklearn.ensemble import GradientBoostingClassifier

    cols = [FEATURES.index(f) for f in features]
    rows = [d for d in data if training(d.part) and d.y.any()]
    x = np.concatenate([d.x[:, cols] for d in rows])
    y = np.concatenate([d.y for d in rows])
    # Each question weighs the same whatever its number of sentences; a realistic one weighs `realistic_weight` trial ones.
    w = np.concatenate([np.full(len(d.y), (realistic_weight if d.part.startswith("realistic") else 1.0) / len(d.y))
                        for d in rows])
    w *= len(w) / w.sum()
    model = GradientBoostingClassifier(n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8,
                                       min_samples_leaf=50, random_state=seed)
    model.fit(x, y, sample_weight=w)
    return TreeEnsemble.from_sklearn(model, features)


def report(data: list[Example], ranker: TreeEnsemble | None) -> dict:
    """Share of questions (all of each part, none dropped) whose chosen sentence is gold: model and hand score."""
    out: dict[str, list] = {}
    hand = FEATURES.index("hand")
    for d in data:
        got = out.setdefault(d.part, [0, 0, 0])
        got[0] += 1
        if not len(d.y):
            continue
        got[1] += int(d.y[int(np.argmax(d.x[:, hand]))])
        if ranker is not None:
            got[2] += int(d.y[int(np.argmax(ranker.score(d.x[:, [FEATURES.index(f) for f in ranker.features]])))])
    return {p: {"n": n, "hand": round(h / n, 3), "model": round(m / n, 3)} for p, (n, h, m) in sorted(out.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trial", default=str(ROOT / "eval" / "cmrc2018_trial.json"))
    ap.add_argument("--realistic", default=str(ROOT / "eval" / "realistic"))
    ap.add_argument("--realistic-weight", type=float, default=1.0)
    ap.add_argument("--passages", type=int, default=PASSAGES)
    ap.add_argument("--drop", default="", help="comma-separated feature columns to leave out")
    ap.add_argument("--out", default=str(MODELS / "evidence.json"))
    ap.add_argument("--check", action="store_true", help="report the shipped model; train nothing")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    data = (trial_examples(Path(args.trial), settings, args.passages)
            + realistic_examples(Path(args.realistic), settings, args.passages))
    if args.check:
        print(json.dumps(report(data, load("evidence"))))
        return
    features = tuple(f for f in FEATURES if f not in set(args.drop.split(",")))
    ranker = fit(data, features, args.realistic_weight)
    print(json.dumps(report(data, ranker)))
    Path(args.out).write_text(json.dumps(ranker.to_json(), separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
