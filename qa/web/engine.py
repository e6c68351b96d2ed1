"""The engine behind the page: open the index (building it on first start) and warm it up."""
from __future__ import annotations

import logging
from pathlib import Path

from ..errors import IndexNotFoundError, QAError

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
