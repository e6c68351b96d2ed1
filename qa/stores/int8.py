"""Sentence vectors in 8 bits: each unit row as int8 codes times one float32 scale (516 bytes a 512-d row,
half of float16). On the CMRC 2018 trial set R@1 and answer hit are the same as with float16
(`qa eval`); the cosine a sentence gets moves by less than 0.002.

A scale per row rather than a range per dimension: rows are added and deleted incrementally, and a range
fitted on the first batch would clip later rows or force every old row to be re-quantised.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

CODES = "sentences_vec.npy"
SCALES = "sentences_scale.npy"


class Int8Rows:
    """Rows of unit vectors, read back as float32 by indexing; indexes written before this format held
    float16 rows in sentences_vec.npy and no scales, and still open (those rows are used as they are)."""

    def __init__(self, codes: np.ndarray, scales: np.ndarray | None):
        self.codes = codes
        self.scales = scales  # None: `codes` are legacy float16 rows

    @classmethod
    def empty(cls, dim: int) -> "Int8Rows":
        return cls(np.zeros((0, dim), np.int8), np.zeros(0, np.float32))

    @staticmethod
    def quantise(vectors: np.ndarray, block: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
        """(int8 codes, float32 scale per row), so that codes * scale ~ vectors; a block of rows at a time,
        so no float32 copy of millions of rows is made."""
        codes = np.empty(vectors.shape, np.int8)
        scales = np.empty(len(vectors), np.float32)
        for s in range(0, len(vectors), block):
            v = np.asarray(vectors[s : s + block], dtype=np.float32)
            scale = np.abs(v).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            codes[s : s + block] = np.rint(v / scale[:, None])
            scales[s : s + block] = scale
        return codes, scales

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.codes)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape

    @property
    def ndim(self) -> int:
        return self.codes.ndim

    def __getitem__(self, rows) -> np.ndarray:
        """Rows as float32."""
        out = np.asarray(self.codes[rows], dtype=np.float32)
        if self.scales is not None:
            out *= np.asarray(self.scales[rows], dtype=np.float32)[..., None]
        return out

    # -- changing -------------------------------------------------------------------------------
    def append(self, vectors: np.ndarray) -> "Int8Rows":
        codes, scales = self.quantise(vectors)
        if self.scales is None:  # a legacy index: the whole set moves to int8 with the first added rows
            self.codes, self.scales = self.quantise(np.asarray(self.codes, dtype=np.float32))
        return Int8Rows(np.concatenate([self.codes, codes]), np.concatenate([self.scales, scales]))

    def select(self, keep: np.ndarray) -> "Int8Rows":
        return Int8Rows(self.codes[keep], None if self.scales is None else self.scales[keep])

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        np.save(directory / CODES, self.codes, allow_pickle=False)
        if self.scales is not None:
            np.save(directory / SCALES, self.scales, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> "Int8Rows":
        codes = np.load(directory / CODES, allow_pickle=False, mmap_mode="r")
        if codes.dtype == np.float16:
            return cls(codes, None)
        if codes.dtype != np.int8:
            raise ValueError(f"sentence vectors of dtype {codes.dtype}, expected int8 or float16")
        scales = np.load(directory / SCALES, allow_pickle=False)
        if scales.shape != (len(codes),):
            raise ValueError(f"{SCALES} has shape {scales.shape}, expected ({len(codes)},)")
        return cls(codes, scales)
