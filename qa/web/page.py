"""The page's layout and events: the chat tab, the knowledge-base tab and the `/ask` API.

Gradio is imported only inside `create_app`. The actions behind the events are plain Python
(web/chat.py, web/knowledge.py); HTML comes from qa/render.py, which escapes all document text.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import QAError
from ..render import as_text, status_html
from .chat import Chat
from .knowledge import KnowledgeBase
from .engine import open_assistant, warm_up
from .uploads import UPLOAD_SUFFIXES

log = logging.getLogger(__name__)

TITLE = "文章问答"
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

# The chat grows with the page (no scroll area inside the page to hide an answer in); the question
# box stays in view at the bottom; after a reply the page scrolls the new question to the top, so
# the answer's first lines are in view on a phone too.
PAGE_CSS = """
.gradio-container { max-width: min(980px, 100vw) !important; margin: 0 auto !important; }
#qa-header { display: flex; align-items: baseline; gap: .8em; flex-wrap: wrap; margin: .2em 0 0 0; }
#qa-header h1 { font-size: 1.5em; margin: 0; }
#qa-header .qa-counts { color: var(--body-text-color-subdued); font-size: .9em; }
#qa-chat { border: 1px solid var(--border-color-primary) !important; box-shadow: none !important; }
#qa-chat .icon-button-wrapper { display: none !important; }  /* gradio's trash icon: 新对话 clears */
#qa-chat .bubble-wrap, #qa-chat [role=log] { height: auto !important; max-height: none !important; overflow: visible !important; }
#qa-ask { position: sticky; bottom: 0; z-index: 5; background: var(--body-background-fill); padding: .4em 0; }
#qa-examples { gap: .4em; flex-wrap: wrap; }
#qa-examples .qa-example { flex: 0 1 auto !important; min-width: 0 !important; font-weight: normal; }
#qa-examples::before { content: "试试："; color: var(--body-text-color-subdued); font-size: .85em; align-self: center; white-space: nowrap; flex: none; }
#qa-confirm { border: 1px solid #f04438; border-radius: 8px; padding: .6em; }
@media (max-width: 640px) {
  .gradio-container, .gradio-container > .main, .gradio-container .wrap.fillable { padding-left: 4px !important; padding-right: 4px !important; }
  #qa-header h1 { font-size: 1.25em; }
  #qa-examples { flex-wrap: nowrap !important; overflow-x: auto; }
  #qa-examples .qa-example { flex: 0 0 auto !important; white-space: nowrap; }
  #qa-chat .message-row { margin-left: 0 !important; margin-right: 0 !important; }
  #qa-chat .message { max-width: 100% !important; }
}
"""

SCROLL_TO_LATEST = """
() => { setTimeout(() => {
  const rows = document.querySelectorAll('#qa-chat .user-row');
  const row = rows[rows.length - 1];
  if (!row) return;
  const header = document.getElementById('qa-header');
  const offset = header ? 8 : 8;
  window.scrollTo({ top: row.getBoundingClientRect().top + window.scrollY - offset, behavior: 'instant' });
}, 60); }
"""

# Clicking 理解为：… puts that reading into the question box, to correct it and ask again.
ON_LOAD = """
() => {
  document.addEventListener('click', (event) => {
    const line = event.target.closest && event.target.closest('#qa-chat .qa-understood');
    const box = document.querySelector('#qa-question textarea');
    if (!line || !box) return;
    box.value = line.querySelector('.qa-understood-text').textContent;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    box.focus();
  });
}
"""

# Gradio's own words on the page (its upload box), in Chinese whatever the browser's language.
UI_TEXT = {
    "upload_text.drop_file": "拖放文件到这里",
    "upload_text.click_to_upload": "点击选择文件",
    "common.or": "或",
    "common.clear": "清除",
    "common.remove": "移除",
    "common.loading": "加载中",
    "common.error": "出错",
}


def create_app(assistant_or_index_dir, corpus_dir=None):
    """The page (a `gr.Blocks`) over an Assistant or an index directory. Start it with `launch()`,
    which also applies the page's styles and the upload size limit."""
    import gradio as gr

    a = assistant_or_index_dir
    if isinstance(a, (str, Path)):
        a = open_assistant(a, corpus_dir)
    kb, chat_actions = KnowledgeBase(a), Chat(a)
    warm_up(a)

    def counts_html() -> str:
        return f'<div id="qa-header"><h1>{TITLE}</h1><span class="qa-counts">{as_text(kb.counts())}</span></div>'

    def kb_view(ok: bool | None = None, message: str = ""):
        status = status_html(ok, message) if message else ""
        return (status, kb.rows(), gr.update(choices=kb.choices(), value=None), kb.facts(), counts_html(),
                gr.update(visible=False))

    def on_upload(files, progress=gr.Progress(track_tqdm=True)):
        names = [f if isinstance(f, str) else f.name for f in files or []]
        progress(0, desc="正在读取和编码文章…")
        ok, message = kb.upload(names, progress=True)
        return (*kb_view(ok, message), None)

    def on_delete_asked(doc_id):
        question = kb.describe(doc_id)
        if question is None:
            return status_html(False, "请先选择要删除的文章"), gr.update(visible=False), ""
        return "", gr.update(visible=True), f"**{as_text(question)}**"

    def on_delete_confirmed(doc_id):
        return kb_view(*kb.delete(doc_id))

    def ask(question: str, k: int = 5, history: list[dict] | None = None) -> dict:
        """Answer a question from the knowledge base: the same dict as `Answer.to_dict()`.

        `history`: earlier answers of this conversation (their dicts, oldest first), so that a
        follow-up such as 那它什么时候结束？ is understood; `understood` in the result says how."""
        try:
            return a.ask(question, k=k, history=history or None).to_dict()  # a bad k is refused with a message, never clamped
        except QAError as e:
            log.warning("/ask rejected: %s", e)
            raise gr.Error(str(e)) from None

    private = {"api_visibility": "private"}
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        header = gr.HTML(counts_html(), elem_id="qa-header-box")
        with gr.Tab("问答", elem_id="qa-tab-chat"):
            chat = gr.Chatbot(
                value=chat_actions.welcome, show_label=False, height=None, autoscroll=False, latex_delimiters=[],
                buttons=[], feedback_options=None, elem_id="qa-chat", group_consecutive_messages=False, layout="panel",
            )
            turns, pending = gr.State([]), gr.State("")
            with gr.Row(elem_id="qa-ask"):
                box = gr.Textbox(placeholder="输入问题，例如：何时启动送温暖行动", show_label=False, scale=8,
                                 submit_btn="提问", elem_id="qa-question", max_length=1000, lines=1)
                clear = gr.Button("新对话", scale=1, min_width=80, variant="secondary", elem_id="qa-clear")
            with gr.Row(elem_id="qa-examples"):
                example_buttons = [gr.Button(q, size="sm", variant="secondary", elem_classes="qa-example") for q in EXAMPLES]

            # The question shows at once (no queue); the answer follows as a queued event, then the page
            # scrolls the new question to the top.
            def asked(event):
                return event.then(chat_actions.answer, [pending, chat, turns], [chat, turns], **private).then(
                    None, js=SCROLL_TO_LATEST, **private)

            asked(box.submit(chat_actions.post, [box, chat], [box, chat, pending], queue=False, **private))
            for button, q in zip(example_buttons, EXAMPLES):
                asked(button.click(lambda m, q=q: chat_actions.post(q, m), [chat], [box, chat, pending], queue=False, **private))
            clear.click(lambda: (chat_actions.welcome(), [], ""), None, [chat, turns, pending], queue=False, **private)

        with gr.Tab("知识库", elem_id="qa-tab-kb"):
            facts = gr.Markdown(kb.facts())
            with gr.Row():
                with gr.Column(scale=3):
                    uploads = gr.File(label=f"上传文章（{' '.join(UPLOAD_SUFFIXES)}，每个不超过 {kb.max_mb} MB）",
                                      file_count="multiple", type="filepath", file_types=list(UPLOAD_SUFFIXES),
                                      elem_id="qa-upload", height=140)
                    add_btn = gr.Button("添加到知识库", variant="primary", elem_id="qa-add")
                with gr.Column(scale=2):
                    doc_pick = gr.Dropdown(label="删除文章", info="输入标题、文件名或 id 筛选，选中后点“删除…”", choices=kb.choices(),
                                           value=None, filterable=True, elem_id="qa-delete-pick")
                    del_btn = gr.Button("删除…", variant="stop", elem_id="qa-delete")
                    with gr.Column(visible=False, elem_id="qa-confirm") as confirm:
                        confirm_text = gr.Markdown("")
                        with gr.Row():
                            yes_btn = gr.Button("确认删除", variant="stop", size="sm", elem_id="qa-delete-yes")
                            no_btn = gr.Button("取消", size="sm", elem_id="qa-delete-no")
            status = gr.HTML("", elem_id="qa-kb-status")
            table = gr.Dataframe(value=kb.rows(), headers=KnowledgeBase.HEADERS, interactive=False,
                                 datatype=["str", "str", "number", "str", "str"],  # shown as text, never as HTML
                                 wrap=True, label="已收录的文章", elem_id="qa-documents")
            outputs = [status, table, doc_pick, facts, header, confirm]
            add_btn.click(on_upload, [uploads], [*outputs, uploads], **private)
            del_btn.click(on_delete_asked, [doc_pick], [status, confirm, confirm_text], queue=False, **private)
            yes_btn.click(on_delete_confirmed, [doc_pick], outputs, **private)
            no_btn.click(lambda: gr.update(visible=False), None, confirm, queue=False, **private)
            demo.load(lambda: kb_view()[1:5], None, outputs[1:5], **private)

        gr.api(ask, api_name="ask")

    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.qa_knowledge_base = kb  # for tests and embedding callers
    return demo
