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

    HEADERS = ["标题", "来源文件", "段落", "添加时间 (UTC)", "id"]

    def rows(self) -> list[list]:
        """Title, source file, passages, when it was added, and id of every indexed document, newest first."""
        m = self.assistant.manifest
        docs = [(d, m.added.get(d.source, m.built_at)) for d in self.assistant.documents()]
        docs.sort(key=lambda da: da[1] or "", reverse=True)
        return [[d.title, Path(d.source).name if d.source else "", d.passages, _when(added), d.doc_id] for d, added in docs]

    def choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title} · {Path(d.source).name if d.source else d.doc_id} ({d.doc_id})", d.doc_id)
                for d in self.assistant.documents()]

    def counts(self) -> str:
        """The header's one line: how many articles and passages the answers come from."""
        m = self.assistant.manifest
        return f"知识库：{m.documents} 篇文章 · {m.passages} 个段落"

    def facts(self) -> str:
        m = self.assistant.manifest
        return (
            f"**{m.documents}** 篇文章 · **{m.passages}** 个段落 · 编码器 `{html.escape(m.encoder)}` ({m.dim} 维)"
            f" · 更新于 {_when(m.built_at) or '?'} (UTC)"
        )

    def describe(self, doc_id: str | None) -> str | None:
        """What deleting `doc_id` would remove, for the confirmation; None when it is not indexed."""
        d = next((d for d in self.assistant.documents() if d.doc_id == doc_id), None)
        if d is None:
            return None
        return f"确定删除《{d.title}》（{d.doc_id}，{d.passages} 个段落）吗？删除后需重新上传才能恢复。"

    def upload(self, files: Iterable[str | Path | tuple[str | Path, str]], progress: bool = False) -> tuple[bool, str]:
        """Add uploaded files. Any bad file rejects the whole upload and leaves the index untouched.

        `files` are paths, or (path, original name) pairs when the name differs from the path's;
        `progress` shows tqdm bars while reading and embedding (the page turns them into its progress bar).
        """
        items = [(f, Path(f).name) if not isinstance(f, tuple) else f for f in files or []]
        if not items:
            return False, "请先选择要上传的文件"
        batch = Path(tempfile.mkdtemp(prefix="batch-", dir=self.area))
        try:
            staged = [stage_upload(path, name, batch, self.max_mb) for path, name in items]
            ids = self.assistant.add(staged, progress=progress, sources=[safe_name(name) for _, name in items])
        except QAError as e:
            log.warning("upload rejected: %s", e)
            return False, f"上传失败，知识库未改动：{e}"
        finally:
            shutil.rmtree(batch, ignore_errors=True)
        return True, f"已添加 {len(ids)} 篇文章：{', '.join(ids)}"

    def delete(self, doc_id: str | None) -> tuple[bool, str]:
        """Remove one document by id."""
        if not doc_id:
            return False, "请先选择要删除的文章"
        try:
            removed = self.assistant.delete(doc_id)
        except QAError as e:
            log.warning("delete rejected: %s", e)
            return False, f"删除失败：{e}"
        return True, f"已删除 {doc_id}（{removed} 个段落）"


def _when(iso: str) -> str:
    """2026-11-25T18:20:05+00:00 -> 2026-11-25 18:20."""
    return iso[:16].replace("T", " ") if iso else ""
