"""The sources shown under an answer: the passage the answer came from first, then the rest in
retrieval order, passages of one article kept together so that a page can list them under one title."""
from __future__ import annotations

from .types import Citation, Hit


def cite(hits: list[Hit], answer_rank: int | None = None, highlight: tuple[int, int] | None = None) -> list[Citation]:
    """Citations for `hits` (best first). `answer_rank`: the hit the answer was taken from, with the
    answer's (start, end) in its text as `highlight`; None when nothing was found (the closest passages)."""
    order = list(range(len(hits)))
    if answer_rank is not None:
        order.remove(answer_rank)
        order.insert(0, answer_rank)
    # Articles in the order their first passage comes; within one, passages in that order too.
    articles = list(dict.fromkeys(hits[i].passage.doc_id for i in order))
    order.sort(key=lambda i: articles.index(hits[i].passage.doc_id))  # stable: keeps the order within an article
    return [
        Citation(rank, hits[i].passage.doc_id, hits[i].passage.title, hits[i].passage.text, round(hits[i].score, 4),
                 highlight if i == answer_rank else None, hits[i].passage.position, hits[i].pid)
        for rank, i in enumerate(order, 1)
    ]
