"""Answers and sources as safe HTML for the page, answer first.

A reply reads top to bottom: 理解为 (when a follow-up was resolved), the short answer in large type,
the evidence sentence with the answer marked, then the sources (title, 第N段, a snippet around the
evidence that unfolds into the full paragraph). Scores and confidence sit behind a small 详情 toggle.
A not-found reply says so and lists the closest passages under 可能相关.

Every piece of document, answer or user text is `html.escape`d before our own markup
(<mark>, <details>) goes around it, so an article's `<script>` shows as text and never runs.
"""
from __future__ import annotations

import html

from .types import Answer, Citation

FOLD_CHARS = 120
EXCERPT_CONTEXT = 30
# Sources shown open under an answer; the rest fold, so the answer and its best source fit on screen.
SHOWN_SOURCES = 3
NOT_FOUND_TEXT = "知识库中没有找到相关答案"
NOT_FOUND_HINT = "换个问法试试，或在“知识库”页上传相关文章。"

CSS = """
.qa-reply { line-height: 1.6; }
.qa-understood { color: #5f6b7a; font-size: .85em; margin-bottom: .2em; cursor: pointer; }
.qa-understood-hint { color: var(--body-text-color-subdued); font-size: .9em; margin-left: .3em; }
.qa-short { font-size: 1.45em; font-weight: 650; line-height: 1.35; margin: 0 0 .25em 0; }
.qa-answer { margin: 0 0 .3em 0; }
.qa-reply mark { background: #fff1b8; color: #1f2328; padding: 0 .1em; border-radius: 3px; }
.qa-answer mark { background: #ffd95a; font-weight: 600; }
.qa-meta, .qa-para, .qa-rank { color: var(--body-text-color-subdued); }
.qa-meta { font-size: .85em; margin: .2em 0 .3em 0; }
.qa-sources-head { font-weight: 600; font-size: .9em; margin-top: .5em; }
.qa-source { border-left: 3px solid var(--border-color-primary); padding: .1em 0 .1em .7em; margin: .35em 0; }
.qa-sources > .qa-source:first-child { border-left-color: #f0b400; }
.qa-notfound .qa-sources > .qa-source:first-child { border-left-color: var(--border-color-primary); }
.qa-source-title { font-weight: 600; }
.qa-source-cont { font-weight: normal; }
.qa-same { color: var(--body-text-color-subdued); font-size: .85em; }
.qa-rank { display: inline-block; min-width: 1.3em; font-weight: normal; }
.qa-para { font-weight: normal; font-size: .85em; margin-left: .5em; }
.qa-passage { font-size: .92em; }
.qa-reply details > summary { cursor: pointer; color: var(--link-text-color); font-size: .85em; }
.qa-fold > summary { list-style: none; color: inherit !important; font-size: inherit !important; }
.qa-fold > summary::-webkit-details-marker { display: none; }
.qa-fold .qa-more { color: var(--link-text-color); font-size: .85em; margin-left: .4em; white-space: nowrap; }
.qa-fold[open] > summary .qa-preview, .qa-fold[open] .qa-more-open, .qa-fold:not([open]) .qa-more-close { display: none; }
.qa-details { margin-top: .4em; }
.qa-details > summary { color: var(--body-text-color-subdued) !important; font-size: .78em !important; }
.qa-details div { font-size: .8em; color: var(--body-text-color-subdued); }
.qa-notfound .qa-short { color: #b54708; font-size: 1.15em; }
.qa-error { color: #b42318; }
.qa-status-ok { color: #1a7f37; }
.qa-status-err { color: #b42318; font-weight: 600; }
"""


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


def render_citation(c: Citation, same_article: bool = False) -> str:
    """One source: title, 第N段, and a snippet with the evidence marked that unfolds into the whole
    paragraph (the snippet gives way to it, so nothing shows twice). `same_article`: the source above
    is from the same article, so this one sits under its title (同篇) instead of repeating it."""
    title = '<span class="qa-same">同篇</span>' if same_article else as_text(c.title)
    head = (f'<div class="qa-source-title{" qa-source-cont" if same_article else ""}"><span class="qa-rank">{c.rank}.</span>{title}'
            f'<span class="qa-para">第{c.position + 1}段</span></div>')
    excerpt, folded = _excerpt(c.text, c.highlight)
    if not folded:
        return f'<div class="qa-source">{head}<div class="qa-passage">{excerpt}</div></div>'
    return (
        f'<div class="qa-source">{head}<details class="qa-fold"><summary><span class="qa-passage qa-preview">{excerpt}</span>'
        f'<span class="qa-more"><span class="qa-more-open">展开全文</span><span class="qa-more-close">收起</span></span></summary>'
        f'<div class="qa-passage">{marked(c.text, c.highlight)}</div></details></div>'
    )


def _sources(citations: list[Citation]) -> str:
    # Passages of one article come together (qa/sources.py): the title is shown once over them.
    # The first folded one names its article again: the fold opens away from the title above it.
    html = [render_citation(c, i not in (0, SHOWN_SOURCES) and citations[i - 1].doc_id == c.doc_id) for i, c in enumerate(citations)]
    shown, more = html[:SHOWN_SOURCES], html[SHOWN_SOURCES:]
    out = "".join(shown)
    if more:
        out += f"<details><summary>更多来源 ({len(more)})</summary>{''.join(more)}</details>"
    return f'<div class="qa-sources">{out}</div>'


def _details(a: Answer) -> str:
    rows = [f"<div>置信度 {a.confidence:.2f}（低于阈值即答“没有找到”）</div>"]
    rows += [f"<div>{c.rank}. {as_text(c.doc_id)} · 第{c.position + 1}段 · 检索得分 {c.score:.3f}</div>" for c in a.citations]
    return f'<details class="qa-details"><summary>详情</summary>{"".join(rows)}</details>'


def short_answer(a: Answer) -> str:
    """What the reply shows large: the short answer, else the marked span, else the evidence itself."""
    return (a.short_answer or a.span_text or a.answer).strip()


def _evidence_span(a: Answer, short: str) -> tuple[int, int] | None:
    """Where the short answer sits in the evidence sentence (the marked span when it is there)."""
    if a.span and a.answer[a.span[0] : a.span[1]] == short:
        return a.span
    at = a.answer.find(short) if short else -1
    return (at, at + len(short)) if at >= 0 else a.span


def render_answer(a: Answer) -> str:
    """A chat reply: the short answer, the evidence with it marked, the sources; or not found and 可能相关."""
    understood = a.understood if a.understood and a.understood != a.question else ""
    top = (f'<div class="qa-understood" title="点击放回输入框，改了再问">理解为：<span class="qa-understood-text">{as_text(understood)}</span>'
           '<span class="qa-understood-hint">（点击可修改）</span></div>') if understood else ""
    if not a.found:
        body = f'<p class="qa-short">{NOT_FOUND_TEXT}</p><div class="qa-meta">{NOT_FOUND_HINT}</div>'
        if a.citations:
            body += f'<div class="qa-sources-head">可能相关</div>{_sources(a.citations)}'
        return f'<div class="qa-reply qa-notfound">{top}{body}{_details(a)}</div>'
    short = short_answer(a)
    body = f'<p class="qa-short">{as_text(short)}</p>'
    if short != a.answer.strip():
        body += f'<p class="qa-answer">{marked(a.answer, _evidence_span(a, short))}</p>'
    if a.citations:
        body += f'<div class="qa-sources-head">来源</div>{_sources(a.citations)}'
    return f'<div class="qa-reply">{top}{body}{_details(a)}</div>'


def render_welcome(documents: int, passages: int) -> str:
    return (
        f'<div class="qa-welcome">你好！我从知识库的 {documents} 篇文章（{passages} 个段落）中摘出答案，并标明出处。'
        "可以接着上一个回答追问，例如“那它什么时候结束？”。</div>"
    )


def render_error(message: str) -> str:
    return f'<div class="qa-reply qa-error">⚠ {as_text(message)}</div>'


def status_html(ok: bool, message: str) -> str:
    return f'<div class="{"qa-status-ok" if ok else "qa-status-err"}">{as_text(message)}</div>'
