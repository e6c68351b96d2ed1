"""Per-sentence memoised tokenisers, for sizes where tokenising every passage would not fit the run.

A synthetic passage is a title, a line break and whole real sentences. Both
tokenisers (qa's jieba search-mode words and character 1+2-grams, and the
peer's `jieba.lcut`) never join tokens across sentence-ending punctuation or a
line break, so a passage's tokens are its title's tokens followed by each
sentence's tokens. `check()` verifies that on a sample and the run reports it.

The cached token strings are copied for every passage, so the memory held per
passage is the same as with real tokenising; only the time differs, and the
tokenising time at these sizes is reported from the rate measured on real
tokenising at a smaller size.
"""
from __future__ import annotations

from typing import Callable

from qa.text import sentence_spans


def _fresh(tokens: list[str]) -> list[str]:
    # New string objects, as a real tokeniser returns: shared ones would understate memory.
    return [(t + " ")[:-1] for t in tokens]


def memoised(fn: Callable[[str], list[str]], keep_newline: bool = False) -> Callable[[str], list[str]]:
    """fn over `title\\nbody`, computed per sentence once and reused."""
    cache: dict[str, list[str]] = {}

    def piece(s: str) -> list[str]:
        got = cache.get(s)
        if got is None:
            got = cache[s] = fn(s)
        return got

    def tokens(text: str) -> list[str]:
        title, nl, body = text.partition("\n")
        out = list(piece(title)) if title else []
        if nl and keep_newline:
            out.append("\n")
        for a, b in sentence_spans(body):
            out.extend(piece(body[a:b]))
        return _fresh(out)

    return tokens


def qa_tokenisers() -> tuple[Callable, Callable]:
    from qa.text import char_tokens, word_tokens

    return memoised(word_tokens), memoised(char_tokens)


def peer_tokeniser() -> Callable:
    from .peer import _jieba_cut

    return memoised(_jieba_cut(), keep_newline=True)


def check(texts: list[str]) -> dict:
    """Share of passages whose memoised tokens equal the real ones, per tokeniser."""
    from qa.text import char_tokens, word_tokens

    from .peer import _jieba_cut

    out = {}
    for name, real, memo in (("qa words", word_tokens, memoised(word_tokens)), ("qa chars", char_tokens, memoised(char_tokens)),
                             ("peer jieba.lcut", _jieba_cut(), memoised(_jieba_cut(), keep_newline=True))):
        out[name] = sum(real(t) == memo(t) for t in texts) / len(texts)
    return out
