"""Every `qa` command through click's CliRunner; errors are one line on stderr and exit code 2."""
import json

import pytest
from click.testing import CliRunner

from qa.cli import main


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def built(runner, small_corpus, tmp_path):
    idx = tmp_path / "idx"
    r = runner.invoke(main, ["index", "--corpus", str(small_corpus), "--index", str(idx), "--model", "hash"])
    assert r.exit_code == 0, r.output
    assert "indexed 2 documents" in r.output
    return idx


def test_help_explains_the_commands(runner):
    r = runner.invoke(main, ["--help"])
    assert r.exit_code == 0
    for cmd in ("index", "ask", "eval", "add", "delete", "list", "serve"):
        assert cmd in r.output


def test_ask_prints_the_short_answer_the_evidence_and_the_sources_by_article(runner, built):
    r = runner.invoke(main, ["ask", "蓝莓果酱节在哪里举行", "--index", str(built)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("答案: ") and "青岛" in lines[0]
    assert lines[1].startswith("依据: ") and "【" in lines[1]
    assert "《蓝莓果酱节在青岛举行》 (news#1)" in r.output
    assert "[1] 第1段" in r.output and "答案出处" in r.output


def test_ask_a_refusal_lists_the_closest_passages(runner, built):
    r = runner.invoke(main, ["ask", "巴黎明天的天气怎么样", "--index", str(built)])
    assert r.exit_code == 0, r.output
    assert "没有找到" in r.output.splitlines()[0] and "可能相关" in r.output and "答案出处" not in r.output


def test_ask_json_is_the_answer_dict(runner, built):
    r = runner.invoke(main, ["ask", "蓝莓果酱节在哪里举行", "--index", str(built), "--json"])
    d = json.loads(r.output)
    assert d["found"] is True and d["citations"][0]["doc_id"] == "news#1"


def test_errors_are_one_line_and_exit_2(runner, built, tmp_path):
    r = runner.invoke(main, ["ask", "   ", "--index", str(built)])
    assert r.exit_code == 2 and r.output.strip().startswith("error:") and len(r.output.strip().splitlines()) == 1
    r = runner.invoke(main, ["ask", "问题", "--index", str(tmp_path / "none")])
    assert r.exit_code == 2 and "qa index" in r.output
    r = runner.invoke(main, ["ask", "问题", "--index", str(built), "--model", "use-multilingual"])
    assert r.exit_code == 2 and "hash:256" in r.output


def test_add_list_delete(runner, built, tmp_path):
    doc = tmp_path / "more.jsonl"
    doc.write_text(json.dumps({"id": "ice-1", "title": "冰雕展开幕", "text": "哈尔滨冰雕展于1月5日开幕。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    r = runner.invoke(main, ["add", str(doc), "--index", str(built)])
    assert r.exit_code == 0 and "ice-1" in r.output
    r = runner.invoke(main, ["list", "--index", str(built)])
    assert "ice-1" in r.output and "冰雕展开幕" in r.output
    r = runner.invoke(main, ["delete", "ice-1", "--index", str(built)])
    assert r.exit_code == 0 and "deleted ice-1" in r.output
    r = runner.invoke(main, ["list", "--index", str(built), "--json"])
    assert "ice-1" not in r.output and len(r.output.strip().splitlines()) == 2
    r = runner.invoke(main, ["delete", "ice-1", "--index", str(built)])
    assert r.exit_code == 2 and "ice-1" in r.output


def test_index_of_an_empty_corpus_fails_cleanly(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    r = runner.invoke(main, ["index", "--corpus", str(tmp_path / "empty"), "--index", str(tmp_path / "i"), "--model", "hash"])
    assert r.exit_code == 2 and "no documents" in r.output


@pytest.fixture
def squad_file(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    data = {"data": [{"title": "蓝莓", "paragraphs": [{"id": "p1", "context": "蓝莓果酱节在青岛举行。共有120家农户参加。",
                      "qas": [{"id": "q1", "question": "蓝莓果酱节在哪里举行", "answers": [{"text": "青岛"}]},
                              {"id": "q2", "question": "  ", "answers": [{"text": "x"}]}]}]},
                     {"title": "冰雕", "paragraphs": [{"id": "p2", "context": "哈尔滨冰雕展于1月5日开幕。",
                      "qas": [{"id": "q3", "question": "冰雕展哪天开幕", "answers": [{"text": "1月5日"}]}]}]}]}
    f = tmp_path / "set.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return f


def test_eval_reports_retrieval_answers_and_latency(runner, squad_file):
    r = runner.invoke(main, ["eval", str(squad_file), "--model", "hash", "--compare"])
    assert r.exit_code == 0, r.output
    assert "questions          2" in r.output  # the blank question was skipped
    assert "R@1 / R@5 / MRR    1.000" in r.output and "p50" in r.output and "hybrid (qa)" in r.output


def test_calibrate_prints_thresholds_from_answerable_and_unanswerable_questions(runner, squad_file):
    r = runner.invoke(main, ["calibrate", str(squad_file), "--model", "hash", "--keep", "0.99"])
    assert r.exit_code == 0, r.output
    assert "| 0.99 |" in r.output and "threshold for keep=0.99" in r.output
