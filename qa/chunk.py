"""Documents -> passages: one passage per paragraph, long paragraphs split at sentence ends.

Passage text is always a verbatim slice of the document text (whitespace around
it stripped, short paragraphs kept on their own line), so what a citation shows
is what the source says.
"""
from __future__ import annotations

import math
from typing import Sequence

from .config import Settings
from .text import clause_spans, sentence_spans
from .types import Document, Passage

# Paragraphs shorter than this (subtitles, photo credits, "(完)") say too little
# to be retrieved on their own; they ride along with a neighbouring passage.
MIN_CHARS = 30


def _units(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) spans of `text` no longer than max_chars: sentences, else clauses, else hard cuts."""
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        if e - s <= max_chars:
            out.append((s, e))
            continue
        for cs, ce in clause_spans(text[s:e]):
            cs, ce = cs + s, ce + s
            # Last resort: an endless clause is cut into even slices.
            n = math.ceil((ce - cs) / max_chars)
            size = math.ceil((ce - cs) / n)
            out.extend((a, min(a + size, ce)) for a in range(cs, ce, size))
    return out


def _pack(units: list[tuple[int, int]], cap: int) -> list[tuple[int, int]]:
    """Greedily group consecutive units into spans no longer than `cap` (a unit alone may exceed it)."""
    groups: list[tuple[int, int]] = []
    for s, e in units:
        if groups and e - groups[-1][0] <= cap:
            groups[-1] = (groups[-1][0], e)
        else:
            groups.append((s, e))
    return groups


def _split_paragraph(text: str, max_chars: int) -> list[str]:
    """A paragraph in as few pieces of at most max_chars as its sentences allow, as even as possible."""
    if len(text) <= max_chars:
        return [text]
    units = _units(text, max_chars)
    k = len(_pack(units, max_chars))  # the fewest pieces possible
    # The smallest cap that still needs only k pieces makes the pieces as even as they can be.
    lo, hi = max(1, math.ceil(len(text) / k)), max_chars
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_pack(units, mid)) <= k:
            hi = mid
        else:
            lo = mid + 1
    return [text[s:e] for s, e in _pack(units, lo)]


def chunk_text(text: str, max_chars: int = Settings.max_passage_chars) -> list[str]:
    """The passage texts of one document text.

    Each non-empty line is a paragraph; paragraphs longer than `max_chars` are
    split at sentence ends (then clause ends, then hard cuts). Paragraphs shorter
    than MIN_CHARS are joined, with "\\n", to the following passage (or to the
    previous one when nothing follows); only such a merge may pass `max_chars`,
    by less than MIN_CHARS.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    pieces: list[tuple[str, bool]] = []  # (text, is a short paragraph)
    for line in text.split("\n"):
        para = line.strip()
        if para:
            short = len(para) < MIN_CHARS
            pieces.extend((p, short) for p in _split_paragraph(para, max_chars))
    out: list[str] = []
    pending = ""  # short paragraphs waiting for the next passage
    for piece, short in pieces:
        joined = f"{pending}\n{piece}" if pending else piece
        # A run of short lines that has grown into a passage of its own stands
        # alone rather than overflow; a tiny one is merged even if that passes
        # max_chars (by less than MIN_CHARS), since a tiny passage is useless.
        if pending and len(joined) > max_chars and (short or len(pending) >= MIN_CHARS):
            out.append(pending)
            joined = piece
        pending = ""
        if short:
            pending = joined
        else:
            out.append(joined)
    if pending:
        if out and (len(pending) < MIN_CHARS or len(out[-1]) + 1 + len(pending) <= max_chars):
            out[-1] = f"{out[-1]}\n{pending}"
        else:
            out.append(pending)
    return out


def chunk_documents(documents: Sequence[Document], max_chars: int = Settings.max_passage_chars) -> list[Passage]:
    """Passages of all documents, in order; `position` counts from 0 within each document."""
    return [
        Passage(doc.doc_id, doc.title, text, i, doc.source)
        for doc in documents
        for i, text in enumerate(chunk_text(doc.text, max_chars))
    ]
