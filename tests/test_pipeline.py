"""Tokenising in a worker process while the encoder runs: same tokens, same index, no process left behind."""
from __future__ import annotations

import sys
from pathlib import Path


from qa import pipeline
from qa.config import Settings
from qa.index import Index
from qa.text import char_tokens, word_tokens
from qa.types import Passage

TEXTS = [f"第{i}届普洱茶博览会于{i % 28 + 1}日在思茅区国际会展中心开幕，共有{i * 7}家企业参展，其中外地企业{i}家。"
         + ("顺丰速运承担物流。" if i % 3 else "Apple公司 presented iPhone 16.") for i in range(60)]


def test_the_worker_makes_the_same_tokens_in_the_same_order(monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", 7)  # many chunks, each adding words to the worker's vocabulary
    with pipeline.Tokenizer(TEXTS) as worker:
        words, chars = worker.tokens()
        assert list(words) == [word_tokens(t) for t in TEXTS]
        assert list(chars) == [char_tokens(t) for t in TEXTS]
    assert worker._proc.returncode is not None  # stopped on leaving


def _build(directory: Path, hash_encoder) -> Index:
    index = Index.create(directory, hash_encoder, Settings())
    index.add_passages([Passage(f"doc{i // 4}", f"标题{i // 4}", t, i % 4) for i, t in enumerate(TEXTS)], hash_encoder, Settings())
    index.save()
    return index


def _keyword_files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and "bm25" in p.as_posix()}


def test_an_index_built_with_the_worker_equals_the_serial_build(tmp_path, monkeypatch, hash_encoder):
    monkeypatch.setattr(pipeline, "MIN_PASSAGES", 10**9)
    serial = _build(tmp_path / "serial", hash_encoder)
    monkeypatch.setattr(pipeline, "MIN_PASSAGES", 1)
    monkeypatch.setattr(pipeline, "CHUNK", 9)
    piped = _build(tmp_path / "piped", hash_encoder)
    a, b = _keyword_files(serial.directory), _keyword_files(piped.directory)
    assert a and a == b


def test_a_failed_worker_falls_back_to_tokenising_here(tmp_path, monkeypatch, hash_encoder, caplog):
    monkeypatch.setattr(pipeline, "MIN_PASSAGES", 10**9)
    serial = _build(tmp_path / "serial", hash_encoder)
    monkeypatch.setattr(pipeline, "MIN_PASSAGES", 1)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the worker exits at once
    piped = _build(tmp_path / "piped", hash_encoder)
    assert "tokenising worker failed" in caplog.text
    assert _keyword_files(serial.directory) == _keyword_files(piped.directory)
