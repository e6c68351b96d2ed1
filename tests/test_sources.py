"""Sources under an answer: the answer's passage first, the rest in retrieval order, articles kept together."""
from qa.sources import cite
from qa.types import Hit, Passage


def hits(*docs):
    return [Hit(pid, Passage(d, f"title {d}", f"text {pid}", pos), 10.0 - pid) for pid, (d, pos) in enumerate(docs)]


def test_the_answers_passage_comes_first_and_is_the_only_one_highlighted():
    c = cite(hits(("a", 0), ("b", 0), ("c", 2)), answer_rank=2, highlight=(1, 3))
    assert [x.pid for x in c] == [2, 0, 1]
    assert [x.rank for x in c] == [1, 2, 3]
    assert c[0].highlight == (1, 3) and c[1].highlight is None and c[2].highlight is None
    assert c[0].position == 2


def test_passages_of_one_article_are_kept_together_in_retrieval_order():
    c = cite(hits(("a", 0), ("b", 3), ("a", 4), ("b", 1)), answer_rank=1, highlight=(0, 1))
    assert [(x.doc_id, x.pid) for x in c] == [("b", 1), ("b", 3), ("a", 0), ("a", 2)]


def test_without_an_answer_the_closest_passages_keep_their_order():
    c = cite(hits(("a", 0), ("b", 0), ("a", 1)))
    assert [x.pid for x in c] == [0, 2, 1] and all(x.highlight is None for x in c)
