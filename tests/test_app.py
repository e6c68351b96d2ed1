"""The Gradio page (app.py, qa/web.py): the /ask API, concurrency, the knowledge base, safe rendering.

End-to-end: a real index built from the bundled corpus with the default encoder, served on 127.0.0.1.
"""
from __future__ import annotations

import logging
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # app.py lives at the repo root, beside qa/

import app
from qa import web
from qa.types import NOT_FOUND, Answer, Citation
from qa.render import CSS, render_answer
from qa.errors import PortInUseError
from qa.web import KnowledgeBase, safe_name, stage_upload
from qa.web.chat import Chat

CORPUS = ROOT / "corpus"
QUESTION = "何时启动送温暖行动"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*"),  # gradio's queue vs pandas 3
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from qa import Assistant

    return Assistant.build(CORPUS, tmp_path_factory.mktemp("app") / "index", model=None)


@pytest.fixture(scope="module")
def served(assistant):
    """The page on a free port: (demo, url)."""
    demo = web.create_app(assistant)
    _, url, _ = web.launch(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    yield demo, url
    demo.close()


@pytest.fixture
def kb(served) -> KnowledgeBase:
    return served[0].qa_knowledge_base


def doc_ids(assistant) -> list[str]:
    return [d.doc_id for d in assistant.documents()]


# -- the API -------------------------------------------------------------------------------------
def test_api_ask_returns_the_answer_dict(served):
    from gradio_client import Client

    result = Client(served[1], verbose=False).predict(QUESTION, api_name="/ask")
    assert set(result) == {"question", "answer", "found", "span", "span_text", "short_answer", "understood", "confidence", "citations"}
    assert result["found"] is True
    assert result["question"] == QUESTION
    assert "送温暖" in result["citations"][0]["title"]
    assert set(result["citations"][0]) == {"rank", "doc_id", "title", "text", "score", "highlight", "position", "pid"}


def test_api_takes_the_conversation_for_a_follow_up(served):
    from gradio_client import Client

    client = Client(served[1], verbose=False)
    first = client.predict(QUESTION, api_name="/ask")
    follow = client.predict("那它什么时候结束？", 5, [first], api_name="/ask")
    assert follow["question"] == "那它什么时候结束？" and follow["understood"] == "送温暖行动什么时候结束？"
    alone = client.predict("那它什么时候结束？", api_name="/ask")
    assert alone["understood"] == alone["question"]


def test_chat_keeps_the_conversation_and_a_new_chat_forgets_it(assistant):
    chat = Chat(assistant)
    messages = chat.welcome()
    assert "6 篇文章" in messages[0]["content"]
    box, messages, pending = chat.post(QUESTION, messages)
    assert box == "" and pending == QUESTION and messages[-1] == {"role": "user", "content": QUESTION}
    messages, turns = chat.answer(pending, messages, [])
    assert "qa-short" in messages[-1]["content"] and len(turns) == 1
    _, messages, pending = chat.post("那它什么时候结束？", messages)
    messages, turns = chat.answer(pending, messages, turns)
    assert "送温暖行动什么时候结束？</span>" in messages[-1]["content"] and len(turns) == 2
    _, fresh, pending = chat.post("那它什么时候结束？", chat.welcome())
    assert "理解为" not in chat.answer(pending, fresh, [])[0][-1]["content"]
    assert chat.post("   ", messages)[2] == ""
    assert "⚠" in chat.answer("x" * 5000, messages, turns)[0][-1]["content"]  # a bad question is a message, not a crash


def test_http_api_takes_the_conversation_too(served):
    import json
    import urllib.request

    def post(body: dict) -> dict:
        request = urllib.request.Request(served[1] + "api/ask", json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as r:
            return json.loads(r.read())

    first = post({"question": QUESTION})
    assert post({"question": "它开展了多少年？", "history": [first]})["understood"] == "送温暖行动开展了多少年？"


def test_page_has_its_favicon(served):  # the title is set in the browser: tests/test_browser.py checks it
    import urllib.request

    with urllib.request.urlopen(served[1] + "favicon.ico") as r:
        assert r.read() == (ROOT / "qa" / "web" / "favicon.png").read_bytes()


def test_concurrent_questions_are_all_answered(served):
    from gradio_client import Client

    questions = web.EXAMPLES + web.EXAMPLES[:2]
    clients = [Client(served[1], verbose=False) for _ in questions]
    with ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(lambda cq: cq[0].predict(cq[1], api_name="/ask"), zip(clients, questions)))
    assert [r["question"] for r in results] == questions
    assert all(r["found"] and r["citations"] for r in results)


def test_api_reports_a_bad_question_as_an_error(served):
    from gradio_client import Client

    with pytest.raises(Exception, match="empty"):
        Client(served[1], verbose=False).predict("   ", api_name="/ask")


# -- the chat reply ------------------------------------------------------------------------------
def test_reply_shows_the_short_answer_first_then_evidence_then_sources(assistant):
    answer = assistant.ask(QUESTION)
    reply = render_answer(answer)
    short, rest = reply.split('<p class="qa-short">', 1)[1].split("</p>", 1)
    assert short == answer.short_answer == "自即日起至2025年2月12日"
    evidence = rest.split('<p class="qa-answer">', 1)[1].split("</p>", 1)[0]
    assert f"<mark>{answer.short_answer}</mark>" in evidence  # the short answer marked in its sentence
    titles = reply.split('<div class="qa-sources">', 1)[1]
    assert "送温暖" in titles.split('class="qa-source-title"')[1].split("</div>")[0] and "第" in titles and "段" in titles
    assert reply.index("qa-short") < reply.index("qa-answer") < reply.index("qa-sources")
    assert "置信度" in reply.split('<details class="qa-details">')[1]  # scores only behind 详情
    assert "置信度" not in reply.split('<details class="qa-details">')[0] and "score" not in reply


def test_passages_of_one_article_sit_under_one_title():
    cites = [Citation(1, "a#1", "甲文", "甲的第二段。", 1.0, (0, 6), 1), Citation(2, "a#1", "甲文", "甲的第一段。", 0.9, None, 0),
             Citation(3, "b#1", "乙文", "乙的第一段。", 0.8, None, 0)]
    sources = render_answer(Answer("q", "甲的第二段。", True, cites, None, 0.9)).split('<div class="qa-sources">', 1)[1]
    heads = [h.split("</div>")[0] for h in sources.split('class="qa-source-title')[1:]]
    assert "甲文" in heads[0] and "第2段" in heads[0]
    assert "甲文" not in heads[1] and "同篇" in heads[1] and "第1段" in heads[1]
    assert "乙文" in heads[2]


def test_reply_falls_back_to_the_span_or_the_sentence_when_there_is_no_short_answer():
    cite = Citation(1, "d#1", "标题", "活动于8月3日开幕。", 1.0, (0, 9), 2)
    with_span = render_answer(Answer("q", "活动于8月3日开幕。", True, [cite], (3, 7), 0.9))
    assert '<p class="qa-short">8月3日</p>' in with_span and "第3段" in with_span
    bare = render_answer(Answer("q", "活动于8月3日开幕。", True, [cite], None, 0.9))
    assert '<p class="qa-short">活动于8月3日开幕。</p>' in bare and "qa-answer" not in bare  # not shown twice


def test_a_resolved_follow_up_shows_how_it_was_understood():
    cite = Citation(1, "d#1", "标题", "活动于8月10日闭幕。", 1.0, (0, 10), 0)
    reply = render_answer(Answer("那什么时候闭幕？", "活动于8月10日闭幕。", True, [cite], (3, 8), 0.9, understood="活动什么时候闭幕？"))
    assert "理解为：<span class=\"qa-understood-text\">活动什么时候闭幕？</span>" in reply
    assert "理解为" not in render_answer(Answer("q", "a", True, [cite], understood="q"))


def test_not_found_says_so_and_lists_the_closest_passages_as_possibly_related():
    reply = render_answer(Answer("火星上有几座火山", NOT_FOUND, False, [Citation(1, "x#1", "无关文章", "无关的段落。", 0.1)]))
    assert "没有找到" in reply and "可能相关" in reply and "无关文章" in reply
    assert reply.index("没有找到") < reply.index("可能相关") < reply.index("无关文章")
    assert "可能相关" not in render_answer(Answer("q", NOT_FOUND, False, []))


def test_rendering_escapes_document_markup():
    text = '开头<script>window.__pwned=1</script>中间<img src=x onerror="window.__pwned=2">结尾**粗**'
    start = text.index("中间")
    answer = Answer("q", text, True, [Citation(1, "d#1", "<b>标题</b>", text, 1.0, (start, start + 2))], (start, start + 2), 0.9)
    reply = render_answer(answer)
    assert "<script" not in reply and "<img" not in reply and "<b>" not in reply
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in reply
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in reply
    assert "&lt;/script&gt;<mark>中间</mark>&lt;img" in reply  # offsets are of the original text, escaped around


def test_long_passages_fold_around_the_matched_sentence_and_unfold_without_repeating():
    text = "前文。" * 60 + "这是匹配的句子。" + "后文。" * 60
    start = text.index("这是")
    reply = render_answer(Answer("q", "这是匹配的句子。", True, [Citation(1, "d#1", "t", text, 1.0, (start, start + 8))]))
    fold = reply.split('<details class="qa-fold">', 1)[1]
    preview, full = fold.split("</summary>", 1)
    shown = preview.split('class="qa-passage qa-preview">')[1].split("</span>")[0]
    assert "<mark>这是匹配的句子。</mark>" in shown and len(shown) < len(text) / 2
    assert "展开全文" in preview and full.count("前文") == text.count("前文")
    # Opened, the preview hides (CSS on details[open]): the passage is on screen once, not preview + full text.
    assert ".qa-fold[open] > summary .qa-preview" in CSS and 'class="qa-passage qa-preview"' in preview


# -- the knowledge base --------------------------------------------------------------------------
def test_upload_then_delete_a_document(served, kb, assistant, tmp_path):
    from gradio_client import Client

    article = tmp_path / "蓝莓果酱节.txt"
    article.write_text("# 蓝莓果酱节在青岛举行\n\n第五届蓝莓果酱节于2025年8月在青岛举行，吸引了三万名游客品尝蓝莓果酱。\n", encoding="utf-8")
    before = doc_ids(assistant)

    ok, message = kb.upload([str(article)])
    assert ok, message
    new = [d for d in doc_ids(assistant) if d not in before]
    assert len(new) == 1 and new[0] in message
    client = Client(served[1], verbose=False)
    result = client.predict("蓝莓果酱节在哪里举行", api_name="/ask")
    assert result["found"] and result["citations"][0]["doc_id"] == new[0]
    assert any(new[0] == row[-1] for row in kb.rows())

    row = next(r for r in kb.rows() if r[-1] == new[0])
    assert row[:3] == ["蓝莓果酱节在青岛举行", "蓝莓果酱节.txt", 1] and row[3][:4].isdigit()  # title, file, passages, added
    assert kb.rows()[0] == row  # newest first
    assert f"{len(before) + 1} 篇文章" in kb.counts()
    assert "蓝莓果酱节在青岛举行" in kb.describe(new[0]) and "1 个段落" in kb.describe(new[0]) and kb.describe("nope") is None

    ok, message = kb.delete(new[0])
    assert ok, message
    assert doc_ids(assistant) == before and f"{len(before)} 篇文章" in kb.counts()
    result = client.predict("蓝莓果酱节在哪里举行", api_name="/ask")
    assert new[0] not in [c["doc_id"] for c in result["citations"]]


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("tool.exe", b"MZ\x90\x00", "cannot be added"),
        ("notes", b"no suffix", "cannot be added"),
        ("broken.pdf", b"this is not a pdf", "未改动"),
        ("broken.docx", b"PK\x03\x04 not a zip", "未改动"),
    ],
)
def test_bad_uploads_get_a_message_and_leave_the_index_alone(kb, assistant, tmp_path, name, content, expected):
    bad = tmp_path / name
    bad.write_bytes(content)
    before = assistant.documents()
    ok, message = kb.upload([str(bad)])
    assert not ok and expected in message and name in message
    assert assistant.documents() == before


def test_oversized_upload_is_refused(assistant, tmp_path):
    kb = KnowledgeBase(assistant, tmp_path / "area", max_upload_mb=1)
    big = tmp_path / "big.txt"
    big.write_text("# 大文件\n\n" + "很长的文章。" * 200_000, encoding="utf-8")
    before = assistant.documents()
    ok, message = kb.upload([str(big)])
    assert not ok and "1 MB upload limit" in message
    assert assistant.documents() == before


def test_one_bad_file_rejects_the_whole_upload(kb, assistant, tmp_path):
    good, bad = tmp_path / "好文章.txt", tmp_path / "坏.exe"
    good.write_text("# 好文章\n\n内容。\n", encoding="utf-8")
    bad.write_bytes(b"x")
    before = assistant.documents()
    ok, _ = kb.upload([str(good), str(bad)])
    assert not ok and assistant.documents() == before


def test_upload_names_never_leave_the_upload_area(assistant, tmp_path):
    area = tmp_path / "a" / "b" / "uploads"
    kb = KnowledgeBase(assistant, area)
    src = tmp_path / "src.txt"
    src.write_text("# 越界测试\n\n这篇文章测试上传文件名。\n", encoding="utf-8")
    ok, message = kb.upload([(str(src), "../../evil.txt")])
    assert ok, message
    assert not (area / ".." / ".." / "evil.txt").exists() and not (tmp_path / "a" / "evil.txt").exists()
    assert sorted(p.name for p in tmp_path.rglob("evil*")) == []  # staged copies are removed after adding
    kb.delete(next(d for d in doc_ids(assistant) if d.startswith("evil")))

    staged = stage_upload(src, "../../evil.txt", area, max_mb=1)
    assert area.resolve() in staged.parents and staged.name == "evil.txt"


@pytest.mark.parametrize(
    "name, safe",
    [("../../evil.txt", "evil.txt"), ("..\\..\\evil.md", "evil.md"), ("/etc/passwd", "passwd"), ("..", "upload"),
     ("", "upload"), (".bashrc", "bashrc"), ("报告 2025.pdf", "报告 2025.pdf"), ("a;rm -rf $(x).txt", "a_rm -rf __x_.txt")],
)
def test_safe_name(name, safe):
    assert safe_name(name) == safe


# -- starting the app ----------------------------------------------------------------------------
def test_open_assistant_builds_a_missing_index(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="qa.web")
    a = web.open_assistant(tmp_path / "index", CORPUS, model="hash:64")
    assert a.manifest.documents == 6 and (tmp_path / "index" / "manifest.json").exists()
    assert "building index from" in caplog.text
    caplog.clear()
    assert web.open_assistant(tmp_path / "index", CORPUS).manifest.encoder == "hash:64"  # opens with the index's own
    assert "building index" not in caplog.text


def test_main_parses_options_and_reports_errors(monkeypatch, tmp_path, capsys):
    seen, serve = {}, app.serve
    monkeypatch.setattr(app, "serve", lambda *args: seen.setdefault("args", args))
    assert app.main(["--index", "i", "--corpus", "c", "--host", "0.0.0.0", "--port", "8000", "--model", "hash"]) == 0
    assert seen["args"] == ("i", "c", "0.0.0.0", 8000, "hash")
    monkeypatch.setattr(app, "serve", serve)
    assert app.main(["--index", str(tmp_path / "none"), "--corpus", str(tmp_path / "missing"), "--model", "hash"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_busy_port_is_one_line_naming_the_way_out(monkeypatch, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"--port {port + 1} or QA_PORT={port + 1}"):
            web.server.check_port("127.0.0.1", port)
        monkeypatch.setenv("QA_PORT", str(port))  # the default port comes from Settings
        assert app.main(["--index", "none", "--corpus", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"127.0.0.1:{port}" in err and "QA_PORT" in err and "Traceback" not in err
