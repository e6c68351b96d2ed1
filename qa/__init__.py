"""qa: retrieval question answering over Chinese articles, with cited passages."""
from __future__ import annotations

from .errors import QAError
from .types import Answer, Citation, Document, Passage

__all__ = ["Assistant", "Answer", "Citation", "Document", "Passage", "QAError", "ask", "build_index"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy: `import qa` and `qa --help` stay fast; numpy/faiss load on first use.
    if name in ("Assistant", "ask", "build_index"):
        from . import assistant

        return getattr(assistant, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
