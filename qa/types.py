"""Frozen dataclasses that travel between the pipeline's stages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One article as read from a source file: what a citation points back to."""

    doc_id: str
    title: str
    text: str
    source: str = ""


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: a paragraph (or a slice of a long one) of one document."""

    doc_id: str
    title: str
    text: str
    position: int  # order of the passage within its document, from 0
    source: str = ""


@dataclass(frozen=True)
class DocInfo:
    """One indexed document as the knowledge base lists it."""

    doc_id: str
    title: str
    passages: int
    source: str


@dataclass(frozen=True)
class Hit:
    """A passage retrieved for a query, with its fused score (higher is better)."""

    pid: int  # row of the passage in the index
    passage: Passage
    score: float


@dataclass(frozen=True)
class Citation:
    """A passage cited as evidence for an answer.

    `highlight` is the (start, end) character range, within `text`, of the
    sentence the answer was taken from, or None when the answer is elsewhere.
    """

    rank: int
    doc_id: str
    title: str
    text: str
    score: float
    highlight: tuple[int, int] | None = None
    position: int = 0  # paragraph of its article, from 0 (shown as 第N段 with N = position + 1)
    pid: int = -1  # passage id in the index

    def to_dict(self) -> dict:
        d = asdict(self)
        d["highlight"] = list(self.highlight) if self.highlight else None
        return d


NOT_FOUND = "知识库中没有找到相关答案。(Not found in the knowledge base.)"


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns.

    `answer` is the evidence sentence (trimmed); `span` is the (start, end)
    range, within `answer`, of the part that answers the question, if typed;
    `short_answer` is that phrase on its own. `understood` is the question as
    answered: the question itself, or a follow-up resolved from the conversation.
    When `found` is False the citations are the closest passages (可能相关).
    """

    question: str
    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    span: tuple[int, int] | None = None
    confidence: float = 0.0
    short_answer: str = ""
    understood: str = ""

    @property
    def span_text(self) -> str:
        return self.answer[self.span[0] : self.span[1]] if self.span else ""

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "span": list(self.span) if self.span else None,
            "span_text": self.span_text,
            "short_answer": self.short_answer,
            "understood": self.understood or self.question,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
        }
