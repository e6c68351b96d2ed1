"""Evidence sentence, answer span, citations and abstention, on a tiny index with the hashing encoder."""
from __future__ import annotations

import pytest

from qa.answer import answer_question, calibrate_threshold
from qa.config import DEFAULT_MIN_CONFIDENCE, Settings
from qa.encoders import HashingEncoder
from qa.index import Index
from qa.query import analyse
from qa.retrieve import retrieve
from qa.types import NOT_FOUND, Hit, Passage

NEWS = (
    "慰问组将赴31个省(区、市)和新疆生产建设兵团送温暖\n"
    "本报讯(记者白莹)记者近日从全国总工会获悉,自即日起至2025年2月12日,全国总工会将组成慰问组赴31个省(区、市)和新疆生产建设兵团,"
    "深入基层一线、职工家庭送温暖,标志着全国总工会2025年元旦春节期间“工会送温暖行动”正式启动。"
    "各级工会将加大力度,聚焦重点群体,广泛走访慰问。"
)
HISTORY = "全国总工会“工会送温暖行动”自1992年启动以来,已连续开展30余年。今年共走访慰问困难职工470人次,发放资金41亿元。"
GAME = (
    "泡泡战士是一款由韩国公司开发的泡泡战士系列射击游戏，泡泡战士在台湾十分流行。"
    "其创始人是金正宇。玩家以水枪、小枪、锤子或是水炸弹泡封敌人。"
)
LONG = "长城是古代中国修筑的军事工程。" + "，".join(f"第{i}段城墙位于{p}境内并经过多次修缮" for i, p in enumerate(
    ["河北", "山西", "陕西", "甘肃", "宁夏", "内蒙古", "辽宁", "北京", "天津", "山东", "河南", "青海"] * 2)) + "。"
TITLE = "全国总工会2025年元旦春节期间“工会送温暖行动”启动"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    enc = HashingEncoder()
    index = Index.create(tmp_path_factory.mktemp("answer") / "idx", enc, Settings())
    index.add_passages([
        Passage("news#1", TITLE, NEWS, 0), Passage("news#1", TITLE, HISTORY, 1),
        Passage("game", "泡泡战士", GAME, 0), Passage("wall", "长城", LONG, 0),
    ], enc, Settings())
    return index, enc


def ask(kb, question, **settings):
    index, enc = kb
    s = Settings(**settings)
    qvec = enc.encode([question])[0]
    query = analyse(question)
    return answer_question(query, retrieve(index.store, query, qvec, 5, s), index.store, qvec, s)


@pytest.mark.parametrize("question", ["何时启动送温暖行动", "何時啟動送溫暖行動"])
def test_when_question_answers_from_the_lead_with_the_date_marked(kb, question):
    a = ask(kb, question)
    assert a.found
    assert "即日起至2025年2月12日" in a.answer
    assert "即日起" in a.span_text
    assert a.citations[0].doc_id == "news#1"


def test_the_first_citation_is_the_answers_source_and_the_only_one_marked(kb):
    a = ask(kb, "何时启动送温暖行动")
    assert [c.rank for c in a.citations] == list(range(1, len(a.citations) + 1))
    marked = [c for c in a.citations if c.highlight]
    assert marked == [a.citations[0]]
    s, e = marked[0].highlight
    assert marked[0].text[s:e] == a.answer
    docs = [c.doc_id for c in a.citations]
    assert docs == sorted(docs, key=docs.index)  # one article's passages are next to each other
    assert {(c.doc_id, c.position) for c in a.citations} >= {("news#1", 0), ("news#1", 1)}


def test_topic_words_do_not_choose_the_sentence(kb):
    # Every word but 创始人 names the article's topic (its title), so the sentence that answers is the one with 创始人.
    a = ask(kb, "泡泡战士的创始人是谁？")
    assert a.found and "金正宇" in a.answer
    assert a.span_text == a.short_answer == "金正宇"


def test_number_question_marks_the_quantity(kb):
    a = ask(kb, "走访慰问困难职工多少人次？")
    assert a.found and a.span_text == "470人次"


def test_answers_are_short_even_in_a_long_sentence(kb):
    s = Settings()
    a = ask(kb, "位于宁夏境内的是第几段城墙？")
    assert a.found
    assert len(a.answer) <= 2 * s.max_answer_chars
    assert len(a.answer) < len(LONG)
    assert "宁夏" in a.answer


@pytest.mark.parametrize("question", ["巴黎今天的天气怎么样？", "红烧肉怎么做？", "苹果公司的CEO是谁？", "昨晚皇马对巴萨的比分是多少？"])
def test_off_topic_questions_are_not_found(kb, question):
    a = ask(kb, question)
    assert not a.found
    assert a.answer == NOT_FOUND and a.span is None and not a.short_answer
    assert 0.0 <= a.confidence < DEFAULT_MIN_CONFIDENCE
    # The closest passages are still shown (可能相关), none marked as the answer's source.
    assert a.citations and all(c.highlight is None for c in a.citations)


def test_no_hits_is_not_found(kb):
    index, enc = kb
    a = answer_question(analyse("什么？"), [], index.store, None, Settings())
    assert not a.found and a.answer == NOT_FOUND


def test_found_follows_the_threshold(kb):
    a = ask(kb, "何时启动送温暖行动", min_confidence=0.0)
    b = ask(kb, "何时启动送温暖行动", min_confidence=1.01)
    assert a.found and not b.found
    assert a.confidence == pytest.approx(b.confidence)


def test_calibrate_threshold_keeps_the_asked_share_of_positives():
    pos = [i / 100 for i in range(100)]
    neg = [0.05] * 10
    t = calibrate_threshold(pos, neg, keep=0.97)
    assert sum(p >= t for p in pos) / len(pos) >= 0.97
    assert t == pytest.approx(0.03)
    assert calibrate_threshold(pos, neg, keep=1.0) == 0.0
    assert calibrate_threshold(pos, neg, keep=0.9) > t


def test_calibrate_threshold_rejects_bad_input():
    with pytest.raises(ValueError, match="positive"):
        calibrate_threshold([], [0.1])
    with pytest.raises(ValueError, match="keep"):
        calibrate_threshold([0.5], [0.1], keep=0.0)


NOTICE_TITLE = "关于幸福里小区加装电梯的意见征询公告"
NOTICE = ("幸福里小区各位业主：幸福里小区位于振兴大道，共有住宅楼8栋，均未配备电梯。",
          "社区将在小区中心广场举办宣讲会。意见征询时间为2025年3月10日至3月24日，逾期视为放弃。")


@pytest.fixture(scope="module")
def notice_kb(tmp_path_factory):
    enc = HashingEncoder()
    index = Index.create(tmp_path_factory.mktemp("notice") / "idx", enc, Settings())
    index.add_passages([Passage("notice", NOTICE_TITLE, t, i) for i, t in enumerate(NOTICE)]
                       + [Passage("game", "泡泡战士", GAME, 0)], enc, Settings())
    return index, enc


def test_the_titles_words_do_not_answer_a_question_asking_beyond_them(notice_kb):
    # Only 截止 goes beyond the title, and no passage says it: the lead repeats the title's words but
    # does not answer; the sentence with the asked kind of phrase (a date) does.
    # Keyword evidence alone (no query vector), so the rule is what decides.
    index, enc = notice_kb
    query, s = analyse("幸福里小区加装电梯意见征询哪天截止？"), Settings(min_confidence=0.0)
    hits = retrieve(index.store, query, enc.encode([query.text])[0], 5, s)
    assert hits[0].passage.position == 0  # the lead is retrieved first: it repeats the title
    a = answer_question(query, hits, index.store, None, s)
    assert "3月24日" in a.answer


def test_a_counter_in_the_question_picks_the_quantity_counted_in_it(tmp_path):
    # 多少钱 asks for money: the sentence with an amount in 元 answers, not the one counting households.
    enc = HashingEncoder()
    index = Index.create(tmp_path / "idx", enc, Settings())
    texts = ("慰问对象包括城乡低保家庭和孤儿，全区共计约6800户。", "对城乡低保家庭每户发放慰问金500元。")
    index.add_passages([Passage("notice", "困难群众走访慰问通知", t, i) for i, t in enumerate(texts)]
                       + [Passage("game", "泡泡战士", GAME, 0)], enc, Settings())
    for question, answer in (("城乡低保家庭能领到多少钱？", "500元"), ("城乡低保家庭有多少户？", "6800户")):
        query, s = analyse(question), Settings(min_confidence=0.0)
        hits = retrieve(index.store, query, enc.encode([question])[0], 5, s)
        assert answer in answer_question(query, hits, index.store, None, s).answer


@pytest.mark.parametrize("second_score, source", [(2.95, "report"), (1.0, "news")])
def test_a_near_tied_second_article_answers_when_its_sentence_fits_better(tmp_path, second_score, source):
    # The news article is retrieved first; the report says what is asked. Near-tied, the report's
    # sentence wins; far behind in retrieval, it does not.
    enc = HashingEncoder()
    index = Index.create(tmp_path / "idx", enc, Settings())
    passages = [Passage("news", "茶博会开幕", "云岭茶业董事长李春明在接受记者采访时说，公司此次带来了46款产品。", 0),
                Passage("report", "云岭茶业年度报告", "报告期内，公司董事会共召开8次会议，审议通过议案37项。", 0)]
    index.add_passages(passages, enc, Settings())
    by_doc = {index.store.passage(pid).doc_id: pid for pid in range(2)}
    hits = [Hit(by_doc["news"], passages[0], 3.0), Hit(by_doc["report"], passages[1], second_score)]
    a = answer_question(analyse("云岭茶业董事会审议通过了什么？"), hits, index.store, None, Settings(min_confidence=0.0))
    assert a.citations[0].doc_id == source


def test_a_function_word_does_not_choose_the_sentence(notice_kb):
    # 幸福里小区在哪里 asks only about the article's topic: its lead answers, not a sentence that also has 在.
    index, enc = notice_kb
    query, s = analyse("幸福里小区在哪里？"), Settings(min_confidence=0.0)
    hits = retrieve(index.store, query, enc.encode([query.text])[0], 5, s)
    a = answer_question(query, hits, index.store, None, s)
    assert "振兴大道" in a.answer and "宣讲会" not in a.answer
