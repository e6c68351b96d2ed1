"""Opening (or first building) the index and serving the page."""
from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path

from ..errors import PortInUseError
from .engine import open_assistant
from ..render import CSS

FAVICON = Path(__file__).with_name("favicon.png")

log = logging.getLogger(__name__)


def check_port(host: str, port: int) -> None:
    """Raise PortInUseError, naming --port and QA_PORT, when `host:port` cannot be listened on."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closing socket is no obstacle
        try:
            s.bind((host, port))
        except OSError as e:
            busy = e.errno == errno.EADDRINUSE
            raise PortInUseError(
                f"cannot listen on {host}:{port} ({'in use, perhaps by another qa page' if busy else e.strerror}): "
                f"start with another port, e.g. --port {port + 1} or QA_PORT={port + 1}"
            ) from None


# Gradio keeps the page's state for every session, and every API call is a session of its own: about
# 70 KB each here, so its default of 10,000 sessions grows the server by ~0.7 GB. Keeping the 1,000
# most recent bounds that and still keeps every live chat (bench.load, three 30 s runs of 30 callers
# through Gradio's /ask: 610 -> 621 -> 623 MiB at 1,000; 618 -> 678 -> 732 MiB at 10,000).
SESSIONS_KEPT = 1000


def launch(demo, host: str = "127.0.0.1", port: int = 7860, **kwargs):
    """Start the page with its styles, favicon, Chinese labels and upload limit, and POST /api/ask beside
    Gradio's queued /ask; returns gradio's (app, local_url, share_url)."""
    import gradio as gr

    from ..http import routes  # POST /api/ask: plain JSON beside Gradio's queued /ask
    from .page import ON_LOAD, PAGE_CSS, UI_TEXT

    check_port(host, port)
    kb = demo.qa_knowledge_base
    try:
        return demo.launch(server_name=host, server_port=port, css=CSS + PAGE_CSS, max_file_size=f"{kb.max_mb}mb",
                           js=ON_LOAD, favicon_path=str(FAVICON), i18n=gr.I18n(en=UI_TEXT, **{"zh-CN": UI_TEXT}),
                           footer_links=["api"], app_kwargs={"routes": routes(kb.assistant)},
                           state_session_capacity=SESSIONS_KEPT, **kwargs)
    except OSError as e:  # taken between the check and the start
        if "port" not in str(e).lower():
            raise
        raise PortInUseError(f"cannot listen on {host}:{port}: start with another port, e.g. --port {port + 1} or QA_PORT={port + 1}") from None


def serve(index_dir: str | None = None, corpus_dir: str | None = None, host: str | None = None, port: int | None = None,
          model: str | None = None):
    """Open (or on first start build) the index and serve the page until interrupted.
    Unset arguments come from Settings (QA_INDEX_DIR, QA_CORPUS_DIR, QA_HOST, QA_PORT)."""
    from ..config import Settings

    s = Settings.from_env()
    index_dir, corpus_dir = index_dir or s.index_dir, corpus_dir or s.corpus_dir
    host, port = host or s.host, port or s.port
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger("qa").setLevel(logging.INFO)  # our progress, without every HTTP request's
    check_port(host, port)  # before a first build, which takes a while
    assistant = open_assistant(index_dir, corpus_dir, model)
    from .page import create_app

    demo = create_app(assistant, corpus_dir)
    log.info("serving %s on http://%s:%d/  (stop with Ctrl+C)", index_dir, host, port)
    launch(demo, host, port)
