"""Gradio page over `qa.Assistant`: chat with cited sources, a knowledge-base tab, and an `/ask` API.

    python app.py [--index index] [--corpus corpus] [--host 127.0.0.1] [--port 7860] [--model NAME]

Builds the index from the corpus on first start, then serves the page. The same dict as
`Answer.to_dict()` is available to scripts:

    gradio_client.Client("http://127.0.0.1:7860/").predict("何时启动送温暖行动", api_name="/ask")
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from qa.errors import IndexNotFoundError, QAError
from qa.web import CSS, UPLOAD_SUFFIXES, KnowledgeBase, render_answer, render_error, render_question, render_welcome, status_html

log = logging.getLogger("qa.app")
HERE = Path(__file__).resolve().parent

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
    from qa import Assistant

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
    """Ask the examples now: the first questions of each kind load the tokenizer, the part-of-speech
    tagger and the model (seconds), which should not be a visitor's wait."""
    for question in (*EXAMPLES, "活动在哪里举行"):
        try:
            assistant.ask(question)
        except QAError as e:
            log.warning("warm-up question %r failed: %s", question, e)


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
        return "", history + [{"role": "user", "content": render_question(question)}], question

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
            return a.ask(question, k=max(1, min(int(k), 20))).to_dict()
        except QAError as e:
            raise gr.Error(str(e)) from None

    private = dict(api_visibility="private")
    with gr.Blocks(title="qa · 文章问答", analytics_enabled=False) as demo:
        gr.Markdown("## 文章问答 · Q&A over your articles\n答案摘自知识库中的文章，并列出出处。")
        with gr.Tab("问答 Chat"):
            welcome = [{"role": "assistant", "content": render_welcome(a.manifest.documents)}]
            chat = gr.Chatbot(
                value=welcome, label="对话", height=560, latex_delimiters=[], buttons=["copy"], feedback_options=None,
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
            clear.click(lambda: (welcome, ""), None, [chat, pending], queue=False, **private)

        with gr.Tab("知识库 Knowledge base"):
            facts = gr.Markdown(kb.facts())
            with gr.Row():
                with gr.Column(scale=3):
                    uploads = gr.File(label=f"上传文章（{' '.join(UPLOAD_SUFFIXES)}，每个不超过 {kb.max_mb} MB）",
                                      file_count="multiple", type="filepath", file_types=list(UPLOAD_SUFFIXES))
                    add_btn = gr.Button("添加到知识库", variant="primary")
                with gr.Column(scale=2):
                    doc_pick = gr.Dropdown(label="删除文章", choices=kb.choices(), value=None)
                    del_btn = gr.Button("删除", variant="stop")
            status = gr.HTML("", elem_id="qa-kb-status")
            table = gr.Dataframe(value=kb.rows(), headers=["标题", "id", "段落", "来源文件"], interactive=False,
                                 wrap=True, label="已收录的文章")
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
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    assistant = open_assistant(index_dir, corpus_dir, model)
    log.info("serving %s on http://%s:%d/", index_dir, host, port)
    launch(create_app(assistant, corpus_dir), host, port)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the qa page over an index (built from the corpus on first start).")
    p.add_argument("--index", default=str(HERE / "index"), help="index directory (default: index/ next to app.py)")
    p.add_argument("--corpus", default=str(HERE / "corpus"), help="corpus to build from when the index is missing")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--model", default=None, help="encoder name (default: the index's own, or Settings.model)")
    args = p.parse_args(argv)
    try:
        serve(args.index, args.corpus, args.host, args.port, args.model)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
