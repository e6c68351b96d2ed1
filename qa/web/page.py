"""The page's layout and events: the chat tab, the knowledge-base tab and the `/ask` API.

Gradio is imported only inside `create_app`. HTML comes from qa/render.py, which escapes all document text.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import QAError
from ..render import as_text, render_answer, render_error, render_welcome, status_html
from .knowledge import KnowledgeBase
from .server import open_assistant, warm_up
from .uploads import UPLOAD_SUFFIXES

log = logging.getLogger(__name__)

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
            return a.ask(question, k=k).to_dict()  # a bad k is refused with a message, never clamped
        except QAError as e:
            log.warning("/ask rejected: %s", e)
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
