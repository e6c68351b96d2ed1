"""Follow-up quality: each later turn of a conversation asked with the conversation so far, and alone.

A conversations file is JSON lines, one conversation each:
    {"id": "c01", "turns": [{"question": ..., "answers": [gold, ...], "doc": "file name"}, ...]}
Its documents (the `doc` file names) are found next to the file or up to three folders above it and
indexed once (cached like `qa eval`'s index). A turn is answered correctly when a gold answer is inside
the returned answer or short answer. The conversation's history is the system's own earlier answers,
as a person at the page would have it, never the gold ones.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .config import FORMAT_VERSION, TOKENIZER, Settings
from .errors import InputError
from .evaluate import read_jsonl
from .text import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    question: str
    answers: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class Conversation:
    cid: str
    turns: tuple[Turn, ...]


def is_conversations(path: str | Path) -> bool:
    """Whether `path` is a conversations file (JSON lines with "turns"), not a SQuAD-style set."""
    path = Path(path)
    if path.suffix != ".jsonl":
        return False
    with path.open(encoding="utf-8") as f:
        first = next((line for line in f if line.strip()), "")
    try:
        return isinstance(json.loads(first).get("turns"), list)
    except (ValueError, AttributeError):
        return False


def load_conversations(path: str | Path) -> list[Conversation]:
    """The conversations of a JSON-lines file; a bad line is an InputError naming it."""
    def conversation(n: int, d: dict) -> Conversation:
        turns = tuple(Turn(t["question"].strip(), tuple(t["answers"]), t.get("doc", "")) for t in d["turns"])
        return Conversation(str(d.get("id", n)), turns)

    return read_jsonl(Path(path), conversation, "a conversation {'id', 'turns': [{'question', 'answers', 'doc'}]}")


def find_documents(path: Path, names: set[str]) -> list[Path]:
    """The files named `names`, looked for in the folder of `path` and up to three folders above it."""
    for root in [path.parent, *path.parent.parents][:4]:
        found = {}
        for p in root.rglob("*"):
            if p.name in names and p.is_file() and ".git" not in p.parts and p.name not in found:
                found[p.name] = p
        if len(found) == len(names):
            return sorted(found.values())
    missing = sorted(names - set(found))
    raise InputError(f"{path}: documents {', '.join(missing)} not found in its folder or up to three folders above")


def followup_index(path: Path, conversations: list[Conversation], settings: Settings, rebuild: bool = False):
    """An Assistant over the conversations' documents, built once and cached by their content."""
    from .assistant import Assistant

    docs = find_documents(path, {t.doc for c in conversations for t in c.turns if t.doc})
    digest = hashlib.sha256()
    for d in docs:
        digest.update(d.name.encode() + d.read_bytes())
    tag = f"{settings.model}|{FORMAT_VERSION}|{TOKENIZER}|{settings.max_passage_chars}"
    digest.update(tag.encode())
    for module in ("ingest.py", "readers.py", "chunk.py"):  # how files become passages changes the index too
        digest.update((Path(__file__).parent / module).read_bytes())
    cache = settings.cache_path / f"followups-{digest.hexdigest()[:16]}"
    if rebuild or not (cache / "manifest.json").exists():
        log.info("building the follow-up index over %d documents in %s", len(docs), cache)
        return Assistant.build(docs, cache, settings=settings, progress=True)
    return Assistant(cache, settings=settings)


def correct(answer, golds: tuple[str, ...]) -> bool:
    """A gold answer inside the returned answer or short answer (normalised); never when not found."""
    if not answer.found:
        return False
    shown = normalize(answer.answer + "\n" + (answer.short_answer or ""))
    return any(normalize(g) in shown for g in golds)


@dataclass
class FollowupResult:
    conversations: int
    followups: int
    with_history: float  # share of follow-ups answered correctly with the conversation
    alone: float  # the same follow-ups asked on their own
    first_turns: float  # first questions (no history), for reference
    rows: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "rows"}


def evaluate_followups(assistant, conversations: list[Conversation], k: int | None = None, progress: bool = True) -> FollowupResult:
    """Ask every conversation turn by turn; score each later turn with and without the history."""
    from tqdm.auto import tqdm

    firsts, with_h, alone, rows = [], [], [], []
    for conv in tqdm(conversations, desc="conversations", unit="conv", disable=not progress, leave=False):
        history = []
        for i, turn in enumerate(conv.turns):
            a = assistant.ask(turn.question, k=k, history=history)
            if i == 0:
                firsts.append(correct(a, turn.answers))
            else:
                b = assistant.ask(turn.question, k=k)
                with_h.append(correct(a, turn.answers))
                alone.append(correct(b, turn.answers))
                rows.append({"id": conv.cid, "question": turn.question, "understood": a.understood, "gold": list(turn.answers),
                             "answer": a.answer, "short_answer": a.short_answer, "correct": with_h[-1], "alone": alone[-1]})
            history.append(a)
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return FollowupResult(len(conversations), len(with_h), mean(with_h), mean(alone), mean(firsts), rows)
