"""Checked uploads: a safe file name, type and size checks, and a private copy to index from."""
from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from ..errors import InputError
from ..ingest import SUPPORTED

UPLOAD_SUFFIXES = SUPPORTED


def safe_name(name: str) -> str:
    """A plain file name for an uploaded file: no folders, no `..`, no control or shell characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    suffix = Path(base).suffix
    if len(base) > 120:
        base = base[: 120 - len(suffix)] + suffix
    return base or "upload"


def check_upload(name: str, size: int, max_mb: int) -> None:
    """Raise InputError when a file may not be added: wrong type or too large."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"{name}: files of type {suffix or '(none)'} cannot be added; upload one of {' '.join(UPLOAD_SUFFIXES)}")
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{name} is {size / 1024 / 1024:.1f} MB, over the {max_mb} MB upload limit (QA_MAX_UPLOAD_MB)")


def stage_upload(src: str | Path, name: str, area: Path, max_mb: int) -> Path:
    """Check an uploaded file and copy it into a fresh folder of `area` under a sanitised name."""
    src = Path(src)
    try:
        size = src.stat().st_size
    except OSError as e:
        raise InputError(f"{safe_name(name)}: the upload cannot be read ({e.strerror}); upload it again") from None
    clean = safe_name(name)
    check_upload(clean, size, max_mb)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=area))
    dest = (folder / clean).resolve()
    if folder.resolve() not in dest.parents:  # safe_name makes this impossible; checked anyway
        raise InputError(f"{name}: not a valid file name")
    shutil.copyfile(src, dest)
    return dest
