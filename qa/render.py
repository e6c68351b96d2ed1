"""Answers and sources as safe HTML for the page.

Every piece of document, answer or user text is `html.escape`d before our own markup
(<mark>, <details>) goes around it, so an article's `<script>` shows as text and never runs.
"""
from __future__ import annotations

import html

from .types import NOT_FOUND, Answer, Citation

FOLD_CHARS = 120
EXCERPT_CONTEXT = 30
# Sources shown open under an answer; the rest fold, so the answer and its best source fit on screen.
SHOWN_SOURCES = 3

CSS = """
.qa-reply { line-height: 1.6; }
.qa-answer { font-size: 1.05em; margin: 0 0 .2em 0; }
.qa-reply mark { background: #fff1b8; color: #1f2328; padding: 0 .1em; border-radius: 3px; }
.qa-answer mark { background: #ffd95a; font-weight: 600; }
.qa-meta, .qa-rank, .qa-score, .qa-docid { color: var(--body-text-color-subdued); }
.qa-meta { font-size: .85em; margin: .2em 0 .3em 0; }
.qa-sources-head { font-weight: 600; }
.qa-source { border-left: 3px solid var(--border-color-primary); padding: .1em 0 .1em .7em; margin: .35em 0; }
.qa-sources > .qa-source:first-child { border-left-color: #f0b400; }
.qa-source-title { font-weight: 600; }
.qa-rank { display: inline-block; min-width: 1.5em; }
.qa-score, .qa-docid { font-weight: normal; font-size: .85em; margin-left: .5em; }
.qa-passage { font-size: .92em; }
.qa-reply details summary { cursor: pointer; color: var(--link-text-color); font-size: .85em; }
.qa-notfound .qa-answer { color: #b54708; }
.qa-error { color: #b42318; }
.qa-status-ok { color: #1a7f37; }
.qa-status-err { color: #b42318; font-weight: 600; }
"""


# -- answers ------------------------------------------------------------------------------------
def as_text(s: str) -> str:
    """Escaped text with line breaks kept; never a blank line, so Markdown leaves our HTML block alone."""
    return html.escape(s).replace("\r", "").replace("\n", "<br>")


def _valid(span: tuple[int, int] | list[int] | None, n: int) -> tuple[int, int] | None:
    if not span or len(span) != 2:
        return None
    start, end = max(0, int(span[0])), min(n, int(span[1]))
    return (start, end) if start < end else None


def marked(text: str, span: tuple[int, int] | None) -> str:
    """`text` escaped, with `span` (character offsets in the original text) wrapped in <mark>."""
    span = _valid(span, len(text))
    if span is None:
        return as_text(text)
    s, e = span
    return f"{as_text(text[:s])}<mark>{as_text(text[s:e])}</mark>{as_text(text[e:])}"


def _excerpt(text: str, span: tuple[int, int] | None) -> tuple[str, bool]:
    """A short escaped excerpt of a passage around the matched sentence, and whether it left text out."""
    span = _valid(span, len(text))
    s, e = span or (0, 0)
    lo = max(0, s - EXCERPT_CONTEXT)
    hi = min(len(text), max(e, lo + FOLD_CHARS // 2) + EXCERPT_CONTEXT, lo + FOLD_CHARS + EXCERPT_CONTEXT)
    if hi - lo >= len(text) * 0.85:
        return marked(text, span), False
    inner = (s - lo, min(e, hi) - lo) if span else None
    return ("…" if lo else "") + marked(text[lo:hi], inner) + ("…" if hi < len(text) else ""), True


def render_citation(c: Citation) -> str:
    """One source: rank, title, score, and the passage with the matched sentence marked."""
    head = (
        f'<div class="qa-source-title"><span class="qa-rank">{c.rank}.</span>{as_text(c.title)}'
        f'<span class="qa-score">score {c.score:.3f}</span><span class="qa-docid">{as_text(c.doc_id)}</span></div>'
    )
    excerpt, folded = _excerpt(c.text, c.highlight)
    body = f'<div class="qa-passage">{excerpt}</div>'
    if folded:
        body += (
            f"<details><summary>展开全文 ({len(c.text)} 字)</summary>"
            f'<div class="qa-passage">{marked(c.text, c.highlight)}</div></details>'
        )
    return f'<div class="qa-source">{head}{body}</div>'


def render_answer(a: Answer) -> str:
    """A chat reply: the answer with its span marked, then its sources; or a plain not-found message."""
    if not a.found:
        return (
            f'<div class="qa-reply qa-notfound"><p class="qa-answer">{as_text(NOT_FOUND)}</p>'
            '<div class="qa-meta">换个问法试试，或在“知识库”页上传相关文章。</div></div>'
        )
    shown, more = a.citations[:SHOWN_SOURCES], a.citations[SHOWN_SOURCES:]
    sources = "".join(render_citation(c) for c in shown)
    if more:
        sources += f"<details><summary>更多来源 ({len(more)})</summary>{''.join(render_citation(c) for c in more)}</details>"
    return (
        f'<div class="qa-reply"><p class="qa-answer">{marked(a.answer, a.span)}</p>'
        f'<div class="qa-meta"><span class="qa-sources-head">来源</span> · 置信度 {a.confidence:.2f}</div>'
        f'<div class="qa-sources">{sources}</div></div>'
    )


def render_welcome(documents: int) -> str:
    return (
        f'<div class="qa-welcome">你好！我从知识库的 {documents} 篇文章中摘出答案，并标明出处。'
        "输入问题，或点击下面的示例问题。</div>"
    )


def render_error(message: str) -> str:
    return f'<div class="qa-reply qa-error">⚠ {as_text(message)}</div>'


# -- uploads ------------------------------------------------------------------------------------


def status_html(ok: bool, message: str) -> str:
    return f'<div class="{"qa-status-ok" if ok else "qa-status-err"}">{as_text(message)}</div>'
