"""Files -> documents: txt, md, jsonl, html, docx and pdf; encodings; page-break repair.

An article is a heading and the paragraphs under it; `doc_id` is
`<file stem>#<n>` (n counts the articles emitted from that file, from 1), so
ids stay the same when the corpus is rebuilt. JSONL records bring their own ids.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .config import Settings
from .errors import InputError, UnreadableFileError
from .readers import Limits, decode, docx_lines, html_lines, pdf_text, too_long
from .types import Document

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".jsonl", ".html", ".htm", ".docx", ".pdf")


@dataclass(frozen=True)
class Skipped:
    """A file that was left out of the load, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IngestResult:
    """Documents read, files skipped, and the sha256 of every file read (for the index manifest)."""

    documents: list[Document]
    skipped: list[Skipped]
    sources: dict[str, str]


# ---------------------------------------------------------------- page breaks

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*$")
# A paragraph that ends like this is finished: a sentence end (optionally
# closed by quotes/brackets), a colon introducing what follows, or a closing
# quote/bracket (a credit, an aside, a quoted title): joining would be a guess.
_FINISHED = re.compile(r"(?:[。！？!?；;…：:]|[”’」』》）)\]】〕\"'])$")
_UNFINISHED = re.compile(r"[，,、]$")  # a clause comma: the sentence visibly goes on
_HAS_SENTENCE_END = re.compile(r"[。！？!?；;]")
_LIST_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d)|[•·▪●■◆\-*+]\s)")
_PROSE_CHARS = 40  # titles, subtitles and photo credits are shorter than this
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _word_spans_boundary(a: str, b: str) -> bool:
    """True when a dictionary word runs across the end of `a` into `b` (e.g. "退" + "役军人")."""
    from .text import jieba_tokenizer  # the project's one jieba instance, loaded on first use

    if not (_CJK.match(a[-1]) and _CJK.match(b[0])):
        return False
    tail, head = a[-4:], b[:4]
    pos = 0
    for word in jieba_tokenizer().cut(tail + head, HMM=False):  # HMM would invent words like "摄图"
        if pos < len(tail) < pos + len(word):
            return True
        pos += len(word)
    return False


def _should_join(a: str, b: str) -> bool:
    if _HEADING.match(a) or _HEADING.match(b) or _LIST_ITEM.match(b) or _FINISHED.search(a):
        return False
    if _UNFINISHED.search(a) or _HAS_SENTENCE_END.search(a) or len(a) >= _PROSE_CHARS:
        return True
    return _word_spans_boundary(a, b)


def repair_page_breaks(paragraphs: list[str]) -> list[str]:
    """Join paragraphs that a page break cut in two; leave real paragraph ends alone.

    Paragraph A is joined with the next one, B, when A does not end a sentence
    (no 。！？!?；;…：: or closing quote/bracket at its end), B is not a heading
    or list item, and A is evidently cut prose: it ends in a clause comma
    (，,、), or it contains a sentence end (it is body text, not a title), or it
    is at least 40 characters long; a short title-like A is joined only when
    jieba finds a dictionary word running across the break ("退" + "役军人").
    Titles, subtitles and photo credits are short and carry no full stop, so
    they stay separate. Chinese is joined with no separator; a space is put
    back between two Latin letters or digits, where the line break stood for one.
    """
    out: list[str] = []
    for p in paragraphs:
        if out and _should_join(out[-1], p):
            sep = " " if out[-1][-1].isascii() and out[-1][-1].isalnum() and p[0].isascii() and p[0].isalnum() else ""
            out[-1] = out[-1] + sep + p
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------- formats


# A heading reads as a section of the article above it, not an article of its own, when it is
# short (政策背景, 补助标准) or numbered (第一章, 一、, （一）, 1.); headlines are long and unnumbered.
_NUMBERED = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+[章节条部分篇]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+(?:\.\d+)*[、.．\s])")
_SECTION_CHARS = 12
_TITLE_CHARS = 40
_SENTENCE_MARK = re.compile(r"[。！？!?；;]|[，,、：:]$")


@dataclass
class _Section:
    level: int
    title: str
    paras: list[str] = field(default_factory=list)
    children: list["_Section"] = field(default_factory=list)

    def lines(self, repair: bool) -> list[str]:
        """This section's text with its sub-sections', each heading kept as a line of its own."""
        out = repair_page_breaks(self.paras) if repair else list(self.paras)
        for c in self.children:
            out += [c.title, *c.lines(repair)]
        return out


def _is_section(title: str) -> bool:
    return len(title) <= _SECTION_CHARS or bool(_NUMBERED.match(title))


def _outline(lines: list[tuple[int, str]]) -> _Section:
    """(level, text) lines (level 0: a paragraph) -> the tree of headings, under a root of level 0."""
    root = _Section(0, "")
    stack = [root]
    for level, text in lines:
        if not text:
            continue
        if level:
            while stack[-1].level >= level:
                stack.pop()
            node = _Section(level, text)
            stack[-1].children.append(node)
            stack.append(node)
        else:
            stack[-1].paras.append(text)
    return root


def _articles(lines: list[tuple[int, str]], stem: str, source: str, repair: bool) -> list[Document]:
    """(level, text) lines -> documents: one per article.

    A heading whose sub-headings all read as sections (short or numbered) is one article, titled by
    it, its sections' headings kept in its text; otherwise each sub-heading is an article of its own
    (a newspaper page: a page heading over headlines) and the heading's own paragraphs, if any, one
    more. Text before any heading is an article titled by its first line when that reads as a title
    (short, no sentence punctuation), else by the file name.
    """
    found: list[tuple[str, list[str]]] = []

    def visit(node: _Section) -> None:
        if node.children and all(_is_section(c.title) for c in node.children):
            found.append((node.title, node.lines(repair)))
            return
        if node.paras:
            found.append((node.title, repair_page_breaks(node.paras) if repair else list(node.paras)))
        for c in node.children:
            visit(c)

    root = _outline(lines)
    if root.paras:
        first = root.paras[0]
        if len(root.paras) > 1 and len(first) <= _TITLE_CHARS and not _SENTENCE_MARK.search(first):
            found.append((first, repair_page_breaks(root.paras[1:]) if repair else root.paras[1:]))
        else:
            found.append((stem, repair_page_breaks(root.paras) if repair else list(root.paras)))
    for c in root.children:
        visit(c)
    return [Document(f"{stem}#{i}", title, "\n".join(paras), source) for i, (title, paras) in enumerate(found, 1) if paras]


def _text_lines(text: str) -> list[tuple[int, str]]:
    """(level, text) of each line: Markdown-style `#` headings by their level, 0 for a paragraph line."""
    out: list[tuple[int, str]] = []
    for line in text.splitlines():
        m = _HEADING.match(line)
        out.append((len(line.strip()) - len(line.strip().lstrip("#")), m.group(1).strip()) if m else (0, line.strip()))
    return out


MAX_ID_CHARS = 256


def _read_jsonl(text: str, name: str, limits: Limits) -> list[tuple[Document, str]]:
    """One document per non-blank line, each with its `file:line` place."""
    docs = []
    # Not splitlines(): JSON strings may hold U+2028 and friends unescaped.
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{where}: not valid JSON ({e.msg} at column {e.colno}); each line must be one object like {{\"id\": ..., \"title\": ..., \"text\": ...}}") from None
        except RecursionError:
            raise InputError(f"{where}: JSON nested too deeply; each line must be one flat object like {{\"id\": ..., \"title\": ..., \"text\": ...}}") from None
        except ValueError as e:  # e.g. an integer of thousands of digits
            raise InputError(f"{where}: unusable JSON value ({str(e).split(';')[0]})") from None
        if not isinstance(rec, dict):
            raise InputError(f"{where}: expected a JSON object with \"id\" and \"text\", got {type(rec).__name__}")
        if "id" not in rec or isinstance(rec["id"], bool) or not isinstance(rec["id"], (str, int)) or str(rec["id"]).strip() == "":
            raise InputError(f"{where}: missing or empty \"id\" (a string or integer that names the document)")
        if len(str(rec["id"])) > MAX_ID_CHARS:
            raise InputError(f"{where}: \"id\" is {len(str(rec['id'])):,} characters long; ids are at most {MAX_ID_CHARS}")
        text_ = rec.get("text")
        if not isinstance(text_, str) or not text_.strip():
            raise InputError(f"{where}: missing or empty \"text\" in record {rec['id']!r}")
        if len(text_) > limits.document_chars:
            raise InputError(f"{where}: " + too_long(f"record {rec['id']!r}", len(text_), limits))
        title = rec.get("title")
        if title is not None and not isinstance(title, str):
            raise InputError(f"{where}: \"title\" must be a string in record {rec['id']!r}")
        docs.append((Document(str(rec["id"]), title or str(rec["id"]), text_, name), where))
    return docs


def _parse(data: bytes, name: str, limits: Limits) -> list[tuple[Document, str]]:
    """A file's bytes -> (document, place) pairs; `name` gives the type, the stem and the source."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise UnreadableFileError(name, f"unsupported type {suffix or '(none)'}: use one of {', '.join(SUPPORTED)}")
    if suffix == ".jsonl":
        return _read_jsonl(decode(data, name), name, limits)
    if suffix in (".txt", ".md"):
        docs = _articles(_text_lines(decode(data, name)), stem, name, repair=True)
    else:
        try:  # third-party parsers fail in many ways on broken files; each becomes one actionable error
            if suffix == ".docx":
                docs = _articles(docx_lines(data, name, limits), stem, name, repair=False)
            elif suffix == ".pdf":
                docs = _articles(_text_lines(pdf_text(data, name, limits)), stem, name, repair=True)
            else:
                title, paras = html_lines(data, name, stem)
                docs = [Document(f"{stem}#1", title, "\n".join(paras), name)] if paras else []
        except InputError:
            raise
        except Exception as e:
            raise UnreadableFileError(name, f"cannot read as {suffix[1:]} ({type(e).__name__}: {e}); is the file complete?") from e
    for d in docs:
        if len(d.text) > limits.document_chars:
            raise UnreadableFileError(name, too_long(f"article {d.doc_id!r}", len(d.text), limits))
    return [(d, name) for d in docs]


def _check_size(name: str, size: int, limits: Limits) -> None:
    if limits.file_mb is not None and size > limits.file_mb * 2**20:
        raise InputError(f"{name} is {size / 2**20:.1f} MB, over the {limits.file_mb} MB limit for one file (QA_MAX_UPLOAD_MB)")


def _check_unique(pairs: list[tuple[Document, str]], seen: dict[str, str]) -> None:
    """Fail on a doc_id already seen (in `seen`: id -> place), naming both places."""
    for doc, place in pairs:
        if doc.doc_id in seen:
            raise InputError(
                f"duplicate document id {doc.doc_id!r}: {seen[doc.doc_id]} and {place}; "
                "ids must be unique across the corpus: change one JSONL id or rename one of the files"
            )
        seen[doc.doc_id] = place


def read_file(path: Path, display_name: str | None = None, limits: Limits | None = None) -> list[Document]:
    """Read one file into documents; `display_name` (e.g. an upload's original name) names them.

    Raises InputError naming the file when it cannot be read, decoded or parsed.
    """
    path = Path(path)
    name = display_name or str(path)
    limits = limits or Limits.of(Settings())
    try:
        _check_size(name, path.stat().st_size, limits)
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{name}: cannot read ({e.strerror or e}); check that the file exists and is readable") from None
    pairs = _parse(data, name, limits)
    _check_unique(pairs, {})
    return [d for d, _ in pairs]


def _walk(root: Path) -> list[Path]:
    """The files under `root`, sorted, hidden files and directories left out."""
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def load_documents(path: str | Path | Sequence[str | Path], progress: bool = False,
                   names: Sequence[str] | None = None, limits: Limits | None = None) -> IngestResult:
    """Read a file, a directory (recursively, in sorted order) or a list of those into documents.

    Unsupported, undecodable and unparsable files are skipped and reported in
    `skipped`; malformed JSONL records and duplicate ids raise InputError, since
    loading part of a file would silently lose data. `limits` bound each document's text (and,
    for an add, each file's size: a file over it fails the whole load).
    """
    limits = limits or Limits.of(Settings())
    roots = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    # `names` (one per path) replace the paths in documents, messages and sources, e.g. an
    # upload's own file name for its temporary copy.
    shown = {r: n for r, n in zip(roots, names)} if names is not None else {}
    where = ", ".join(shown.get(r, str(r)) for r in roots) or "(no path)"
    files: list[Path] = []
    skipped: list[Skipped] = []
    seen_files: set[Path] = set()
    for root in roots:
        if not root.exists():
            raise InputError(f"{root} does not exist: pass a file or a directory of .txt, .md or .jsonl files")
        for f in [root] if root.is_file() else _walk(root):
            if f.resolve() in seen_files:  # the same file named twice, e.g. a directory and a file inside it
                continue
            seen_files.add(f.resolve())
            if f.suffix.lower() in SUPPORTED:
                files.append(f)
            else:
                skipped.append(Skipped(str(f), "unsupported type"))
    todo: Iterable[Path] = files
    if progress:
        from tqdm import tqdm

        todo = tqdm(files, desc="reading", unit="file")
    documents: list[Document] = []
    sources: dict[str, str] = {}
    ids: dict[str, str] = {}
    for f in todo:
        name = shown.get(f, str(f))
        try:
            _check_size(name, f.stat().st_size, limits)
            data = f.read_bytes()
            pairs = _parse(data, name, limits)
        except OSError as e:
            log.warning("skipping %s: %s", name, e)
            skipped.append(Skipped(name, f"cannot read: {e.strerror or e}"))
            continue
        except UnreadableFileError as e:
            log.warning("skipping %s", e)
            skipped.append(Skipped(name, e.reason))
            continue
        if not pairs:
            hint = " (a scanned PDF? run OCR first)" if f.suffix.lower() == ".pdf" else ""
            log.warning("skipping %s: no text found%s", name, hint)
            skipped.append(Skipped(name, f"no text found{hint}"))
            continue
        _check_unique(pairs, ids)
        documents.extend(d for d, _ in pairs)
        sources[name] = hashlib.sha256(data).hexdigest()
    if not documents:
        detail = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:5])
        raise InputError(
            f"no documents found in {where}: add .txt, .md or .jsonl files (also .html, .docx, .pdf)"
            + (f"; skipped {detail}" if detail else "")
        )
    log.info("read %d documents from %d files (%d skipped)", len(documents), len(sources), len(skipped))
    return IngestResult(documents, skipped, sources)
