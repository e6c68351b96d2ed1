"""Normalisation and the one tokenizer shared by passages and queries."""
from qa.text import char_tokens, clause_spans, normalize, sentence_spans, split_sentences, word_tokens


def test_normalize_keeps_length_and_folds_width_case_and_script():
    text = "何時啟動送溫暖行動？ＡＢＣ１２３"
    norm = normalize(text)
    assert len(norm) == len(text)
    assert norm == "何时启动送温暖行动?abc123"


def test_traditional_and_simplified_questions_tokenize_alike():
    assert word_tokens("何時啟動送溫暖行動", query=True) == word_tokens("何时启动送温暖行动", query=True)
    assert char_tokens("何時啟動送溫暖行動", query=True) == char_tokens("何时启动送温暖行动", query=True)


def test_query_drops_question_words_and_punctuation():
    toks = word_tokens("什么时候启动送温暖行动？", query=True)
    assert "什么" not in toks and "什么时候" not in toks and "？" not in toks
    assert "送温暖" in toks and "启动" in toks


def test_passage_and_query_share_the_tokenizer():
    passage = word_tokens("全国总工会送温暖行动正式启动")
    query = word_tokens("送温暖行动何时启动", query=True)
    assert set(query) <= set(passage)


def test_char_tokens_are_unigrams_and_bigrams_within_phrases():
    toks = char_tokens("启动,2025年")
    assert {"启", "动", "启动", "2025", "年", "2025年"} <= set(toks)
    assert "动2025" not in toks  # bigrams never cross punctuation


def test_sentences_keep_closing_quotes_and_split_lines():
    assert split_sentences("他说:“好。”然后走了!真的?\n下一行") == ["他说:“好。”", "然后走了!", "真的?", "下一行"]
    text = "甲乙。丙丁!"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["甲乙。", "丙丁!"]


def test_clauses_split_at_commas():
    text = "一月,二月、三月。四月"
    assert [text[s:e] for s, e in clause_spans(text)] == ["一月,", "二月、", "三月。", "四月"]


def test_normalize_keeps_the_length_of_every_character():
    # Offsets found in normalised text are used on the original: no character may grow or vanish.
    text = "".join(chr(c) for c in range(0x20, 0xD800)) + "İ公司"
    assert len(normalize(text)) == len(text)
