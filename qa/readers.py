"""Bytes -> text: encoding detection, and the HTML, DOCX and PDF parsers (imported lazily)."""
from __future__ import annotations

import codecs
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass

from .errors import UnreadableFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Bounds on what reading a file may produce (Settings fields, so `QA_*` variables override them)."""

    document_chars: int  # text of one document (article or JSONL record): QA_MAX_DOCUMENT_CHARS
    unzipped_mb: int  # declared unpacked size of a .docx, checked before it is unpacked: QA_MAX_UNZIPPED_MB
    file_mb: int | None = None  # size of one file; None when building from one's own corpus: QA_MAX_UPLOAD_MB

    @classmethod
    def of(cls, settings, adding: bool = False) -> "Limits":
        """The limits of `settings`; `adding` (CLI `qa add`, page uploads) also bounds each file's size."""
        return cls(settings.max_document_chars, settings.max_unzipped_mb, settings.max_upload_mb if adding else None)


def decode(data: bytes, name: str) -> str:
    """Bytes -> text, only when the encoding is certain: UTF-8 and UTF-16 (with or without BOM), GB18030/GBK, Big5.

    A legacy encoding is accepted only when the decoded text reads as Chinese (common characters and
    punctuation, `_plausibility`); Shift-JIS, Latin-1 and other bytes that merely happen to decode
    give mostly rare characters, kana or symbols there and are refused. Raises UnreadableFileError
    rather than return mojibake.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data, "utf-8-sig", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(data, "utf-16", name)
    if b"\x00" in data:
        guess = _utf16_without_bom(data)
        if guess:
            try:
                return _checked(data, guess, name, plausible=True)
            except UnreadableFileError:
                pass
        raise UnreadableFileError(name, "cannot decode: it contains NUL bytes (a binary file?); save it as UTF-8 text")
    try:
        return _checked(data, "utf-8", name)  # valid UTF-8 with non-ASCII text is UTF-8: other encodings almost never are
    except UnicodeDecodeError:
        pass
    best, best_score = None, 0.0
    for encoding in ("gb18030", "cp950", "big5hkscs"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        log.debug("%s decodes as %s, plausibility %.2f", name, encoding, score)
        if score > best_score and _garbage_ratio(text) <= 0.02:
            best, best_score = text, score
    if best is not None and best_score >= 1.0:
        return best
    raise UnreadableFileError(
        name, "cannot decode: not UTF-8, UTF-16, GB18030/GBK or Big5 Chinese text (Shift-JIS? Latin-1?); save it as UTF-8 text"
    )


# Common-character share that Chinese text reaches (real text 0.99-1.00; GBK read as Big5 0.49,
# Big5 read as GBK 0.13-0.30, Shift-JIS read as GB18030 0.20); `_plausibility` scales it to 1.
PLAUSIBLE = 0.9


def _checked(data: bytes, encoding: str, name: str, plausible: bool = False) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise
        raise UnreadableFileError(name, f"cannot decode: it starts like {encoding} text but is not valid {encoding}; save it as UTF-8 text") from None
    if _garbage_ratio(text) > 0.02 or (plausible and _plausibility(text) < 1.0):
        raise UnreadableFileError(name, f"cannot decode: it reads as {encoding} but gives garbage; save it as UTF-8 text")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of each ASCII character (newlines, digits)."""
    if len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd > 4 * even and odd >= 1:
        return "utf-16-le"
    if even > 4 * odd and even >= 1:
        return "utf-16-be"
    return None


def _plausibility(text: str, sample: int = 3_000) -> float:
    """How well `text` (its first `sample` characters) reads as Chinese; 1 or more is confident. The lower of
    (a) the share of its non-ASCII characters that Chinese is made of (the common characters of
    GB2312 level 1 and Big5, CJK punctuation, full-width forms), scaled so that 0.9 is 1, and
    (b) the share of its Chinese characters that jieba finds inside dictionary words, scaled so that
    0.3 is 1. Real text scores (a) 0.99-1.00 and (b) 0.85; mojibake that passes (a), such as
    EUC-JP read as Big5 (0.90), has (b) under 0.1: its characters are common but make no words."""
    text = text[:sample]
    common = _common_chars()
    non_ascii = [c for c in text if c >= "\x80"]
    if not non_ascii:
        return 1.0
    membership = sum(c in common for c in non_ascii) / len(non_ascii)
    cjk = sum(1 for c in non_ascii if "\u4e00" <= c <= "\u9fff")
    if cjk < 20:  # too few characters to judge words by
        return membership / PLAUSIBLE
    from .text import jieba_tokenizer, normalize

    in_words = sum(len(w) for w in jieba_tokenizer().cut(normalize(text), HMM=False)
                   if len(w) > 1 and all("\u4e00" <= c <= "\u9fff" for c in w))
    return min(membership / PLAUSIBLE, (in_words / cjk) / 0.3)


def _garbage_ratio(text: str) -> float:
    """Share of characters no text contains: control, private-use, unassigned, replacement."""
    if not text:
        return 0.0
    bad = sum(1 for c in text if (unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs") and c not in "\t\n\r\f\v") or c == "\ufffd")
    return bad / len(text)


@functools.cache
def _common_chars() -> frozenset[str]:
    chars: set[str] = set()

    def table(encoding: str, leads: range, trails: list[int]) -> None:
        for lead in leads:
            for trail in trails:
                try:
                    chars.add(bytes((lead, trail)).decode(encoding))
                except UnicodeDecodeError:
                    pass

    high = list(range(0xA1, 0xFF))
    table("gb2312", range(0xA1, 0xA4), high)  # punctuation, numerals, full-width forms
    table("gb2312", range(0xB0, 0xD8), high)  # level 1: the 3,755 most frequent characters
    table("cp950", range(0xA1, 0xA3), [*range(0x40, 0x7F), *high])  # punctuation and symbols
    table("cp950", range(0xA4, 0xC6), [*range(0x40, 0x7F), *high])  # the 5,401 frequent characters (to C67E)
    table("cp950", range(0xC6, 0xC7), list(range(0x40, 0x7F)))
    chars.update(map(chr, [*range(0x2000, 0x2070), *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)]))
    chars.update("\u00b7\u00d7\u00f7\u00b0")  # · × ÷ °
    return frozenset(chars)


def html_lines(data: bytes, name: str, stem: str) -> tuple[str, list[str]]:
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

    soup = BeautifulSoup(decode(data, name), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for node in soup.find_all(string=lambda t: isinstance(t, (Doctype, Comment, Declaration, ProcessingInstruction))):
        node.extract()  # <!DOCTYPE html> would otherwise read as a paragraph "html"
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    h1 = soup.find("h1")
    title = title or (h1.get_text(" ", strip=True) if h1 else "") or stem
    # Source newlines inside a block mean nothing; block boundaries are the paragraphs.
    for s in soup.find_all(string=True):
        if isinstance(s, NavigableString) and not s.find_parent("pre"):
            s.replace_with(re.sub(r"\s+", " ", str(s)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks = ["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre", "section", "article", "header", "footer", "td", "th", "dt", "dd", "figcaption"]
    for tag in soup.find_all(blocks):
        tag.insert_before("\n")
        tag.insert_after("\n")
    paras = [ln.strip() for ln in soup.get_text().split("\n") if ln.strip()]
    return title, [p for p in paras if p != title or paras.count(title) > 1]


def docx_lines(data: bytes, name: str, limits: Limits) -> list[tuple[int, str]]:
    """(level, text) of each line: a heading's level (Title 1, Heading N N), or 0 for a paragraph line."""
    import io
    import zipfile

    # A .docx is a zip: a few hundred KB can unpack to gigabytes. The declared sizes are checked
    # before anything is unpacked (zipfile never unpacks past them: a lie fails the CRC check).
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    if unpacked > limits.unzipped_mb * 2**20:
        raise UnreadableFileError(
            name, f"unpacks to {unpacked / 2**20:,.0f} MB, over the {limits.unzipped_mb} MB limit for a .docx "
            "(QA_MAX_UNZIPPED_MB); split the document, or raise the limit if it is genuine"
        )
    import docx

    out: list[tuple[int, str]] = []
    for p in docx.Document(io.BytesIO(data)).paragraphs:
        style = ((p.style.name if p.style is not None else "") or "").strip().lower()
        level = 1 if style == "title" else int(style[8:]) if re.fullmatch(r"heading [1-9]", style) else 0
        if level and p.text.strip():
            out.append((level, p.text.strip()))
        else:
            out.extend((0, ln.strip()) for ln in p.text.split("\n"))
    return out


def pdf_text(data: bytes, name: str, limits: Limits) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnreadableFileError(name, "cannot read: the PDF is encrypted; save an unprotected copy")
    pages, size = [], 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        size += len(pages[-1])
        if size > limits.document_chars:  # stop early: the rest would only be thrown away
            raise UnreadableFileError(name, too_long(f"its text up to page {len(pages)}", size, limits))
    return "\n".join(pages)


def too_long(what: str, chars: int, limits: Limits) -> str:
    """The message for text over the per-document limit."""
    return (f"{what} has {chars:,} characters, over the limit of {limits.document_chars:,} for one document "
            "(QA_MAX_DOCUMENT_CHARS); split it into smaller files, or raise the limit")
