"""Index directories: manifest, atomic swap, incremental add/delete, damaged files."""
import json

import pytest

from qa import Assistant
from qa.config import FORMAT_VERSION, Manifest, Settings
from qa.errors import CorruptIndexError, IndexMismatchError, IndexNotFoundError, InputError


def build(corpus, path, enc):
    return Assistant.build(corpus, path, encoder=enc, settings=Settings())


def test_manifest_records_how_the_index_was_built(small_corpus, tmp_path, hash_encoder):
    a = build(small_corpus, tmp_path / "idx", hash_encoder)
    m = json.loads((tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8"))
    assert m["encoder"] == "hash:256" and m["dim"] == 256 and m["format_version"] == FORMAT_VERSION
    assert m["documents"] == 2 and m["passages"] == a.manifest.passages > 0
    assert m["tokenizer"] and m["built_at"]
    assert any(k.endswith("news.md") for k in m["sources"])
    assert not any(p.name.endswith(".pkl") or p.name.endswith(".pickle") for p in (tmp_path / "idx").rglob("*"))


def test_opening_with_another_encoder_names_both(small_corpus, tmp_path, hash_encoder):
    build(small_corpus, tmp_path / "idx", hash_encoder)
    with pytest.raises(IndexMismatchError, match=r"hash:256.*use-multilingual|use-multilingual.*hash:256"):
        Assistant(tmp_path / "idx", model="use-multilingual")


def test_opening_another_format_version_fails(small_corpus, tmp_path, hash_encoder):
    build(small_corpus, tmp_path / "idx", hash_encoder)
    path = tmp_path / "idx" / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="format version"):
        Assistant(tmp_path / "idx")


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexNotFoundError, match="qa index"):
        Assistant(tmp_path / "nowhere")


def test_corrupt_manifest_is_a_clear_error(small_corpus, tmp_path, hash_encoder):
    build(small_corpus, tmp_path / "idx", hash_encoder)
    (tmp_path / "idx" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorruptIndexError, match="manifest.json"):
        Assistant(tmp_path / "idx")


def test_interrupted_rebuild_leaves_the_previous_index_working(small_corpus, tmp_path, hash_encoder, monkeypatch):
    build(small_corpus, tmp_path / "idx", hash_encoder)
    before = sorted(p.name for p in (tmp_path / "idx").iterdir())

    def crash(self, path):
        raise KeyboardInterrupt  # the user pressed Ctrl-C halfway through writing

    monkeypatch.setattr("qa.stores.faiss.FaissStore.save", crash)
    with pytest.raises(KeyboardInterrupt):
        build(small_corpus, tmp_path / "idx", hash_encoder)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == before
    # No temporary leftovers (the lock file beside the index stays: it is reused by every writer).
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".idx") and p.name != ".idx.lock"]
    assert Assistant(tmp_path / "idx", encoder=hash_encoder).ask("蓝莓果酱节在哪里举行").found


def test_build_refuses_to_replace_a_directory_that_is_not_an_index(small_corpus, tmp_path, hash_encoder):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not a qa index"):
        build(small_corpus, target, hash_encoder)
    assert (target / "thesis.txt").read_text(encoding="utf-8") == "keep me"


def test_add_and_delete_do_not_reembed_the_rest(small_corpus, tmp_path, hash_encoder):
    a = build(small_corpus, tmp_path / "idx", hash_encoder)
    calls = []
    original = hash_encoder.encode

    def counting(texts, **kw):
        calls.append(len(texts))
        return original(texts, **kw)

    a.encoder.encode = counting
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "x-1", "title": "冰雕展开幕", "text": "哈尔滨冰雕展于1月5日开幕。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert a.add([extra]) == ["x-1"]
    assert calls == [2]  # one passage and its one sentence; nothing else re-embedded
    reopened = Assistant(tmp_path / "idx", encoder=hash_encoder)
    assert "x-1" in [d.doc_id for d in reopened.documents()]
    assert reopened.delete("x-1") == 1
    assert "x-1" not in [d.doc_id for d in Assistant(tmp_path / "idx", encoder=hash_encoder).documents()]
    with pytest.raises(InputError, match="x-1"):
        reopened.delete("x-1")


def test_manifest_round_trip(tmp_path):
    m = Manifest(encoder="e", dim=3, documents=1, passages=2)
    m.save(tmp_path)
    assert Manifest.load(tmp_path) == m


def test_an_index_stranded_by_a_killed_swap_is_restored(small_corpus, tmp_path, hash_encoder):
    build(small_corpus, tmp_path / "idx", hash_encoder)
    # The process died between moving the old index aside and moving the new one in.
    (tmp_path / "idx").rename(tmp_path / ".idx.old-123-456")
    a = Assistant(tmp_path / "idx", encoder=hash_encoder)
    assert len(a.documents()) == 2


def test_adding_a_bad_file_adds_nothing_and_names_it(small_corpus, tmp_path, hash_encoder):
    a = build(small_corpus, tmp_path / "idx", hash_encoder)
    good = tmp_path / "good.md"
    good.write_text("# 冰雕展开幕\n\n哈尔滨冰雕展于1月5日开幕。\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match="bad.txt"):
        a.add([good, bad])
    assert len(Assistant(tmp_path / "idx", encoder=hash_encoder).documents()) == 2


def test_adding_a_file_again_replaces_everything_it_gave_before(small_corpus, tmp_path, hash_encoder):
    a = build(small_corpus, tmp_path / "idx", hash_encoder)
    f = tmp_path / "extra.md"
    f.write_text("# 甲\n\n第一篇文章。\n\n# 乙\n\n第二篇文章。\n", encoding="utf-8")
    assert a.add([f]) == ["extra#1", "extra#2"]
    f.write_text("# 甲\n\n只剩一篇了。\n", encoding="utf-8")
    assert a.add([f]) == ["extra#1"]
    ids = [d.doc_id for d in a.documents()]
    assert "extra#2" not in ids and ids.count("extra#1") == 1


def test_a_build_shows_its_progress_in_passages_per_second(small_corpus, tmp_path, hash_encoder, capsys):
    # The keyword index tokenises every passage (~1.5 ms each with jieba: minutes at 100k), so it has a bar
    # of its own, in passages, with a rate and time left, like the embedding's.
    Assistant.build(small_corpus, tmp_path / "idx", encoder=hash_encoder, settings=Settings(), progress=True)
    err = capsys.readouterr().err
    for stage in ("keyword index (words)", "keyword index (characters)"):
        bar = next(line for line in err.replace("\r", "\n").splitlines() if line.startswith(stage))
        assert "passage/s" in bar and "<" in bar  # rate, and elapsed<remaining
    build(small_corpus, tmp_path / "quiet", hash_encoder)  # progress=False: no bar
    assert "keyword index" not in capsys.readouterr().err
