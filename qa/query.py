"""The analysed question: normalised once, tokenised once, typed once, then passed to every stage."""
from __future__ import annotations

from dataclasses import dataclass

from .spans import question_type
from .text import char_tokens, normalize, word_tokens


@dataclass(frozen=True)
class Query:
    """A question as retrieval and answering see it.

    `text` is the question as asked; `understood` is what was answered (the same text, or a
    follow-up resolved against the conversation); everything else is derived from `understood`.
    """

    text: str
    understood: str
    norm: str
    words: tuple[str, ...]  # jieba search-mode tokens, question words dropped
    chars: tuple[str, ...]  # character uni+bigrams, question words dropped
    kind: str | None  # TIME, NUMBER, PERSON, PLACE, ORG (qa.spans), or None


def analyse(question: str, understood: str | None = None) -> Query:
    """Normalise, tokenise and type `question` (or its resolved form `understood`) once."""
    understood = understood or question
    return Query(
        text=question,
        understood=understood,
        norm=normalize(understood),
        words=tuple(word_tokens(understood, query=True)),
        chars=tuple(char_tokens(understood, query=True)),
        kind=question_type(understood),
    )
