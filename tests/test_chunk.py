"""qa.chunk: documents -> passages."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.chunk import MIN_CHARS, chunk_documents, chunk_text
from qa.ingest import load_documents
from qa.types import Document

SEED = Path(__file__).resolve().parent.parent / "corpus"

BODY = "全国总工会启动送温暖行动，慰问组将深入基层一线和困难职工家庭。"  # 31 characters, above MIN_CHARS


def test_paragraphs_become_passages_with_positions():
    docs = [
        Document("a#1", "标题甲", f"{BODY}\n\n  {BODY}二  \n", "a.txt"),
        Document("b#1", "标题乙", BODY, "b.txt"),
    ]
    passages = chunk_documents(docs)
    assert [(p.doc_id, p.title, p.position, p.source) for p in passages] == [
        ("a#1", "标题甲", 0, "a.txt"),
        ("a#1", "标题甲", 1, "a.txt"),
        ("b#1", "标题乙", 0, "b.txt"),
    ]
    assert [p.text for p in passages] == [BODY, BODY + "二", BODY]


def test_long_paragraph_split_at_sentence_ends_evenly():
    sentences = [f"第{i}句话讲的是工会在节日期间的慰问工作。" for i in range(30)]
    paragraph = "".join(sentences)
    pieces = chunk_text(paragraph, max_chars=200)
    assert "".join(pieces) == paragraph  # nothing lost, nothing altered
    assert all(len(p) <= 200 for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    assert len(pieces) == -(-len(paragraph) // 200)  # as few as the limit allows
    assert max(map(len, pieces)) - min(map(len, pieces)) <= len(sentences[0]) + 1  # as even as sentences allow


def test_overlong_sentence_split_at_clause_ends():
    sentence = "，".join(["各级工会将进一步拓展送温暖内容"] * 20) + "。"
    pieces = chunk_text(sentence, max_chars=100)
    assert "".join(pieces) == sentence
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith(("，", "。")) for p in pieces)


def test_text_without_punctuation_is_hard_cut_evenly():
    pieces = chunk_text("字" * 1000, max_chars=300)
    assert [len(p) for p in pieces] == [250, 250, 250, 250]


def test_short_paragraphs_merge_into_the_following_passage():
    text = f"慰问组将赴31个省送温暖\n{BODY}\n{BODY}"
    assert chunk_text(text) == [f"慰问组将赴31个省送温暖\n{BODY}", BODY]


def test_short_last_paragraph_merges_into_the_previous_one():
    text = f"{BODY}\n{BODY}\n本报实习记者 王辰阳 摄"
    assert chunk_text(text) == [BODY, f"{BODY}\n本报实习记者 王辰阳 摄"]


def test_document_of_only_short_lines_is_one_passage():
    assert chunk_text("短标题\n\n摄影 张三") == ["短标题\n摄影 张三"]


def test_many_short_lines_do_not_pile_into_one_huge_passage():
    text = "\n".join(f"第{i:02d}项：工会活动安排" for i in range(50))  # 50 lines of 11 characters
    pieces = chunk_text(text, max_chars=100)
    assert len(pieces) > 1
    # Only a tiny remainder may ride over the limit.
    assert all(MIN_CHARS <= len(p) <= 100 + MIN_CHARS for p in pieces)
    assert "\n".join(pieces) == text


def test_passages_are_verbatim_lines_of_the_document():
    docs = load_documents(SEED).documents
    for max_chars in (100, 500):
        passages = chunk_documents(docs, max_chars=max_chars)
        by_doc = {d.doc_id: d.text for d in docs}
        for p in passages:
            assert p.text == p.text.strip()
            assert all(line in by_doc[p.doc_id] for line in p.text.split("\n"))
            assert MIN_CHARS <= len(p.text) <= max_chars + MIN_CHARS
        for d in docs:
            positions = [p.position for p in passages if p.doc_id == d.doc_id]
            assert positions == list(range(len(positions)))


def test_seed_subtitle_rides_with_the_first_paragraph():
    passages = chunk_documents(load_documents(SEED).documents)
    assert passages[0].text.startswith("慰问组将赴31个省(区、市)和新疆生产建设兵团送温暖\n本报讯(记者白莹)")
    assert any(p.text.endswith("。\n本报实习记者 王辰阳 摄") for p in passages)


def test_empty_text_has_no_passages():
    assert chunk_text(" \n\n ") == []


def test_nonpositive_max_chars_rejected():
    with pytest.raises(ValueError, match="max_chars"):
        chunk_text(BODY, max_chars=0)
