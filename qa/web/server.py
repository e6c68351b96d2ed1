"""Opening (or first building) the index and serving the page."""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import IndexNotFoundError, QAError
from ..render import CSS

log = logging.getLogger(__name__)


def open_assistant(index_dir: str | Path, corpus_dir: str | Path | None = None, model: str | None = None):
    """Open the index, building it from `corpus_dir` first when it does not exist yet."""
    from ..assistant import Assistant

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


def launch(demo, host: str = "127.0.0.1", port: int = 7860, **kwargs):
    """Start the page with its styles and upload limit; returns gradio's (app, local_url, share_url)."""
    from ..http import routes  # POST /api/ask: plain JSON beside Gradio's queued /ask

    kb = demo.qa_knowledge_base
    return demo.launch(server_name=host, server_port=port, css=CSS, max_file_size=f"{kb.max_mb}mb",
                       footer_links=["api", "gradio"], app_kwargs={"routes": routes(kb.assistant)}, **kwargs)


def serve(index_dir="index", corpus_dir="corpus", host="127.0.0.1", port=7860, model=None):
    """Open (or on first start build) the index and serve the page until interrupted."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger("qa").setLevel(logging.INFO)  # our progress, without every HTTP request's
    assistant = open_assistant(index_dir, corpus_dir, model)
    log.info("serving %s on http://%s:%d/", index_dir, host, port)
    from .page import create_app

    launch(create_app(assistant, corpus_dir), host, port)
