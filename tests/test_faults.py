"""Faults and hostile input: concurrent writers in separate processes, readers during writes, kill -9
mid-write, a full disk, zip bombs, damaged index files, undecodable text and bad arguments on every face.

Every index here uses the hashing fake encoder (`hash`), so a writer process spends its time on
the index, not on a model. Writers run as real processes: the lock under test is the OS's.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from qa import Assistant
from qa.config import Settings
from qa.errors import CorruptIndexError, IndexMismatchError, InputError
from qa.index import Index

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "QA_LOCK_TIMEOUT": "60"}

# Many short articles: a load takes long enough for a concurrent swap to land in the middle of it.
ARTICLES = "".join(f"# 第{i}篇 城市新闻\n\n本报讯 第{i}届活动于2024年{i % 12 + 1}月在第{i}号会场举行,共有{i * 7}人参加。\n\n" for i in range(120))


def article(tag: str) -> str:
    return f"# {tag} 专题报道\n\n本报讯 {tag}活动今天开幕,现场来了很多市民。\n"


@pytest.fixture
def index(tmp_path, hash_encoder) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.md").write_text(ARTICLES, encoding="utf-8")
    path = tmp_path / "idx"
    Assistant.build(corpus, path, encoder=hash_encoder, settings=Settings())
    return path


def doc_ids(path: Path) -> set[str]:
    return {d.doc_id for d in Index.open(path).documents()}


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.") and not p.name.endswith(".lock"))


def qa_cli(*args, env=None, input_bytes=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa.cli", *map(os.fsdecode, args)], capture_output=True, timeout=timeout,
                          env=env or ENV, cwd=ROOT, input=input_bytes)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The CLI's error for a user error: exit 2 and one `error:` line on stderr (beside any progress), no traceback."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err)
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.startswith("error:")]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


# -- two writers, readers during writes ----------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qa import Assistant
    index, work, name, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    for r in range(rounds):
        go = work / f"go-{r}"
        while not go.exists():
            time.sleep(0.002)
        f = work / f"{name}-{r}.md"
        Assistant(index).add([f])   # a fresh Assistant each round, as `qa add` is
        (work / f"done-{name}-{r}").touch()
""")


def test_two_writer_processes_at_once_both_changes_land_20_of_20(index, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    rounds = 20
    for r in range(rounds):
        for name in ("a", "b"):
            (work / f"{name}-{r}.md").write_text(article(f"{name}{r}号"), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(index), str(work), name, str(rounds)], env=ENV,
                              stderr=subprocess.PIPE) for name in ("a", "b")]
    try:
        for r in range(rounds):
            (work / f"go-{r}").touch()  # both writers start their add at the same moment
            deadline = time.time() + 60
            while not all((work / f"done-{n}-{r}").exists() for n in ("a", "b")):
                # A writer exits only after its last round, so any exit before that is a failure.
                assert all(p.poll() in (None, 0) for p in procs), [p.stderr.read().decode() for p in procs]
                assert time.time() < deadline, f"round {r} did not finish"
                time.sleep(0.005)
            ids = doc_ids(index)
            assert {f"a-{r}#1", f"b-{r}#1"} <= ids, f"round {r}: a change was lost"
    finally:
        for p in procs:
            p.wait(timeout=60)
    assert [p.returncode for p in procs] == [0, 0]
    ids = doc_ids(index)
    assert all(f"{n}-{r}#1" in ids for n in ("a", "b") for r in range(rounds))
    assert leftovers(index) == []


READER = textwrap.dedent("""
    import sys, time, json
    from pathlib import Path
    from qa.index import Index
    from qa.errors import QAError
    index, stop = Path(sys.argv[1]), Path(sys.argv[2])
    loads = mixed = 0
    errors = []
    while not stop.exists():
        try:
            idx = Index.open(index)
        except QAError as e:
            errors.append(str(e))
            continue
        loads += 1
        m, docs = idx.manifest, idx.documents()
        sources = {d.source for d in docs}
        # One version: the manifest's counts and sources are those of the passages loaded with it.
        if not (m.passages == len(idx.store) == sum(d.passages for d in docs) and m.documents == len(docs)
                and set(m.sources) == sources):
            mixed += 1
    print(json.dumps({"loads": loads, "mixed": mixed, "errors": errors[:5], "n_errors": len(errors)}))
""")


def test_a_reader_loop_during_writes_never_breaks_a_writer_or_sees_a_mix(index, tmp_path):
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(index), str(stop)], env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        a = Assistant(index)
        time.sleep(1.0)  # the reader is looping
        for i in range(25):
            f = tmp_path / f"w{i}.md"
            f.write_text(article(f"第{i}次写入"), encoding="utf-8")
            a.add([f])
            if i % 3 == 2:
                a.delete(f"w{i - 1}#1")
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    report = json.loads(out)
    assert report["n_errors"] == 0, report["errors"]
    assert report["mixed"] == 0
    assert report["loads"] >= 10, report
    assert len(doc_ids(index)) == 120 + 25 - 8


# -- kill -9 mid-write -----------------------------------------------------------------------------
# Runs a CLI command; QA_TEST_KILL_AT=<function> kills the process (SIGKILL) when storage reaches
# that step, so the moments around the swap are hit every time, not by luck.
KILLER = textwrap.dedent("""
    import os, signal, sys
    from qa import storage
    at = os.environ.get("QA_TEST_KILL_AT")
    if at:
        real = getattr(storage, at)
        def die(*a, **k):
            if at == "_exchange":
                real(*a, **k)          # the swap happened; die before the old version is removed
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(storage, at, die)
    from qa.cli import main
    sys.argv = ["qa", *sys.argv[1:]]
    main()
""")


def writer_command(op: str, index: Path, tmp_path: Path, corpus: Path) -> list[str]:
    if op == "build":
        return ["index", "--corpus", str(corpus), "--index", str(index), "--model", "hash"]
    if op == "add":
        f = tmp_path / "added.md"
        f.write_text(article("新增"), encoding="utf-8")
        return ["add", str(f), "--index", str(index)]
    return ["delete", "news#3", "--index", str(index)]


@pytest.mark.parametrize("kill_at", ["sync_tree", "_exchange", "random"])
@pytest.mark.parametrize("op", ["build", "add", "delete"])
def test_kill_9_mid_write_leaves_old_or_new_and_the_next_writer_cleans_up(index, tmp_path, op, kill_at):
    corpus = tmp_path / "corpus2"
    corpus.mkdir()
    (corpus / "other.md").write_text(article("重建"), encoding="utf-8")
    old = doc_ids(index)
    new = {"build": {"other#1"}, "add": old | {"added#1"}, "delete": old - {"news#3"}}[op]
    cmd = [sys.executable, "-c", KILLER, *writer_command(op, index, tmp_path, corpus)]
    env = {**ENV, "QA_TEST_KILL_AT": "" if kill_at == "random" else kill_at}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_at == "random":
        time.sleep(random.uniform(0.2, 2.0))  # imports, reading, embedding or writing
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert doc_ids(index) in (old, new)  # opens, whole
    # The next writer removes what the killed one left behind.
    f = tmp_path / "next.md"
    f.write_text(article("下一次"), encoding="utf-8")
    assert Assistant(index).add([f]) == ["next#1"]
    assert leftovers(index) == []


# -- disk full -------------------------------------------------------------------------------------
DISK_FULL = textwrap.dedent("""
    import errno, os, sys
    import faiss
    import numpy as np
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    def faiss_full(index, path):  # FAISS's own words for a failed write (seen writing to /dev/full)
        raise RuntimeError("Error in void faiss::write_index(const Index*, IOWriter*, int) at index_write.cpp:499: "
                           f"Error: 'ret == (size * 4)' failed: write error in {path}: 4014 != 32000 (No space left on device)")
    if os.environ["FULL_AT"] == "faiss":
        faiss.write_index = faiss_full
    else:
        np.save = full
    from qa.cli import main
    sys.argv = ["qa", *sys.argv[1:]]
    main()
""")


@pytest.mark.parametrize("where", ["numpy", "faiss"])
@pytest.mark.parametrize("op", ["add", "delete"])
def test_disk_full_during_a_write_is_one_line_and_the_index_is_intact(index, tmp_path, op, where):
    before = doc_ids(index)
    f = tmp_path / "more.md"
    f.write_text(article("磁盘"), encoding="utf-8")
    args = ["add", str(f)] if op == "add" else ["delete", "news#1"]
    proc = subprocess.run([sys.executable, "-c", DISK_FULL, *args, "--index", str(index)], capture_output=True,
                          env={**ENV, "FULL_AT": where}, timeout=60)
    err = one_line_error(proc)
    assert "No space left on device" in err and "unchanged" in err
    assert doc_ids(index) == before
    assert leftovers(index) == []


# -- limits ----------------------------------------------------------------------------------------
def zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """A .docx whose document.xml unpacks to `unpacked_mb` MB of text (a few hundred KB packed)."""
    run = "<w:p><w:r><w:t>" + "炸" * 1000 + "</w:t></w:r></w:p>"
    chunk = (run * (2**20 // len(run.encode()))).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            for _ in range(unpacked_mb):
                f.write(chunk)
            f.write(b"</w:body></w:document>")
    return path


def test_a_zip_bomb_docx_is_refused_fast_with_flat_memory(index, tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.docx", 200)
    assert bomb.stat().st_size < 2 * 2**20
    a = Assistant(index)
    tracemalloc.start()
    t = time.perf_counter()
    with pytest.raises(InputError, match=r"bomb\.docx.*QA_MAX_UNZIPPED_MB"):
        a.add([bomb])
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5, elapsed
    assert peak < 8 * 2**20, peak  # the packed bytes and little more, against 200 MB unpacked
    assert "bomb#1" not in doc_ids(index)


def test_limits_are_the_same_in_the_cli_and_name_their_setting(index, tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.docx", 100)
    assert "QA_MAX_UNZIPPED_MB" in one_line_error(qa_cli("add", bomb, "--index", index))
    big = tmp_path / "big.txt"
    big.write_text("很长的文章。" * 2000, encoding="utf-8")
    err = one_line_error(qa_cli("add", big, "--index", index, env={**ENV, "QA_MAX_DOCUMENT_CHARS": "5000"}))
    assert "big.txt" in err and "QA_MAX_DOCUMENT_CHARS" in err
    err = one_line_error(qa_cli("add", big, "--index", index, env={**ENV, "QA_MAX_UPLOAD_MB": "0"}))
    assert "big.txt" in err and "QA_MAX_UPLOAD_MB" in err
    many = tmp_path / "many.md"
    many.write_text("".join(article(f"第{i}条") + "\n" for i in range(30)), encoding="utf-8")
    err = one_line_error(qa_cli("add", many, "--index", index, env={**ENV, "QA_MAX_ADD_PASSAGES": "10"}))
    assert "QA_MAX_ADD_PASSAGES" in err
    assert not {"big#1", "many#1", "bomb#1"} & doc_ids(index)


# -- damaged index files ---------------------------------------------------------------------------
def _rewrite_json(name, value):
    def damage(path: Path):
        (path / name).write_text(value, encoding="utf-8")
    return damage


def _manifest_field(field, value):
    def damage(path: Path):
        m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        m[field] = value
        (path / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return damage


def _npy(name, change):
    def damage(path: Path):
        a = np.load(path / name)
        np.save(path / name, change(a), allow_pickle=False)
    return damage


def _drop_last_passage(path: Path):
    lines = (path / "passages.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (path / "passages.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")


DAMAGE = {
    "manifest []": (_rewrite_json("manifest.json", "[]"), "manifest.json"),
    "manifest null": (_rewrite_json("manifest.json", "null"), "manifest.json"),
    "manifest truncated": (_rewrite_json("manifest.json", '{"encoder": "hash:256", "di'), "manifest.json"),
    "manifest without encoder": (_rewrite_json("manifest.json", '{"dim": 256}'), "manifest.json"),
    "format version as a string": (_manifest_field("format_version", "1"), "manifest.json"),
    "passage count off": (_manifest_field("passages", 7), "passages.jsonl"),
    "a passage missing": (_drop_last_passage, "passages.jsonl"),
    "passages not JSON": (_rewrite_json("passages.jsonl", "{oops\n"), "passages.jsonl"),
    "sentence ids shifted": (_npy("sentences_pid.npy", lambda a: a + 1), "sentences_pid.npy"),
    "sentence arrays of different lengths": (_npy("sentences_span.npy", lambda a: a[:-3]), "sentences_span.npy"),
    "sentence vectors of another width": (_npy("sentences_vec.npy", lambda a: a[:, :100]), "sentences_vec.npy"),
    "keyword ids off": (_npy("bm25_words/ids.npy", lambda a: a[:-1]), "bm25_words"),
    "vector index garbage": (_rewrite_json("passages.faiss", "not a faiss index"), "passages.faiss"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_each_damaged_index_file_is_one_line_naming_it(index, case):
    damage, name = DAMAGE[case]
    damage(index)
    with pytest.raises((CorruptIndexError, IndexMismatchError)) as e:
        Assistant(index).ask("第3届活动在哪里举行")
    assert name in str(e.value) and "\n" not in str(e.value)
    # The CLI (here `qa check`, which opens the index as `qa ask` does) says the same in one line.
    assert name in one_line_error(qa_cli("check", "--index", index))


def test_qa_check_reports_a_sound_index(index):
    proc = qa_cli("check", "--index", index)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "ok" in proc.stdout.decode()


# -- encodings and bad arguments -------------------------------------------------------------------
JAPANESE = "日本語のテキストです。東京都に住んでいます。今日はとても良い天気ですね。私は毎朝コーヒーを飲みます。\n"
FRENCH = "Café résumé naïve façade. Ça va très bien, merci beaucoup! Élève à l'école.\n"


@pytest.mark.parametrize("name, data", [("japanese.txt", JAPANESE.encode("shift_jis")), ("french.txt", FRENCH.encode("latin-1"))])
def test_shift_jis_and_latin_1_are_refused_not_mangled(index, tmp_path, name, data):
    f = tmp_path / name
    f.write_bytes(data)
    err = one_line_error(qa_cli("add", f, "--index", index))
    assert name in err and "UTF-8" in err
    assert Path(name).stem + "#1" not in doc_ids(index)


def test_a_question_of_undecodable_bytes_is_one_line(index):
    err = one_line_error(qa_cli("ask", b"\xff\xfe\xb0\xa1", "--index", index))
    assert "question" in err
    with pytest.raises(InputError, match="question"):
        Assistant(index).ask("何时\udcff开幕")


@pytest.mark.parametrize("k", ["abc", 0, 101, -1, 2.5, True, "5"])
def test_a_bad_k_is_refused_by_the_python_api(index, k):
    with pytest.raises(InputError, match=r"\bk\b.*1.*100"):
        Assistant(index).ask("第3届活动在哪里举行", k=k)


@pytest.mark.parametrize("k", ["abc", "0", "101"])
def test_a_bad_k_is_refused_by_the_cli(index, k):
    proc = qa_cli("ask", "第3届活动在哪里举行", "-k", k, "--index", index)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err
    assert "'-k'" in err or "k (how many passages to cite) must be a whole number from 1 to 100" in err


@pytest.fixture
def served(index):
    """The page over the index on a free port: (url, assistant)."""
    import socket

    from qa import web

    a = Assistant(index)
    demo = web.create_app(a)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", a
    demo.close()


def post(url: str, body: bytes):
    import httpx

    return httpx.post(url + "api/ask", content=body, headers={"content-type": "application/json"}, timeout=30)


@pytest.mark.slow
def test_web_faces_refuse_bad_k_and_bad_bytes_with_a_message(served, caplog):
    from gradio_client import Client

    url, _ = served
    r = post(url, json.dumps({"question": "第3届活动在哪里举行", "k": 3}).encode())
    assert r.status_code == 200 and len(r.json()["citations"]) == 3
    for k in ("abc", 0, 101):
        r = post(url, json.dumps({"question": "第3届活动在哪里举行", "k": k}).encode())
        assert r.status_code == 400 and "k" in r.json()["error"] and "100" in r.json()["error"]
    r = post(url, b'{"question": "\xff\xfe"}')
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]
    r = post(url, b"[" * 100_000)
    assert r.status_code == 400
    client = Client(url, verbose=False)
    for k in ("abc", 0, 101):
        with pytest.raises(Exception, match=r"\bk\b.*100"):
            client.predict("第3届活动在哪里举行", k, api_name="/ask")


@pytest.mark.slow
def test_the_page_notices_an_index_written_by_another_process(served, tmp_path):
    url, a = served
    f = tmp_path / "fresh.md"
    f.write_text("# 冰雕展开幕\n\n哈尔滨冰雕展于1月5日在松花江畔开幕。\n", encoding="utf-8")
    one = qa_cli("add", f, "--index", a.index_dir)
    assert one.returncode == 0, one.stderr.decode()
    r = post(url, json.dumps({"question": "冰雕展何时开幕"}).encode())
    assert r.json()["citations"][0]["doc_id"] == "fresh#1"


def test_upload_rejections_are_one_line_without_server_paths(index, tmp_path, caplog):
    from qa.web import KnowledgeBase

    kb = KnowledgeBase(Assistant(index), upload_area=tmp_path / "area")
    bad = {
        "binary.txt": b"\x00\x01\x02\x03binary",
        "japanese.txt": JAPANESE.encode("shift_jis"),
        "bomb.docx": zip_bomb(tmp_path / "b.docx", 100).read_bytes(),
        "nested.jsonl": b'{"id": "x", "text": ' + b"[" * 100_000 + b"\n",
        "bigid.jsonl": ('{"id": ' + "9" * 5000 + ', "text": "正文"}\n').encode(),
        "broken.docx": b"PK\x03\x04 not really a zip",
    }
    for name, data in bad.items():
        upload = tmp_path / "browser" / name
        upload.parent.mkdir(exist_ok=True)
        upload.write_bytes(data)
        caplog.clear()
        ok, message = kb.upload([(upload, name)])
        assert not ok and name in message and "\n" not in message, message
        assert str(tmp_path) not in message and "/tmp" not in message, message
        assert "Traceback" not in caplog.text and len(caplog.records) <= 2, caplog.text
    assert not {"binary#1", "japanese#1", "bomb#1", "x"} & doc_ids(index)


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qa import storage
    with storage.write_lock(sys.argv[1], timeout=5):
        Path(sys.argv[2]).touch()
        time.sleep(float(sys.argv[3]))
""")


def test_a_second_writer_waits_then_stops_with_a_message(index, tmp_path):
    held = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(index), str(held), "8"], env=ENV)
    try:
        while not held.exists():
            assert holder.poll() is None
            time.sleep(0.01)
        f = tmp_path / "late.md"
        f.write_text(article("迟到"), encoding="utf-8")
        t = time.perf_counter()
        err = one_line_error(qa_cli("add", f, "--index", index, env={**ENV, "QA_LOCK_TIMEOUT": "1"}))
        assert 1 <= time.perf_counter() - t < 8
        assert "being changed by another writer" in err and "QA_LOCK_TIMEOUT" in err and f"pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    # The lock dies with its holder: the next writer goes ahead.
    assert Assistant(index).add([f]) == ["late#1"]


def test_a_symlinked_index_stays_a_symlink(index, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(index, target_is_directory=True)
    f = tmp_path / "via.md"
    f.write_text(article("链接"), encoding="utf-8")
    assert Assistant(link).add([f]) == ["via#1"]
    assert link.is_symlink() and Path(os.readlink(link)) == index
    assert "via#1" in doc_ids(index) and leftovers(index) == []


SIMPLIFIED = "# 冰雕展开幕\n\n哈尔滨冰雕展于1月5日在松花江畔开幕,来自全国各地的游客前来参观,现场气氛十分热烈。\n"
TRADITIONAL = "# 冰雕展開幕\n\n哈爾濱冰雕展於1月5日在松花江畔開幕,來自全國各地的遊客前來參觀,現場氣氛十分熱烈。\n"


@pytest.mark.parametrize("text, encoding", [(SIMPLIFIED, "utf-8"), (SIMPLIFIED, "utf-8-sig"), (SIMPLIFIED, "utf-16"),
                                            (SIMPLIFIED, "utf-16-le"), (SIMPLIFIED, "utf-16-be"), (SIMPLIFIED, "gb18030"),
                                            (SIMPLIFIED, "gbk"), (TRADITIONAL, "big5"), (TRADITIONAL, "cp950")])
def test_the_encodings_chinese_users_meet_are_read_exactly(tmp_path, text, encoding):
    from qa.ingest import read_file

    f = tmp_path / "ice.md"
    f.write_bytes(text.encode(encoding))
    (doc,) = read_file(f)
    assert doc.title == text.splitlines()[0][2:] and doc.text == text.splitlines()[2]


def test_without_an_atomic_exchange_two_renames_do_the_swap(index, tmp_path, monkeypatch):
    from qa import storage

    monkeypatch.setattr(storage, "_exchange", lambda a, b: False)  # a kernel or file system without RENAME_EXCHANGE
    f = tmp_path / "plain.md"
    f.write_text(article("两次改名"), encoding="utf-8")
    assert Assistant(index).add([f]) == ["plain#1"]
    assert "plain#1" in doc_ids(index) and leftovers(index) == []


def test_qa_check_finds_what_the_quick_checks_on_open_do_not(index):
    _npy("sentences_span.npy", lambda a: a + 10_000)(index)  # spans past their passages' ends
    Index.open(index)  # opens: the quick checks compare counts and shapes only
    proc = qa_cli("check", "--index", index)
    assert proc.returncode == 2 and "sentences_span.npy" in proc.stderr.decode()
