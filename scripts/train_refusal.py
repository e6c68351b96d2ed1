"""Fit the refusal model (qa/models/refusal.json): is this evidence an answer, or should `qa` say NOT_FOUND?

    python scripts/train_refusal.py          # needs the train extras (scikit-learn)

Examples: every question of the CMRC 2018 trial set (positive) and the same question with its own
paragraph left out of the hits (negative: the other paragraphs of its article remain, so it is a
near-topic question the index no longer answers), and the dev split of eval/realistic (its
unanswerable questions are the negatives). A trial example counts 0.3: the set has ten times the
questions, and Wikipedia questions rather than questions people ask; at 0.1 the realistic set's test
AUC is 0.70 but the trial set's falls below coverage alone (0.971 against 0.981), at 1.0 the
realistic test AUC falls to 0.65. Printed: the
AUC (answerable vs not) of the model and of coverage alone on dev (in-sample), test (held out) and
the trial set, over all answerable questions and over those whose evidence shows a gold answer (the
others are answered wrongly anyway); nothing is tuned on test.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.answer import choose_evidence  # noqa: E402
from qa.confidence import FEATURES, MODEL, RefusalModel, features  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.eval_realistic import load_items, realistic_index  # noqa: E402
from qa.evaluate import eval_index  # noqa: E402
from qa.query import analyse  # noqa: E402
from qa.ranker import MODELS  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from qa.text import normalize  # noqa: E402

TRIAL_WEIGHT = 0.3


def example(assistant, question: str, hits, golds=()) -> tuple[np.ndarray, bool] | None:
    """The model's features for the evidence `qa` would choose among `hits`, and whether it shows a gold answer."""
    store, s = assistant.index.store, assistant.settings
    query = analyse(question)
    qvec = assistant.embed_query(question)
    ev = choose_evidence(query, hits, store, qvec, s.max_answer_chars)
    if ev is None:
        return None
    p = hits[ev.rank].passage
    sentence = p.text[ev.start:ev.end][ev.core[0]:ev.core[1]]
    shown = normalize(p.text[ev.start:ev.end])
    return features(ev.confidence, question, sentence, f"{p.title}\n{p.text}"), any(normalize(g) in shown for g in golds)


def hits_for(assistant, question: str, k: int):
    return retrieve(assistant.index.store, analyse(question), assistant.embed_query(question), k, assistant.settings)


def realistic(settings: Settings) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(features, labels) per split of eval/realistic."""
    a = realistic_index(ROOT / "eval/realistic", settings)
    out: dict[str, tuple[list, list]] = {}
    for it in load_items(ROOT / "eval/realistic"):
        x = example(a, it.question, hits_for(a, it.question, 5), it.answers)
        if x is not None:
            xs, ys = out.setdefault(it.split, ([], []))
            xs.append(x[0])
            ys.append(int(bool(it.answers)) + int(x[1]))  # 2: the evidence shows a gold answer
    return {k: (np.array(xs), np.array(ys)) for k, (xs, ys) in out.items()}


def trial(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels): each trial question with its hits (1) and without its own paragraph (0)."""
    from tqdm import tqdm

    a, questions = eval_index(ROOT / "eval/cmrc2018_trial.json", settings, progress=False)
    xs, ys = [], []
    for q in tqdm(questions, desc="trial", unit="q"):
        hits = hits_for(a, q.text, 10)
        for label, hs in ((1, hits[:5]), (0, [h for h in hits if h.passage.doc_id != q.doc_id][:5])):
            x = example(a, q.text, hs, q.answers if label else ())
            if x is not None:
                xs.append(x[0])
                ys.append(label + int(x[1]))
    return np.array(xs), np.array(ys)


def auc(score: np.ndarray, y: np.ndarray) -> float:
    pos, neg = score[y == 1], score[y == 0]
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODELS / f"{MODEL}.json")
    args = ap.parse_args()
    settings = Settings.from_env()
    splits = realistic(settings)
    splits["trial"] = trial(settings)
    x = np.vstack([splits["dev"][0], splits["trial"][0]])
    y = np.concatenate([splits["dev"][1], splits["trial"][1]])
    w = np.concatenate([np.ones(len(splits["dev"][1])), TRIAL_WEIGHT * np.ones(len(splits["trial"][1]))])
    lr = LogisticRegression(C=1.0, max_iter=5000).fit(x, y > 0, sample_weight=w)
    model = RefusalModel(FEATURES, lr.coef_[0], float(lr.intercept_[0]))
    for name, (xs, ys) in splits.items():
        p = np.array([model.probability(r) for r in xs])
        shown = ys != 1  # answerable with the gold shown, against unanswerable
        print(f"{name:6s} answerable {int((ys > 0).sum()):4d} (gold shown {int((ys == 2).sum()):4d}) not {int((ys == 0).sum()):4d}  "
              f"AUC model {auc(p, ys > 0):.3f} (coverage alone {auc(xs[:, 0], ys > 0):.3f}); "
              f"gold shown vs not answerable {auc(p[shown], ys[shown] > 0):.3f} ({auc(xs[shown, 0], ys[shown] > 0):.3f})")
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"weights {dict(zip(FEATURES, np.round(model.weights, 3)))} bias {model.bias:.3f} -> {args.out}")


if __name__ == "__main__":
    main()
