"""Passage tokens made by a second process while this one embeds.

The encoder runs on one core (qa.use.BLAS_THREADS); jieba is pure Python, so a thread beside it would
share the GIL and gain nothing (measured: wall 1.01x). A worker process tokenises on the other core:
on a quiet 2-core machine a 3,000-passage build took 0.93x the wall time (0.91-0.95, 3 alternating pairs).

The worker is `python -m qa.pipeline`, a plain subprocess talking pickles over its stdin/stdout, not
multiprocessing: a spawned multiprocessing child re-imports the caller's `__main__` (a script that
builds at top level without a main guard would build again), and a forked one inherits the locks of
the server's threads. It sends back each chunk's tokens as int32 ids over a vocabulary of its own plus
the words that chunk added, so ~4 bytes a token cross the pipe. Tokens are identical to the serial
path's (same functions, same order); if the worker fails, the build tokenises in this process instead.
"""
from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

log = logging.getLogger(__name__)

CHUNK = 512  # passages per message: ~1 s of jieba, so results arrive while the encoder still runs
MIN_PASSAGES = 1_000  # below this the worker's start (~1 s: Python, numpy, jieba's dictionary) costs more


class Tokenizer:
    """Word and character tokens of `texts`, made in a worker process from the moment it is created.

    `tokens()` gives each passage's word and character tokens in order (None if the worker failed).
    A context manager: leaving it stops the worker, also on an error or KeyboardInterrupt.
    """

    def __init__(self, texts: Sequence[str]):
        import qa

        env = dict(os.environ)
        root = str(Path(qa.__file__).resolve().parent.parent)  # the worker imports this very qa
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self._chunks = [list(texts[s : s + CHUNK]) for s in range(0, len(texts), CHUNK)]
        self._results: list = []
        self._error: BaseException | None = None
        self._proc = subprocess.Popen([sys.executable, "-m", "qa.pipeline"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env)
        # Writing and reading on threads of their own: the worker blocks when its output pipe is full.
        self._writer = threading.Thread(target=self._write, name="qa-tokenise-write", daemon=True)
        self._reader = threading.Thread(target=self._read, name="qa-tokenise-read", daemon=True)
        self._writer.start()
        self._reader.start()

    def _write(self) -> None:
        try:
            with self._proc.stdin as pipe:
                for chunk in self._chunks:
                    pickle.dump(chunk, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(None, pipe)
        except (BrokenPipeError, OSError, ValueError) as e:  # the worker died or was stopped
            self._error = self._error or e

    def _read(self) -> None:
        try:
            for _ in self._chunks:
                self._results.append(pickle.load(self._proc.stdout))
        except (EOFError, OSError, pickle.UnpicklingError, ValueError) as e:
            self._error = self._error or e

    def tokens(self) -> tuple[Iterator[list[str]], Iterator[list[str]]] | None:
        """(words, chars): each passage's tokens in order, once the worker has sent them all; None if
        it failed (then tokenise in this process)."""
        self._reader.join()
        if self._error is not None or len(self._results) != len(self._chunks):
            log.warning("tokenising worker failed (%s); tokenising in this process", self._error)
            return None
        return _passages([r[0] for r in self._results]), _passages([r[1] for r in self._results])

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._writer.join()
        self._reader.join()
        self._proc.stdout.close()

    def __enter__(self) -> "Tokenizer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _passages(chunks: list[tuple[int, list[str], np.ndarray, np.ndarray]]) -> Iterator[list[str]]:
    """Each passage's tokens as strings, one passage at a time, from the worker's chunks."""
    vocabulary: list[str] = []
    for base, new_words, _, _ in chunks:
        if base != len(vocabulary):  # chunks are tokenised and read back in one order
            raise RuntimeError(f"token chunk out of order: vocabulary at {base}, expected {len(vocabulary)}")
        vocabulary.extend(new_words)
    words = np.array(vocabulary, dtype=object)
    for _, _, flat, lengths in chunks:
        at = 0
        for n in lengths.tolist():
            yield words[flat[at : at + n]].tolist()
            at += n


# -- the worker process -------------------------------------------------------------------------
def _ids(texts: list[str], tokens, vocab: dict[str, int]):
    base = len(vocab)
    rows = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens(x)), dtype=np.int32) for x in texts]
    lengths = np.array([len(r) for r in rows], dtype=np.int32)
    flat = np.concatenate(rows) if rows else np.zeros(0, np.int32)
    return base, list(vocab)[base:], flat, lengths


def _serve(stdin, stdout) -> None:
    from .text import char_tokens, word_tokens

    words: dict[str, int] = {}
    chars: dict[str, int] = {}
    while (texts := pickle.load(stdin)) is not None:
        pickle.dump((_ids(texts, word_tokens, words), _ids(texts, char_tokens, chars)), stdout,
                    protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to act on; it stops the worker
    try:
        _serve(sys.stdin.buffer, sys.stdout.buffer)
    except (EOFError, BrokenPipeError):  # the parent stopped or died: nothing left to do
        pass
