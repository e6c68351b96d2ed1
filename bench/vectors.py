"""Real USE vectors (embedded once, cached on disk with how long they took) and stand-in vectors.

Sentence vectors are always real: every synthetic passage is made of real
sentences, and all of them are embedded. Passage vectors are real for the first
`real` passages of the synthetic corpus; above that they are stand-ins drawn
from the real ones: resample a real passage vector, add gaussian noise in its
PCA space (per component, `NOISE` times that component's standard deviation),
renormalise. Same dimension, same spread of directions, no encoder call.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.encoders import PassageSentenceEncoder
from qa.index import indexed_text

from .corpus import pool, synthetic_passages, trial_set

log = logging.getLogger(__name__)
NOISE = 0.5
CHUNK = 65_536


@dataclass(frozen=True)
class EncoderRate:
    """Seconds per text of the real encoder, measured on this machine while embedding the cache."""

    passage_s: float  # synthetic passages (title + 3-8 sentences)
    sentence_s: float
    query_s: float
    passages: int
    sentences: int
    # A passage and its sentences from one pass (PassageSentenceEncoder, as qa indexes with USE); 0: not timed.
    joint_s: float = 0.0
    passage_tokens: float = 0.0  # the encoder's tokens per passage / per sentence (0: not known)
    sentence_tokens: float = 0.0

    def embed_seconds(self, passages: int, sentences: int = 0, joint: int = 0) -> float:
        """Encoder seconds for `passages` and `sentences` encoded one text at a time and `joint` passages
        encoded with their sentences in one pass."""
        return passages * self.passage_s + sentences * self.sentence_s + joint * self.joint_s


@dataclass
class RealVectors:
    sentences: dict[str, int]
    sentence_vecs: np.ndarray
    passages: dict[str, int]  # indexed_text -> row: trial passages, then the first `real` synthetic ones
    passage_vecs: np.ndarray
    real: int  # synthetic passages embedded for real
    rate: EncoderRate
    encoder: str


def _timed_encode(encoder, texts: list[str]) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    v = encoder.encode(texts, batch_size=32, progress=False)
    return v, time.perf_counter() - t


def real_vectors(real: int, cache_dir: Path, encoder_name: str = "use-multilingual") -> RealVectors:
    """Embed the pool's sentences, the trial passages and the first `real` synthetic passages (cached)."""
    sentences = pool().sentences
    trial = [indexed_text(p) for p in trial_set()[0]] + [p.text[a:b] for p in trial_set()[0] for a, b in _spans(p.text)]
    trial_passages = [indexed_text(p) for p in trial_set()[0]]
    trial_sents = sorted(set(trial) - set(trial_passages) - set(sentences))
    sentences = sentences + trial_sents  # sentences of the trial passages not kept as building blocks
    synth = [indexed_text(p) for p in synthetic_passages(real)]
    key = hashlib.sha256("\x00".join([encoder_name] + sentences + trial_passages + synth).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"real-{key}.npz"
    if path.exists():
        z = np.load(path)
        rate = EncoderRate(*[float(x) for x in z["rate"][:3]], int(z["rate"][3]), int(z["rate"][4]))
        log.info("real vectors from cache %s", path)
        sv, pv = z["sentences"], z["passages"]
    else:
        from qa.encoders import load_encoder

        encoder = load_encoder(encoder_name)
        log.info("embedding %d sentences, %d trial passages, %d synthetic passages with the real encoder",
                 len(sentences), len(trial_passages), len(synth))
        sv, ts = _timed_encode(encoder, sentences)
        tv, _ = _timed_encode(encoder, trial_passages)
        syv, tp = _timed_encode(encoder, synth)
        from .corpus import queries

        qs = queries(50, seed=99)
        t = time.perf_counter()
        for q in qs:
            encoder.encode([q])
        tq = (time.perf_counter() - t) / len(qs)
        rate = EncoderRate(tp / max(len(synth), 1), ts / len(sentences), tq, len(synth), len(sentences))
        pv = np.concatenate([tv, syv]).astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, sentences=sv.astype(np.float32), passages=pv,
                 rate=np.array([rate.passage_s, rate.sentence_s, rate.query_s, rate.passages, rate.sentences]))
    return RealVectors({s: i for i, s in enumerate(sentences)}, sv, {t: i for i, t in enumerate(trial_passages + synth)},
                       pv, real, rate, encoder_name)


def measure_rate(encoder_name: str, passages: int = 100, sentences: int = 300, queries_n: int = 30, rounds: int = 3) -> EncoderRate:
    """The real encoder's seconds per text, timed now on samples of synthetic passages, pool sentences and
    questions. The kinds take turns for `rounds` rounds and each keeps its fastest: on a shared machine a
    burst of other work then slows all kinds alike or none, so their ratios hold."""
    from qa.encoders import load_encoder

    from .corpus import queries

    encoder = load_encoder(encoder_name)
    encoder.encode(["预热"])  # first call builds the graph
    rng = np.random.default_rng(7)
    pool_s = pool().sentences
    sents = [pool_s[i] for i in rng.choice(len(pool_s), min(sentences, len(pool_s)), replace=False)]
    ps = synthetic_passages(passages, start=500_000)
    synth = [indexed_text(p) for p in ps]
    spans = [[(a + len(t) - len(p.text), b + len(t) - len(p.text)) for a, b in _spans(p.text)] for t, p in zip(synth, ps)]
    joint = isinstance(encoder, PassageSentenceEncoder)
    qs = queries(queries_n, seed=99)
    best = {"passage": np.inf, "sentence": np.inf, "joint": np.inf if joint else 0.0, "query": np.inf}
    for _ in range(rounds):
        best["passage"] = min(best["passage"], _timed_encode(encoder, synth)[1] / len(synth))
        best["sentence"] = min(best["sentence"], _timed_encode(encoder, sents)[1] / len(sents))
        if joint:
            t = time.perf_counter()
            encoder.encode_passages_and_sentences(synth, spans)
            best["joint"] = min(best["joint"], (time.perf_counter() - t) / len(synth))
        t = time.perf_counter()
        for q in qs:
            encoder.encode([q])
        best["query"] = min(best["query"], (time.perf_counter() - t) / len(qs))
    return EncoderRate(best["passage"], best["sentence"], best["query"], len(synth), len(sents), best["joint"],
                       _mean_tokens(encoder, synth), _mean_tokens(encoder, sents))


def _mean_tokens(encoder, texts: list[str]) -> float:
    """The encoder's tokens per text (start and end markers included), where its tokenizer is known (USE)."""
    sp = getattr(getattr(getattr(encoder, "_model", None), "_model", None), "sp", None)
    if sp is None:
        return 0.0
    return float(np.mean([len(sp.encode(t, out_type=int)) for t in texts]))


def _spans(text: str):
    from qa.text import sentence_spans

    return sentence_spans(text)


class StandIns:
    """Deterministic stand-in passage vectors: resampled real vectors plus noise in their PCA space."""

    def __init__(self, real: np.ndarray, seed: int = 0):
        self.mean = real.mean(axis=0)
        x = real - self.mean
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        self.components = vt.astype(np.float32)  # (r, dim)
        self.std = (s / np.sqrt(max(len(real) - 1, 1))).astype(np.float32)
        self.coords = (x @ vt.T).astype(np.float32)  # each real vector in PCA coordinates
        self.seed = seed

    def chunk(self, c: int) -> np.ndarray:
        """Stand-in vectors c*CHUNK .. (c+1)*CHUNK."""
        if getattr(self, "_last", (None,))[0] == c:
            return self._last[1]
        self._last = (c, self._chunk(c))
        return self._last[1]

    def _chunk(self, c: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, c])
        pick = rng.integers(len(self.coords), size=CHUNK)
        z = self.coords[pick] + NOISE * self.std * rng.standard_normal((CHUNK, len(self.std)), dtype=np.float32)
        v = z @ self.components + self.mean
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    def take(self, start: int, n: int) -> np.ndarray:
        out = np.empty((n, self.components.shape[1]), np.float32)
        done = 0
        while done < n:
            c, off = divmod(start + done, CHUNK)
            m = min(CHUNK - off, n - done)
            out[done : done + m] = self.chunk(c)[off : off + m]
            done += m
        return out


class PrecomputedEncoder:
    """A bench-only `qa.encoders.Encoder`: real vectors for texts that were embedded, stand-ins for other
    passages (in order of appearance, so passage i of the synthetic corpus gets stand-in i - real).

    It costs no encoder time; the build's embedding time is reported from `EncoderRate` instead.
    """

    def __init__(self, rv: RealVectors, standins: StandIns):
        self.name, self.dim = rv.encoder, rv.sentence_vecs.shape[1]
        self.rv, self.standins = rv, standins
        self.next_standin = 0
        # Where each passage's vector came from, in encoding order: row r of rv.passage_vecs as -(r + 1),
        # stand-in k as k. A synthetic passage whose text repeats an embedded one gets that real vector, so
        # stand-ins do not line up with passage positions; exact-search ground truth reads this log instead.
        self._source = np.zeros(0, np.int64)
        self._logged: list[np.ndarray] = []
        self.missing_sentences = 0
        self.passages = 0
        self.sentences = 0

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        todo = []
        source = []
        sents, pas = self.rv.sentences, self.rv.passages
        for i, t in enumerate(texts):
            j = sents.get(t)
            if j is not None:
                out[i] = self.rv.sentence_vecs[j]
                self.sentences += 1
                continue
            j = pas.get(t)
            if j is not None:
                out[i] = self.rv.passage_vecs[j]
                self.passages += 1
                source.append(-(j + 1))
            elif "\n" in t:
                source.append(self.next_standin + len(todo))
                todo.append(i)
                self.passages += 1
            else:  # a sentence the pool split differently (rare): any real sentence, chosen by hash
                h = int(hashlib.blake2b(t.encode(), digest_size=8).hexdigest(), 16)
                out[i] = self.rv.sentence_vecs[h % len(self.rv.sentence_vecs)]
                self.missing_sentences += 1
                self.sentences += 1
        if todo:
            out[todo] = self.standins.take(self.next_standin, len(todo))
            self.next_standin += len(todo)
        if source:
            self._logged.append(np.array(source, np.int64))
        return out

    def passage_sources(self) -> np.ndarray:
        """Source of every passage vector handed out so far (see `_source`), in encoding order."""
        if self._logged:
            self._source = np.concatenate([self._source, *self._logged])
            self._logged = []
        return self._source

    def given_vectors(self, start: int, n: int) -> np.ndarray:
        """The vectors handed out for passages start..start+n, in encoding order (exact-search ground truth)."""
        src = self.passage_sources()[start : start + n]
        out = np.empty((len(src), self.dim), np.float32)
        real = src < 0
        out[real] = self.rv.passage_vecs[-src[real] - 1]
        ks = src[~real]
        if len(ks):
            # Stand-ins are handed out in order, so a block's are one contiguous run.
            assert np.all(np.diff(ks) == 1), "stand-ins are handed out in order"
            out[~real] = self.standins.take(int(ks[0]), len(ks))
        return out


class PrecomputedPassageEncoder(PrecomputedEncoder):
    """PrecomputedEncoder for a real encoder that is a PassageSentenceEncoder: qa then asks for a passage and
    its sentences together, and the build's embedding time is `joint` passages x `EncoderRate.joint_s`.
    Sentence vectors are the cached ones (each sentence encoded alone) unless `real` is given: then they come
    from `real`'s one pass, as qa builds them (the trial-set quality uses that; passage vectors are the same)."""

    def __init__(self, rv: RealVectors, standins: StandIns, real=None):
        super().__init__(rv, standins)
        self.joint = 0
        self.real = real

    def encode_passages_and_sentences(self, passages: Sequence[str], spans) -> tuple[np.ndarray, np.ndarray]:
        self.joint += len(passages)
        if self.real is not None:
            return self.encode(passages), self.real.encode_passages_and_sentences(passages, spans)[1]
        return self.encode(passages), self.encode([t[a:b] for t, sp in zip(passages, spans) for a, b in sp])


def precomputed(rv: RealVectors, standins: StandIns, real_encoder, real_sentences: bool = False) -> PrecomputedEncoder:
    """The bench stand-in for `real_encoder`, with the same build path (one pass per passage or not)."""
    if isinstance(real_encoder, PassageSentenceEncoder):
        return PrecomputedPassageEncoder(rv, standins, real_encoder if real_sentences else None)
    return PrecomputedEncoder(rv, standins)
