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
from qa.render import render_answer
from qa.web import KnowledgeBase, safe_name, stage_upload

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
def test_reply_shows_answer_and_sources(assistant):
    answer = assistant.ask(QUESTION)
    reply = render_answer(answer)
    assert '<p class="qa-answer">' in reply
    assert "送温暖" in reply.split('class="qa-source-title"')[1].split("</div>")[0]  # the first source's title
    assert "<mark" in reply and "score " in reply
    if answer.span:
        assert f"<mark>{answer.span_text}</mark>" in reply


def test_reply_when_nothing_is_found_shows_no_sources():
    reply = render_answer(Answer("火星上有几座火山", NOT_FOUND, False, [Citation(1, "x#1", "无关文章", "无关", 0.1)]))
    assert "没有找到" in reply and "qa-source" not in reply and "无关文章" not in reply


def test_rendering_escapes_document_markup():
    text = '开头<script>window.__pwned=1</script>中间<img src=x onerror="window.__pwned=2">结尾**粗**'
    start = text.index("中间")
    answer = Answer("q", text, True, [Citation(1, "d#1", "<b>标题</b>", text, 1.0, (start, start + 2))], (start, start + 2), 0.9)
    reply = render_answer(answer)
    assert "<script" not in reply and "<img" not in reply and "<b>" not in reply
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in reply
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in reply
    assert "&lt;/script&gt;<mark>中间</mark>&lt;img" in reply  # offsets are of the original text, escaped around


def test_long_passages_fold_around_the_matched_sentence():
    text = "前文。" * 60 + "这是匹配的句子。" + "后文。" * 60
    start = text.index("这是")
    reply = render_answer(Answer("q", "这是匹配的句子。", True, [Citation(1, "d#1", "t", text, 1.0, (start, start + 8))]))
    excerpt, full = reply.split("<details>", 1)
    shown = excerpt.split('class="qa-passage">')[1]
    assert "<mark>这是匹配的句子。</mark>" in shown and len(shown) < len(text) / 2
    assert "展开全文" in full and text.count("前文") == full.count("前文")


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
    assert any(new[0] == row[1] for row in kb.rows())

    ok, message = kb.delete(new[0])
    assert ok, message
    assert doc_ids(assistant) == before
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
