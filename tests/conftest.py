"""Shared test fixtures: the suite never reaches the network; under scripts/test, nothing skips."""
from __future__ import annotations

import ipaddress
import os
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets are local by definition
    host = address[0]
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise RuntimeError(f"tests must not use the network: connection to {address!r} blocked (tests/conftest.py)")


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def pytest_sessionfinish(session, exitstatus):
    """With QA_FORBID_SKIPS=1 (scripts/test, so CI) a skipped test fails the run: it would hide a break."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("QA_FORBID_SKIPS") and skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped; QA_FORBID_SKIPS=1 makes that a failure", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Block connections to anything but loopback, so a test cannot silently download a model."""
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
    yield


# -- shared indexes --------------------------------------------------------------------------------
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
TRIAL = ROOT / "eval" / "cmrc2018_trial.json"  # shipped with the repository (CC BY-SA 4.0)

ARTICLES = """# 蓝莓果酱节在青岛举行

本报讯 第三届蓝莓果酱节于2024年8月3日在青岛市崂山区开幕,共有120家农户参加。

活动由崂山区农业农村局主办,现场售出蓝莓果酱4.5万瓶。

# 社区图书馆延长开放时间

本报讯 从下月起,朝阳区社区图书馆每天开放到晚上9点,方便上班族借阅。

图书馆馆长李明说,延长开放后预计每月新增读者800人。
"""


@pytest.fixture(scope="session")
def hash_encoder():
    """The hashing fake: instant and deterministic, for tests where the model is not the point."""
    from qa.encoders import HashingEncoder

    return HashingEncoder(256)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "news.md").write_text(ARTICLES, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def use_index(tmp_path_factory):
    """The bundled corpus indexed with the real default encoder, built once for the session."""
    from qa import Assistant

    path = tmp_path_factory.mktemp("bundled") / "index"
    Assistant.build(CORPUS, path)
    return path


def pytest_collection_modifyitems(config, items):
    """Tests of a Qdrant server run only when QA_QDRANT_URL names one (`pytest -m qdrant_server`):
    deselected otherwise, whatever -m says, so that a run without a server neither fails nor skips."""
    import os

    if os.environ.get("QA_QDRANT_URL"):
        return
    keep = [i for i in items if i.get_closest_marker("qdrant_server") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
