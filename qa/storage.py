"""How an index directory changes on disk: one writer at a time across processes, atomic and durable
swaps, consistent reads, and the clean-up of what a killed writer left behind.

An index directory `D` is always a complete version. A writer takes an OS lock (`flock` on
`.D.lock` beside `D`), writes the next version into a temporary sibling `.D.tmp-*`, fsyncs every
file and directory, then swaps it in with one atomic exchange of the two directories
(`renameat2(RENAME_EXCHANGE)`; two renames where the system lacks it) and fsyncs the parent. So `D`
never disappears, and a crash at any moment leaves the old or the new version at `D`, plus
leftovers that the next writer removes. Each version carries a generation number: a reader reads it
before and after loading, and loads again when a swap happened in between, so it never mixes two
versions and never has to take a lock. A symlinked `D` stays a symlink: the swap happens at its target.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from .errors import IndexBusyError, InputError, StorageError

log = logging.getLogger(__name__)

T = TypeVar("T")
GENERATION = "generation"  # file in each version: the number of swaps so far, one more each write
MARKER = "manifest.json"  # a directory without it is not an index (written last)
READ_ATTEMPTS = 20  # a reader that keeps meeting swaps retries this often, then says the index is busy


def target_of(directory: str | Path) -> Path:
    """The real directory behind `directory` (through symlinks), where versions are swapped."""
    return Path(os.path.realpath(directory))


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


# -- the write lock ---------------------------------------------------------------------------------
_held: dict[str, tuple[int, int]] = {}  # target -> (owning thread, depth): re-entry from the same thread
_held_guard = threading.Lock()


@contextlib.contextmanager
def write_lock(directory: str | Path, timeout: float) -> Iterator[Path]:
    """Hold the index's write lock (waiting up to `timeout` seconds); yields the real index directory.

    The lock is `flock` on a lock file beside the index: it serialises processes and, since each
    acquisition opens the file anew, threads too; the OS releases it when a holder dies. The
    holder first removes what killed writers left behind. Re-entrant within one thread.
    """
    import fcntl

    target = target_of(directory)
    key, me = str(target), threading.get_ident()
    with _held_guard:
        owner = _held.get(key)
        if owner and owner[0] == me:
            _held[key] = (me, owner[1] + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield target
        finally:
            with _held_guard:
                _held[key] = (me, _held[key][1] - 1)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StorageError(f"cannot create the lock file {path} ({e.strerror}); is {target.parent} writable?") from None
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("index %s is being changed by %s; waiting (up to %g s, QA_LOCK_TIMEOUT)", target, _holder(fd), timeout)
                    waited = True
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"index {target} is being changed by another writer ({_holder(fd)}); waited {timeout:g} s: "
                        "try again when it has finished, or wait longer with QA_LOCK_TIMEOUT=<seconds>"
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        with _held_guard:
            _held[key] = (me, 1)
        try:
            _recover(target)
            _remove_leftovers(target)
            yield target
        finally:
            with _held_guard:
                _held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
    except OSError:
        return "another process"


def holds_lock(directory: str | Path) -> bool:
    owner = _held.get(str(target_of(directory)))
    return bool(owner and owner[0] == threading.get_ident())


# -- writing a version ------------------------------------------------------------------------------
@contextlib.contextmanager
def new_version(directory: str | Path) -> Iterator[Path]:
    """A fresh temporary directory to write the next version into; swapped in when the block ends.

    Must run under `write_lock`. On any error the temporary directory goes and the index stays as
    it was; an OSError (disk full, no permission) becomes one StorageError line.
    """
    target = target_of(directory)
    if not holds_lock(target):
        raise RuntimeError(f"new_version({target}) outside write_lock")  # a bug, not a user error
    tmp: Path | None = None
    swapped = False
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; an index is as readable as any directory
        yield tmp
        (tmp / GENERATION).write_text(f"{generation(target) + 1}\n", encoding="ascii")
        if target.exists() and not (target / MARKER).exists() and any(target.iterdir()):
            raise InputError(f"{target} exists and is not a qa index; choose another --index directory")
        sync_tree(tmp)  # every byte on disk before the new version can be seen
        sync_dir(target.parent)
        _swap(tmp, target)
        swapped = True
        sync_dir(target.parent)  # the swap itself on disk
    except RuntimeError as e:
        if "write error" not in str(e):  # FAISS reports a failed write as RuntimeError("... write error in PATH ... (strerror)")
            raise
        reason = str(e).rsplit("(", 1)[-1].rstrip(")") if "(" in str(e) else "write error"
        raise StorageError(f"cannot write index {target} ({reason}); the index is unchanged; free some disk space and try again") from None
    except OSError as e:
        what = f"{e.strerror or e}" + (f": {e.filename}" if e.filename and not str(e.filename).startswith(str(target.parent / '.')) else "")
        state = "the new version is in place" if swapped else "the index is unchanged"
        hint = "; free some disk space and try again" if e.errno in (errno.ENOSPC, errno.EDQUOT, None) and not swapped else ""
        raise StorageError(f"cannot write index {target} ({what}); {state}{hint}") from None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _swap(tmp: Path, target: Path) -> None:
    """Put `tmp` at `target` atomically; the old version, if any, ends up at `tmp` (removed by the caller)."""
    if not target.exists():
        os.rename(tmp, target)
        return
    if not _exchange(tmp, target):
        # No atomic exchange here: move the old version aside, then the new one in. A crash in
        # between leaves `.D.old-*`, which the next lock holder puts back (`_recover`).
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)
            raise
        os.rename(old, tmp)  # so the caller removes it as it removes any leftover tmp


_renameat2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    global _renameat2
    if _renameat2 is None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            _renameat2 = fn
        except (OSError, AttributeError):
            _renameat2 = False
    if not _renameat2:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # this file system or kernel cannot exchange
    raise OSError(err, os.strerror(err), str(b))


def sync_tree(root: Path) -> None:
    """fsync every file under `root`, then every directory bottom-up, so the data is on disk before the swap."""
    for here, dirs, files in os.walk(root, topdown=False):
        for name in files:
            fd = os.open(os.path.join(here, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        sync_dir(Path(here))


def sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading --------------------------------------------------------------------------------------
def generation(directory: str | Path) -> int:
    """The version number of the index at `directory` (0 for an index written before versions were counted)."""
    try:
        return int((Path(directory) / GENERATION).read_text(encoding="ascii").strip() or 0)
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        return -1  # unreadable: compared like any other value, so a swap still shows


def stamp(directory: str | Path) -> tuple:
    """A cheap fingerprint of the version at `directory` (one stat): changes whenever a writer swaps."""
    try:
        st = os.stat(Path(directory) / MARKER)
    except OSError:
        return ()
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def read_consistent(directory: str | Path, load: Callable[[Path], T]) -> T:
    """`load(directory)` from one version only: when a writer swapped meanwhile (the generation
    differs after loading, or the load failed while it changed), load again. Never takes the lock."""
    directory = Path(directory)
    for attempt in range(READ_ATTEMPTS):
        before = generation(directory)
        try:
            result = load(directory)
        except Exception:  # noqa: BLE001 - whatever a load that straddled a swap raised, it is read again
            if generation(directory) != before:
                continue
            raise
        if generation(directory) == before:
            return result
        log.debug("index %s changed while it was read; reading again", directory)
        time.sleep(0.01 * attempt)
    raise IndexBusyError(f"index {directory} changed {READ_ATTEMPTS} times while it was being read; try again")


def recover_stranded(directory: str | Path, timeout: float) -> None:
    """When the index is missing but a killed writer left its old version aside, take the lock
    (so no live writer is mid-swap) and put it back. A no-op otherwise."""
    target = target_of(directory)
    if not target.exists() and any((p / MARKER).exists() for p in target.parent.glob(f".{target.name}.old-*")):
        with write_lock(target, timeout):
            pass  # the lock holder recovers on entry


# -- recovery (lock holders only) -------------------------------------------------------------------
def _recover(target: Path) -> None:
    """A writer killed between the two renames of the fallback swap leaves the index at `.D.old-*`: put it back."""
    if target.exists():
        return
    old = sorted((p for p in target.parent.glob(f".{target.name}.old-*") if (p / MARKER).exists()),
                 key=lambda p: p.stat().st_mtime)
    if old:
        log.warning("restoring the index %s from %s (an earlier write was interrupted)", target, old[-1].name)
        os.rename(old[-1], target)
        sync_dir(target.parent)


def _remove_leftovers(target: Path) -> None:
    """Remove the temporary and set-aside versions of killed writers (only a lock holder may: no one else writes)."""
    for p in [*target.parent.glob(f".{target.name}.tmp-*"), *target.parent.glob(f".{target.name}.old-*")]:
        log.info("removing %s, left by an interrupted write", p.name)
        shutil.rmtree(p, ignore_errors=True)
