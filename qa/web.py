"""The Gradio page over `Assistant`: chat, the knowledge base, checked uploads, `/ask`, serving.

Gradio is imported only inside `create_app` and `launch`, so the helpers above them stay plain Python.
HTML comes from qa/render.py, which escapes all document text.
"""
from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import IndexNotFoundError, InputError, QAError
from .render import CSS, as_text, render_answer, render_error, render_welcome, status_html

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".txt", ".md", ".jsonl", ".html", ".htm", ".docx", ".pdf")
def safe_name(name: str) -> str:
    """A plain file name for an uploaded file: no folders, no `..`, no control or shell characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    suffix = Path(base).suffix
    if len(base) > 120:
        base = base[: 120 - len(suffix)] + suffix
    return base or "upload"


def check_upload(name: str, size: int, max_mb: int) -> None:
    """Raise InputError when a file may not be added: wrong type or too large."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"{name}: files of type {suffix or '(none)'} cannot be added; upload one of {' '.join(UPLOAD_SUFFIXES)}")
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{name} is {size / 1024 / 1024:.1f} MB, over the {max_mb} MB upload limit (QA_MAX_UPLOAD_MB)")


def stage_upload(src: str | Path, name: str, area: Path, max_mb: int) -> Path:
    """Check an uploaded file and copy it into a fresh folder of `area` under a sanitised name."""
    src = Path(src)
    try:
        size = src.stat().st_size
    except OSError as e:
        raise InputError(f"{safe_name(name)}: the upload cannot be read ({e.strerror}); upload it again") from None
    clean = safe_name(name)
    check_upload(clean, size, max_mb)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=area))
    dest = (folder / clean).resolve()
    if folder.resolve() not in dest.parents:  # safe_name makes this impossible; checked anyway
        raise InputError(f"{name}: not a valid file name")
    shutil.copyfile(src, dest)
    return dest


# -- the knowledge base -------------------------------------------------------------------------
class KnowledgeBase:
    """The knowledge-base tab's actions over an Assistant; each returns a message to show."""

    def __init__(self, assistant, upload_area: Path | None = None, max_upload_mb: int | None = None):
        self.assistant = assistant
        self.area = Path(upload_area or tempfile.mkdtemp(prefix="qa-uploads-"))
        self.area.mkdir(parents=True, exist_ok=True)
        self.max_mb = max_upload_mb if max_upload_mb is not None else assistant.settings.max_upload_mb

    def rows(self) -> list[list]:
        """Title, id, passages and source file of every indexed document."""
        return [[d.title, d.doc_id, d.passages, Path(d.source).name if d.source else ""] for d in self.assistant.documents()]

    def choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in self.assistant.documents()]

    def facts(self) -> str:
        m = self.assistant.manifest
        return (
            f"**{m.documents}** 篇文章 · **{m.passages}** 个段落 · 编码器 `{html.escape(m.encoder)}` ({m.dim} 维)"
            f" · 建于 {html.escape(m.built_at or '?')}"
        )

    def upload(self, files: Iterable[str | Path | tuple[str | Path, str]]) -> tuple[bool, str]:
        """Add uploaded files. Any bad file rejects the whole upload and leaves the index untouched.

        `files` are paths, or (path, original name) pairs when the name differs from the path's.
        """
        items = [(f, Path(f).name) if not isinstance(f, tuple) else f for f in files or []]
        if not items:
            return False, "请选择要上传的文件 (no file chosen)"
        batch = Path(tempfile.mkdtemp(prefix="batch-", dir=self.area))
        try:
            staged = [stage_upload(path, name, batch, self.max_mb) for path, name in items]
            ids = self.assistant.add(staged, sources=[safe_name(name) for _, name in items])
        except QAError as e:
            log.warning("upload rejected: %s", e)
            return False, f"上传失败，知识库未改动：{e}"
        finally:
            shutil.rmtree(batch, ignore_errors=True)
        return True, f"已添加 {len(ids)} 篇文章：{', '.join(ids)}"

    def delete(self, doc_id: str | None) -> tuple[bool, str]:
        """Remove one document by id."""
        if not doc_id:
            return False, "请先选择要删除的文章 (choose a document)"
        try:
            removed = self.assistant.delete(doc_id)
        except QAError as e:
            return False, f"删除失败：{e}"
        return True, f"已删除 {doc_id}（{removed} 个段落）"


# -- the page ------------------------------------------------------------------------------------
# Drawn from the bundled articles in corpus/: each has its answer there.
EXAMPLES = [
    "何时启动送温暖行动",
    "退役军人职业岗位技能提升项目共吸引多少人次参与",
    "晋怡职工创新工作室以谁的名字命名",
    "八里庄街道总工会给快递员送了什么",
]
# Questions answered at once: the encoder releases the GIL in numpy, and a question takes well
# under a second, so a few in flight keep the page responsive without oversubscribing 2 cores.
CONCURRENCY = 4


def open_assistant(index_dir: str | Path, corpus_dir: str | Path | None = None, model: str | None = None):
    """Open the index, building it from `corpus_dir` first when it does not exist yet."""
    from . import Assistant

    try:
        return Assistant(index_dir, model=model)
    except IndexNotFoundError:
        if corpus_dir is None:
            raise
    log.info("building index from %s/ ...", str(corpus_dir).rstrip("/"))
    a = Assistant.build(corpus_dir, index_dir, model=model, progress=True)
    log.info("index ready: %d documents, %d passages in %s", a.manifest.documents, a.manifest.passages, index_dir)
    return a


def warm_up(assistant) -> None:
    """Load the model, tokenizer and tagger now, not on a visitor's first question (seconds)."""
    try:
        assistant.warm_up()
    except QAError as e:
        log.warning("warm-up failed: %s", e)


def create_app(assistant_or_index_dir, corpus_dir=None):
    """The page (a `gr.Blocks`) over an Assistant or an index directory. Start it with `launch()`,
    which also applies the page's styles and the upload size limit."""
    import gradio as gr

    a = assistant_or_index_dir
    if isinstance(a, (str, Path)):
        a = open_assistant(a, corpus_dir)
    kb = KnowledgeBase(a)
    warm_up(a)

    def reply(question: str) -> str:
        try:
            return render_answer(a.ask(question))
        except QAError as e:
            return render_error(str(e))

    # Chat: the question shows at once (no queue), the answer follows as a queued event.
    def post_question(question: str, history: list):
        question = (question or "").strip()
        if not question:
            return "", history, ""
        return "", history + [{"role": "user", "content": as_text(question)}], question

    def post_answer(question: str, history: list):
        if not question:
            return history
        return history + [{"role": "assistant", "content": reply(question)}]

    def kb_view(ok: bool | None = None, message: str = ""):
        status = status_html(ok, message) if message else ""
        return status, kb.rows(), gr.update(choices=kb.choices(), value=None), kb.facts()

    def on_upload(files):
        names = [f if isinstance(f, str) else f.name for f in files or []]
        ok, message = kb.upload(names)
        return (*kb_view(ok, message), None)

    def on_delete(doc_id):
        return kb_view(*kb.delete(doc_id))

    def ask(question: str, k: int = 5) -> dict:
        """Answer a question from the knowledge base: the same dict as `Answer.to_dict()`."""
        try:
            return a.ask(question, k=max(1, min(int(k or 5), 20))).to_dict()
        except QAError as e:
            raise gr.Error(str(e)) from None

    private = {"api_visibility": "private"}
    with gr.Blocks(title="qa · 文章问答", analytics_enabled=False) as demo:
        gr.Markdown("## 文章问答 · Q&A over your articles\n答案摘自知识库中的文章，并列出出处。")
        with gr.Tab("问答 Chat"):
            def welcome():
                return [{"role": "assistant", "content": render_welcome(a.manifest.documents)}]

            chat = gr.Chatbot(
                value=welcome, label="对话", height=640, latex_delimiters=[], buttons=["copy"], feedback_options=None,
                placeholder="输入问题，或点击下面的示例。", elem_id="qa-chat",
            )
            pending = gr.State("")
            with gr.Row():
                box = gr.Textbox(placeholder="例如：何时启动送温暖行动", show_label=False, scale=8,
                                 submit_btn="提问", elem_id="qa-question", max_length=1000)
                clear = gr.Button("清空", scale=1, variant="secondary")
            gr.Markdown("**示例问题**")
            with gr.Row():
                example_buttons = [gr.Button(q, size="sm", variant="secondary", elem_classes="qa-example") for q in EXAMPLES]

            box.submit(post_question, [box, chat], [box, chat, pending], queue=False, **private).then(
                post_answer, [pending, chat], chat, **private
            )
            for button, q in zip(example_buttons, EXAMPLES):
                button.click(lambda h, q=q: post_question(q, h), [chat], [box, chat, pending], queue=False, **private).then(
                    post_answer, [pending, chat], chat, **private
                )
            clear.click(lambda: (welcome(), ""), None, [chat, pending], queue=False, **private)

        with gr.Tab("知识库 Knowledge base"):
            facts = gr.Markdown(kb.facts())
            with gr.Row():
                with gr.Column(scale=3):
                    uploads = gr.File(label=f"上传文章（{' '.join(UPLOAD_SUFFIXES)}，每个不超过 {kb.max_mb} MB）",
                                      file_count="multiple", type="filepath", file_types=list(UPLOAD_SUFFIXES),
                                      elem_id="qa-upload")
                    add_btn = gr.Button("添加到知识库", variant="primary", elem_id="qa-add")
                with gr.Column(scale=2):
                    doc_pick = gr.Dropdown(label="删除文章", choices=kb.choices(), value=None)
                    del_btn = gr.Button("删除", variant="stop")
            status = gr.HTML("", elem_id="qa-kb-status")
            table = gr.Dataframe(value=kb.rows(), headers=["标题", "id", "段落", "来源文件"], interactive=False,
                                 datatype=["str", "str", "number", "str"],  # shown as text, never as HTML
                                 wrap=True, label="已收录的文章", elem_id="qa-documents")
            outputs = [status, table, doc_pick, facts]
            add_btn.click(on_upload, [uploads], [*outputs, uploads], **private)
            del_btn.click(on_delete, [doc_pick], outputs, **private)
            demo.load(lambda: kb_view()[1:], None, outputs[1:], **private)

        gr.api(ask, api_name="ask")

    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.qa_knowledge_base = kb  # for tests and embedding callers
    return demo


def launch(demo, host: str = "127.0.0.1", port: int = 7860, **kwargs):
    """Start the page with its styles and upload limit; returns gradio's (app, local_url, share_url)."""
    max_mb = demo.qa_knowledge_base.max_mb
    return demo.launch(server_name=host, server_port=port, css=CSS, max_file_size=f"{max_mb}mb",
                       footer_links=["api", "gradio"], **kwargs)


def serve(index_dir="index", corpus_dir="corpus", host="127.0.0.1", port=7860, model=None):
    """Open (or on first start build) the index and serve the page until interrupted."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger("qa").setLevel(logging.INFO)  # our progress, without every HTTP request's
    assistant = open_assistant(index_dir, corpus_dir, model)
    log.info("serving %s on http://%s:%d/", index_dir, host, port)
    launch(create_app(assistant, corpus_dir), host, port)
