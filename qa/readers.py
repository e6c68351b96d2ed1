"""Bytes -> text: encoding detection, and the HTML, DOCX and PDF parsers (imported lazily)."""
from __future__ import annotations

import logging
import re
import unicodedata

from .errors import UnreadableFileError

log = logging.getLogger(__name__)


def decode(data: bytes, name: str) -> str:
    """Bytes -> text: UTF-8 (BOM or not), UTF-16 with BOM, GB18030/GBK, else charset-normalizer's guess.

    Strict UTF-8 and GB18030 are tried first because charset-normalizer guesses
    wrong on short Chinese. Raises UnreadableFileError rather than return mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: list[str | None] = ["utf-16"]
    elif b"\x00" in data:
        raise UnreadableFileError(name, "cannot decode: it contains NUL bytes (a binary file, or UTF-16 without a BOM); save it as UTF-8 text")
    else:
        candidates = ["utf-8-sig", "gb18030", None]
    for encoding in candidates:
        if encoding is None:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
            if best is None:
                break
            text, encoding = str(best), best.encoding
        else:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
        if _garbage_ratio(text) <= 0.02:
            return text
        log.debug("%s decodes as %s but looks like garbage", name, encoding)
    raise UnreadableFileError(name, "cannot decode: not UTF-8, GB18030/GBK or another known text encoding; save it as UTF-8 text")


def _garbage_ratio(text: str) -> float:
    """Share of characters no text contains: control, private-use, unassigned, replacement."""
    if not text:
        return 0.0
    bad = sum(1 for c in text if (unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs") and c not in "\t\n\r\f\v") or c == "\ufffd")
    return bad / len(text)


def html_lines(data: bytes, name: str, stem: str) -> tuple[str, list[str]]:
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(decode(data, name), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
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


def docx_lines(data: bytes) -> list[tuple[str | None, str]]:
    import io

    import docx

    out: list[tuple[str | None, str]] = []
    for p in docx.Document(io.BytesIO(data)).paragraphs:
        style = (p.style.name if p.style is not None else "") or ""
        if re.fullmatch(r"(?i)heading [1-9]|title", style.strip()) and p.text.strip():
            out.append((p.text.strip(), ""))
        else:
            out.extend((None, ln.strip()) for ln in p.text.split("\n"))
    return out


def pdf_text(data: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnreadableFileError(name, "cannot read: the PDF is encrypted; save an unprotected copy")
    return "\n".join(page.extract_text() or "" for page in reader.pages)
