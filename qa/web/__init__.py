"""The Gradio page over `Assistant`: chat, the knowledge base, checked uploads, `/ask`, serving.

    uploads.py    safe names, type and size checks, a private copy of each upload
    knowledge.py  the knowledge-base tab's actions as plain Python (KnowledgeBase)
    page.py       the layout and its events (create_app); gradio is imported only there
    server.py     open or first build the index; launch and serve
"""
from .knowledge import KnowledgeBase
from .page import CONCURRENCY, EXAMPLES, create_app
from .engine import open_assistant, warm_up
from .server import launch, serve
from .uploads import UPLOAD_SUFFIXES, check_upload, safe_name, stage_upload

__all__ = ["CONCURRENCY", "EXAMPLES", "KnowledgeBase", "UPLOAD_SUFFIXES", "check_upload", "create_app", "launch",
           "open_assistant", "safe_name", "serve", "stage_upload", "warm_up"]
