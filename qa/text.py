"""Normalisation, sentence splitting and the one Chinese tokenizer used for passages and queries alike.

Normalisation keeps the length of the text, character for character, so that an
offset found in the normalised text is the same offset in the original text
that users see.
"""
from __future__ import annotations

import functools
import logging
import re
import unicodedata
from pathlib import Path

# Sentence ends: 。！？; and their ASCII forms, plus line breaks. Closing quotes
# and brackets that follow stay with the sentence they close.
_SENT_END = re.compile(r"[。！？!?；;…]+[”’」』）)\]】〕》\"']*|\n+")
_CLAUSE_END = re.compile(r"[，,、：:]+")
# Characters that never make a token: punctuation, symbols, spaces.
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)

# Words that say what kind of answer is asked for, not what it is about; they
# are dropped from queries so that they do not pull in passages that merely
# ask questions themselves.
QUESTION_WORDS = (
    "什么时候", "什么样", "什么", "为什么", "怎么样", "怎么", "怎样", "如何", "多少", "多久", "多长", "多大",
    "哪一年", "哪年", "哪天", "哪里", "哪儿", "哪些", "哪个", "哪位", "哪家", "哪种", "哪", "何时", "何地",
    "何处", "何人", "为何", "谁", "几", "吗", "呢", "是否", "请问",
)
_QUESTION_RE = re.compile("|".join(sorted(map(re.escape, QUESTION_WORDS), key=len, reverse=True)))


@functools.lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional -> simplified, character by character, from OpenCC's own dictionary."""
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            target = parts[1].split(" ")[0]
            if len(target) == 1:
                table[ord(parts[0])] = target
    return table


def _fold_char(c: str) -> str:
    """One character for one: the NFKC/lower-case fold when it is a single character, else `c`."""
    n = unicodedata.normalize("NFKC", c)
    for f in (n.lower(), n, c.lower()):
        if len(f) == 1:
            return f
    return c


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    # NFKC folds full-width ASCII, compatibility ideographs and the like; only
    # one-to-one mappings are kept so that offsets do not move.
    table = {}
    for cp in list(range(0x20, 0x3000)) + list(range(0x3000, 0x3100)) + list(range(0xF900, 0xFB00)) + list(range(0xFF00, 0xFFF0)):
        c = chr(cp)
        f = _fold_char(c)
        if f != c:
            table[cp] = f
    table.update({k: v for k, v in _t2s_table().items() if k not in table})
    return table


# Answering normalises and tokenises the same passages and sentences in several stages, and a small
# knowledge base is asked about the same passages again and again, so both are cached (a str caches
# its own hash: a repeat costs a dict lookup). Only texts up to a passage's size: a whole document
# normalised at ingestion would only fill the cache.
CACHED_CHARS = 2000


def normalize(text: str) -> str:
    """NFKC, lower case, traditional -> simplified; same length as `text`."""
    return _normalize(text) if len(text) <= CACHED_CHARS else text.translate(_fold_table())


@functools.lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    return text.translate(_fold_table())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, whitespace trimmed, empty ones dropped."""
    return _spans(text, _SENT_END)


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause (split at commas, enumeration commas and colons too)."""
    out = []
    for s, e in sentence_spans(text):
        out.extend((s + a, s + b) for a, b in _spans(text[s:e], _CLAUSE_END))
    return out


def _spans(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in pattern.finditer(text):
        end = m.end() if not m.group().startswith("\n") else m.start()
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]


@functools.lru_cache(maxsize=1)
def jieba_tokenizer():
    """The project's one jieba tokenizer (loaded on first use, quiet)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def strip_question_words(query: str) -> str:
    """The query with its question words replaced by spaces (offsets kept)."""
    return _QUESTION_RE.sub(lambda m: " " * len(m.group()), query)


def word_tokens(text: str, query: bool = False) -> list[str]:
    """jieba search-mode tokens of the normalised text, punctuation dropped.

    With `query=True` question words are removed first, so a query and a
    passage saying the same thing produce the same tokens.
    """
    norm = normalize(text)
    if query:
        norm = strip_question_words(norm)
    return [t for t in jieba_tokenizer().cut_for_search(norm) if not _PUNCT.fullmatch(t)]


_UNIT = re.compile(r"[a-z0-9]+|[^\W_]", re.UNICODE)


def char_tokens(text: str, query: bool = False) -> list[str]:
    """Character unigrams and bigrams (ASCII words and numbers count as one unit).

    Bigrams never cross punctuation, so they stay inside one phrase.
    """
    return list(_char_tokens(text, query) if len(text) <= CACHED_CHARS else _char_tokens.__wrapped__(text, query))


@functools.lru_cache(maxsize=2048)
def _char_tokens(text: str, query: bool) -> tuple[str, ...]:
    # Cached as `normalize` is; a tuple, so no caller can change a cached entry.
    norm = normalize(text)
    if query:
        norm = strip_question_words(norm)
    out: list[str] = []
    for run in _PUNCT.split(norm):
        units = _UNIT.findall(run)
        out.extend(units)
        out.extend(a + b for a, b in zip(units, units[1:]))
    return tuple(out)
