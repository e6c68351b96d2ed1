"""Benchmark corpora grown from real Chinese text, and the queries asked of them.

The bundled articles and the CMRC 2018 trial set hold a few thousand real
sentences. A corpus of N passages recombines them: each passage takes 3-8
sentences in runs of 1-4 consecutive sentences from randomly chosen real
paragraphs, under a title drawn from the real titles. Everything is seeded, so
passage i of a corpus is the same in every process and every run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.chunk import chunk_documents
from qa.evaluate import Question, load_squad
from qa.ingest import load_documents
from qa.text import sentence_spans
from qa.types import Passage

REPO = Path(__file__).resolve().parent.parent
TRIAL = REPO / "eval" / "cmrc2018_trial.json"  # shipped with the repository
CORPUS_DIR = REPO / "corpus"
_ENDS = tuple("。！？!?；;…”’」』）)]】〕》\"'")


@dataclass(frozen=True)
class Pool:
    """Real material: paragraphs as lists of sentences, and titles."""

    paragraphs: tuple[tuple[str, ...], ...]
    titles: tuple[str, ...]

    @property
    def sentences(self) -> list[str]:
        return sorted({s for p in self.paragraphs for s in p})


def trial_path() -> Path:
    return TRIAL


# The synthetic corpora are grown from the trial paragraphs cut at this size; fixed, so that
# passage i stays the same text across runs whatever qa's own passage size becomes.
POOL_CHUNK_CHARS = 500


@lru_cache(maxsize=2)
def trial_set(max_chars: int | None = None) -> tuple[list[Passage], list[Question]]:
    """The trial set's paragraphs chunked as `qa eval` does (Settings.max_passage_chars), and its questions."""
    from qa.config import Settings

    docs, questions = load_squad(TRIAL)
    return chunk_documents(docs, max_chars or Settings().max_passage_chars), questions


@lru_cache(maxsize=1)
def pool() -> Pool:
    """Sentences of the trial paragraphs and the bundled articles; only sentences that end a
    sentence cleanly are kept, so a recombined passage splits back into the same sentences."""
    passages, _ = trial_set(POOL_CHUNK_CHARS)
    result = load_documents(CORPUS_DIR)
    passages = passages + chunk_documents(result.documents, POOL_CHUNK_CHARS)
    paras, titles = [], set()
    for p in passages:
        sents = tuple(s for s in (p.text[a:b] for a, b in sentence_spans(p.text)) if len(s) >= 6 and s.endswith(_ENDS))
        if sents:
            paras.append(sents)
        if p.title:
            titles.add(p.title)
    return Pool(tuple(paras), tuple(sorted(titles)))


def synthetic_passages(n: int, seed: int = 0, start: int = 0) -> list[Passage]:
    """Passages `start` .. `start + n` of the seeded synthetic corpus (passage i never depends on n)."""
    out: list[Passage] = []
    for block in range(start // _BLOCK, (start + n + _BLOCK - 1) // _BLOCK):
        out.extend(_block(block, seed))
    lo = start - (start // _BLOCK) * _BLOCK
    return out[lo : lo + n]


_BLOCK = 4096


def _block(block: int, seed: int) -> list[Passage]:
    """One seeded block of passages; drawing random numbers per block keeps 1M passages to seconds."""
    pl = pool()
    rng = np.random.default_rng([seed, block])
    want = rng.integers(3, 9, _BLOCK)
    para = rng.integers(len(pl.paragraphs), size=(_BLOCK, 8))
    where = rng.random((_BLOCK, 8))
    runs = rng.integers(1, 5, (_BLOCK, 8))
    titles = rng.integers(len(pl.titles), size=_BLOCK)
    out = []
    for j in range(_BLOCK):
        i = block * _BLOCK + j
        sents: list[str] = []
        r = 0
        while len(sents) < want[j]:
            ps = pl.paragraphs[para[j, r % 8]]
            a = int(where[j, r % 8] * len(ps))
            sents.extend(ps[a : a + min(int(runs[j, r % 8]), int(want[j]) - len(sents))])
            r += 1
        out.append(Passage(doc_id=f"syn{i // 8}", title=pl.titles[titles[j]], text="".join(sents), position=i % 8, source="bench"))
    return out


def queries(n: int, seed: int = 0) -> list[str]:
    """`n` trial-set questions (real user questions about the same material), in a seeded order."""
    _, qs = trial_set()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(qs))[:n]
    return [qs[i].text for i in order]


def describe() -> dict:
    pl = pool()
    lens = [len(p.text) for p in synthetic_passages(2000)]
    return {
        "source_paragraphs": len(pl.paragraphs),
        "source_sentences": len(pl.sentences),
        "titles": len(pl.titles),
        "mean_passage_chars": float(np.mean(lens)),
        "trial_questions": len(trial_set()[1]),
        "trial_passages": len(trial_set()[0]),
    }


if __name__ == "__main__":
    print(json.dumps(describe(), ensure_ascii=False, indent=1))
    for p in synthetic_passages(2):
        print(p.title, "|", p.text)
