"""Answer quality on a folder of documents with JSON-lines questions (eval/realistic/).

The folder holds `docs/` (any format `qa` reads) and `questions.jsonl`, one question a line:
    {"id", "question", "answers": [short gold, ...] ([] = unanswerable), "doc": file name,
     "evidence": a verbatim sentence holding the answer, "kind", "split": "dev" | "test", ...}
The documents are indexed through the normal readers (cached like `qa eval`'s index) and every
question is asked end to end. Figures per split and per kind:
- answer hit: a gold answer inside the shown answer;
- short EM: the short answer equals a gold answer; short correct: it holds a gold answer and is at
  most twice its length;
- evidence first: source [1] holds the gold evidence;
- refused: answerable questions answered NOT_FOUND (lower is better) and unanswerable ones (higher).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .config import FORMAT_VERSION, TOKENIZER, Settings
from .evaluate import contains_gold, exact_match, read_jsonl
from .text import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    qid: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    evidence: str | None
    kind: str
    split: str
    paraphrased: bool = False
    traditional: bool = False


def is_realistic(path: str | Path) -> bool:
    """Whether `path` is a folder with `questions.jsonl` and `docs/`."""
    path = Path(path)
    return path.is_dir() and (path / "questions.jsonl").is_file() and (path / "docs").is_dir()


def load_items(path: str | Path) -> list[Item]:
    """The questions of `path/questions.jsonl`; a bad line is an InputError naming it."""
    def item(n: int, d: dict) -> Item:
        return Item(str(d["id"]), d["question"].strip(), tuple(d["answers"]), d.get("doc"), d.get("evidence"),
                    d.get("kind") or "other", d.get("split") or "dev", bool(d.get("paraphrased")), bool(d.get("traditional")))

    return read_jsonl(Path(path) / "questions.jsonl", item,
                      "a question {'id', 'question', 'answers', 'doc', 'evidence', 'kind', 'split'}")


def realistic_index(path: str | Path, settings: Settings, rebuild: bool = False):
    """An Assistant over `path/docs`, built once and cached by the documents' content."""
    from .assistant import Assistant

    docs = Path(path) / "docs"
    digest = hashlib.sha256(f"{settings.model}|{FORMAT_VERSION}|{TOKENIZER}|{settings.max_passage_chars}".encode())
    for f in sorted(p for p in docs.rglob("*") if p.is_file()):
        digest.update(f.name.encode() + f.read_bytes())
    cache = settings.cache_path / f"realistic-{digest.hexdigest()[:16]}"
    if rebuild or not (cache / "manifest.json").exists():
        log.info("building the evaluation index over %s in %s", docs, cache)
        return Assistant.build(docs, cache, settings=settings, progress=False)
    return Assistant(cache, settings=settings)


@dataclass
class Row:
    """Figures over one group of questions (a split, a kind)."""

    name: str
    answerable: int = 0
    unanswerable: int = 0
    answer_hit: float = 0.0
    short_em: float = 0.0
    short_correct: float = 0.0
    evidence_first: float = 0.0
    refused_answerable: float = 0.0
    refused_unanswerable: float = 0.0


@dataclass
class RealisticResult:
    rows: list[Row]
    details: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"rows": [r.__dict__ for r in self.rows]}


def _row(name: str, done: list[dict]) -> Row:
    ans = [d for d in done if d["gold"]]
    una = [d for d in done if not d["gold"]]
    mean = lambda key, xs: sum(bool(x[key]) for x in xs) / len(xs) if xs else 0.0  # noqa: E731
    return Row(name, len(ans), len(una), mean("hit", ans), mean("em", ans), mean("correct", ans),
               mean("evidence_first", ans), mean("refused", ans), mean("refused", una))


def evaluate_realistic(assistant, items: list[Item], k: int | None = None, progress: bool = True) -> RealisticResult:
    """Ask every question; figures per split (dev, test, all) and per kind over all of them."""
    from tqdm.auto import tqdm

    done = []
    for it in tqdm(items, desc="asking", unit="q", disable=not progress, leave=False):
        a = assistant.ask(it.question, k=k)
        first = a.citations[0].text if a.citations else ""
        done.append({
            "id": it.qid, "question": it.question, "gold": list(it.answers), "kind": it.kind, "split": it.split,
            "answer": a.answer if a.found else "", "short_answer": a.short_answer, "found": a.found,
            "refused": not a.found,
            "hit": a.found and any(normalize(g) in normalize(a.answer) for g in it.answers),
            "em": a.found and exact_match(a.short_answer, it.answers),
            "correct": a.found and contains_gold(a.short_answer, it.answers),
            "evidence_first": a.found and bool(it.evidence) and normalize(it.evidence) in normalize(first),
            "confidence": round(a.confidence, 3), "paraphrased": it.paraphrased,
        })
    rows = [_row(split, [d for d in done if d["split"] == split]) for split in sorted({d["split"] for d in done})]
    rows.append(_row("all", done))
    rows += [_row(f"kind {kind}", [d for d in done if d["kind"] == kind]) for kind in sorted({d["kind"] for d in done})]
    rows.append(_row("paraphrased", [d for d in done if d["paraphrased"]]))
    return RealisticResult(rows, done)
