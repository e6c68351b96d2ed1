"""The knowledge-base tab's actions (list, add uploads, delete) over an Assistant, as plain Python."""
from __future__ import annotations

import html
import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import QAError
from .uploads import safe_name, stage_upload

log = logging.getLogger(__name__)


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
