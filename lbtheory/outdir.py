"""Output directories that never destroy what lbtheory did not write.

Rules (the model: git, rsync and cookiecutter never delete what they did not create):

* Every directory lbtheory writes carries a marker file, :data:`MARKER` (``.lbtheory-output``), a small JSON
  object naming the command that wrote it and every file it wrote (plain names, no sub-directories).
* The destination is checked *before* any work (:func:`check_destination`): ``/``, the home directory, the
  working directory and its ancestors are refused whatever the flags; a symbolic link, a file, or a
  non-empty directory without a valid marker is refused; an earlier lbtheory output directory is refused
  unless ``force`` is given. The nearest existing ancestor must be a writable directory.
* Files are written into a scratch directory beside the destination, created with the umask's mode
  (``.NAME.lbtheory-tmp.PID.HEX``). On success it becomes the destination by ``rename`` (atomic: the
  directory appears whole or not at all). With ``force``, only the files the old marker lists are removed;
  files a user added to an old output directory are kept (the new files are then moved in one by one).
* The commit runs under an exclusive ``flock`` on the parent directory, and re-checks the destination there:
  two runs writing the same destination at once give one result and one clean error (or, with ``force``,
  the later one wins), never a crash or a half-merged directory.
* The scratch directory (and any parent directories the run created) is removed on any exception, on
  SIGINT and on SIGTERM (the signal is turned into :class:`Interrupted` while staging), and when the
  rename fails. Only SIGKILL can leave one behind; it is then recognisable by its name.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from lbtheory.errors import LbtheoryError

__all__ = [
    "MARKER",
    "Interrupted",
    "OutputDirError",
    "OutputPlan",
    "atomic_output_dir",
    "check_destination",
    "read_marker",
]

#: the marker file every lbtheory output directory carries
MARKER = ".lbtheory-output"
_MARKER_KIND = "lbtheory-output"
_TMP_TAG = ".lbtheory-tmp."
_OLD_TAG = ".lbtheory-old."


class OutputDirError(LbtheoryError):
    """The output directory cannot be used (the message names it and the flag to change)."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while an output directory was being staged."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def read_marker(directory: Path) -> list[str] | None:
    """The files an lbtheory marker in ``directory`` lists, or None if there is no valid marker.

    A marker is valid when it is a regular file holding ``{"kind": "lbtheory-output", "files": [...]}`` with
    plain file names (no separators, not ``.``/``..``, not the marker itself).
    """
    m = directory / MARKER
    try:
        if m.is_symlink() or not m.is_file():
            return None
        doc = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("kind") != _MARKER_KIND or not isinstance(doc.get("files"), list):
        return None
    files = doc["files"]
    for name in files:
        if (not isinstance(name, str) or not name or name in (".", "..", MARKER) or "/" in name
                or "\\" in name or "\0" in name):
            return None
    return list(files)


def _write_marker(directory: Path, command: str, files: list[str], complete: bool = True) -> None:
    doc = {"kind": _MARKER_KIND, "command": command, "files": sorted(files), "complete": complete,
           "note": "written by lbtheory; `--force` removes only the files listed here"}
    tmp = directory / (MARKER + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, directory / MARKER)


@dataclass(frozen=True)
class OutputPlan:
    """A destination that passed :func:`check_destination`.

    Attributes:
        path: the destination as given.  resolved: its absolute form (symbolic links of parents resolved).
        state: "absent", "empty" (an existing empty directory) or "lbtheory" (an earlier output directory).
        force: whether an earlier output directory may be replaced.
        flag: the option name used in messages (``--out``).
        stale: scratch directories beside the destination left by lbtheory runs that were killed (SIGKILL)
            on this machine: named ``.NAME.lbtheory-tmp.PID.HEX`` with no live process PID. Reported, not
            removed (a process of another machine sharing the file system could own one).
    """

    path: Path
    resolved: Path
    state: str
    force: bool
    flag: str = "--out"
    stale: tuple[str, ...] = ()


def _stale_scratch(parent: Path, name: str) -> tuple[str, ...]:
    prefix = f".{name}{_TMP_TAG}"
    found = []
    with contextlib.suppress(OSError):
        for e in os.scandir(parent):
            if not e.name.startswith(prefix) or not e.is_dir(follow_symlinks=False):
                continue
            pid_s = e.name[len(prefix):].split(".")[0]
            if not pid_s.isdigit():
                continue
            try:
                os.kill(int(pid_s), 0)
            except ProcessLookupError:
                found.append(e.name)
            except OSError:
                pass  # alive (or not ours to signal)
    return tuple(sorted(found))


def _protected(resolved: Path) -> str | None:
    """Why ``resolved`` may never be an output directory, or None."""
    if resolved == Path(resolved.anchor):
        return "is the file-system root"
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        if resolved == Path.home().resolve():
            return "is your home directory"
    cwd = Path.cwd().resolve()
    if resolved == cwd:
        return "is the working directory"
    if cwd.is_relative_to(resolved):
        return "is an ancestor of the working directory"
    return None


def check_destination(path: str | Path, *, force: bool = False, flag: str = "--out") -> OutputPlan:
    """Check an output destination before any work; raise :class:`OutputDirError` with a one-line reason.

    Nothing on disk is changed.
    """
    p = Path(path)
    if str(path) == "":
        raise OutputDirError(f"{flag} must name a directory")
    resolved = Path(os.path.abspath(p))
    # resolve the parents' links, not the last component (a link there is refused below)
    resolved = resolved.parent.resolve() / resolved.name if resolved.name else resolved.resolve()
    why = _protected(resolved)
    if why is not None:
        raise OutputDirError(f"{flag} {p} {why}; give a new directory for the results")
    if p.is_symlink():
        raise OutputDirError(f"{flag} {p} is a symbolic link; give the directory itself or a new name")
    if p.exists():
        if not p.is_dir():
            raise OutputDirError(f"{flag} {p} exists and is not a directory; give a new directory")
        try:
            entries = [e.name for e in os.scandir(p)]
        except OSError as e:
            raise OutputDirError(f"{flag} {p} cannot be read: {e.strerror or e}") from None
        if not entries:
            state = "empty"
        elif read_marker(p) is None:
            raise OutputDirError(
                f"{flag} {p} exists and was not written by lbtheory (no valid {MARKER} marker); "
                "nothing was changed; give a new directory"
            )
        elif not force:
            raise OutputDirError(f"{flag} {p} holds an earlier lbtheory output; pass --force to replace it "
                                 "(only the files lbtheory wrote are removed)")
        else:
            state = "lbtheory"
        if not os.access(p, os.W_OK | os.X_OK) or not os.access(p.parent, os.W_OK | os.X_OK):
            raise OutputDirError(f"{flag} {p} is not writable (permissions of it or its parent)")
    else:
        state = "absent"
        anc = resolved.parent
        while not anc.exists():
            if anc == anc.parent:
                break
            anc = anc.parent
        if anc.exists() and not anc.is_dir():
            raise OutputDirError(f"{flag} {p}: {anc} is a file, not a directory")
        if not os.access(anc, os.W_OK | os.X_OK):
            raise OutputDirError(f"{flag} {p}: cannot create it, {anc} is not writable")
    stale = _stale_scratch(p.parent, p.name) if p.parent.is_dir() else ()
    return OutputPlan(p, resolved, state, force, flag, stale)


def _make_parents(directory: Path) -> list[Path]:
    """Create the missing ancestors of ``directory`` (mode from the umask); return them, deepest last."""
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    created: list[Path] = []
    for m in reversed(missing):
        try:
            os.mkdir(m, 0o777)
        except FileExistsError:
            continue
        created.append(m)
    return created


def _mkscratch(parent: Path, name: str, tag: str) -> Path:
    while True:
        d = parent / f".{name}{tag}{os.getpid()}.{secrets.token_hex(4)}"
        try:
            os.mkdir(d, 0o777)  # the umask applies (tempfile.mkdtemp would force 0700)
        except FileExistsError:
            continue
        return d


@contextlib.contextmanager
def _parent_lock(parent: Path) -> Iterator[None]:
    """An exclusive lock on the parent directory for the commit (no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the re-check below still refuses cleanly
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (so cleanup runs); restore the handlers after."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    old: dict[int, Any] = {}
    try:
        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                old[s] = signal.signal(s, handler)
            except ValueError:  # not the main thread: leave the handlers alone
                break
        yield
    finally:
        for signum, h in old.items():
            signal.signal(signum, h)


def _remove_listed(directory: Path, names: list[str]) -> None:
    for n in [*names, MARKER]:
        f = directory / n
        if f.is_symlink() or f.is_file():
            with contextlib.suppress(FileNotFoundError):
                f.unlink()


def _commit(plan: OutputPlan, tmp: Path, command: str, written: list[str]) -> list[str]:
    """Make ``tmp`` the destination (under the parent lock); return names of foreign files kept."""
    p = plan.path
    with _parent_lock(p.parent):
        # re-check: another run may have written the destination meanwhile
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise OutputDirError(f"{plan.flag} {p} appeared meanwhile and is not a directory; nothing written")
        entries = [e.name for e in os.scandir(p)] if p.exists() else []
        if not entries:
            if p.exists():
                os.rmdir(p)
            os.rename(tmp, p)
            return []
        old = read_marker(p)
        if old is None:
            raise OutputDirError(f"{plan.flag} {p} was filled meanwhile by something other than lbtheory; "
                                 "nothing written")
        if not plan.force:
            raise OutputDirError(f"{plan.flag} {p} was written meanwhile by another lbtheory run; "
                                 "pass --force to replace it")
        ours = set(old) | {MARKER}
        foreign = sorted(n for n in entries if n not in ours or not (p / n).is_file())
        if not foreign:
            # swap whole directories: the destination is never half old, half new
            aside = _mkscratch(p.parent, p.name, _OLD_TAG)
            os.rmdir(aside)
            os.rename(p, aside)
            os.rename(tmp, p)
            _remove_listed(aside, old)
            with contextlib.suppress(OSError):
                os.rmdir(aside)
            if aside.exists():
                foreign = [f"{aside.name}/{e.name}" for e in os.scandir(aside)]
            return foreign
        # the user added files: keep them, replace ours file by file (the marker covers old and new)
        _write_marker(p, command, sorted(set(old) | set(written)), complete=False)
        for n in written:
            os.replace(tmp / n, p / n)
        for n in set(old) - set(written):
            f = p / n
            if f.is_symlink() or f.is_file():
                f.unlink()
        _write_marker(p, command, written)
        shutil.rmtree(tmp, ignore_errors=True)
        return foreign


@contextlib.contextmanager
def atomic_output_dir(path: str | Path | OutputPlan, *, force: bool = False, command: str = "lbtheory",
                      warn: Any = None) -> Iterator[Path]:
    """Yield a scratch directory; on success it becomes ``path`` (see the module docstring).

    ``path`` may be an :class:`OutputPlan` from :func:`check_destination` (checked before the work) or a
    path (checked now). Every file written into the scratch directory is listed in the marker. ``warn`` is
    called with a one-line message when files lbtheory did not write were kept.
    """
    plan = path if isinstance(path, OutputPlan) else check_destination(path, force=force)
    created = _make_parents(plan.path.parent)
    tmp: Path | None = None
    try:
        with _signals_raise():
            tmp = _mkscratch(plan.path.parent, plan.path.name, _TMP_TAG)
            yield tmp
            written = sorted(e.name for e in os.scandir(tmp) if e.name != MARKER)
            bad = [n for n in written if not (tmp / n).is_file() or (tmp / n).is_symlink()]
            if bad:
                raise OutputDirError(f"internal: output {bad[0]!r} is not a plain file")
            _write_marker(tmp, command, written)
            try:
                kept = _commit(plan, tmp, command, written)
            except OSError as e:
                raise OutputDirError(f"{plan.flag} {plan.path}: could not move the results into place: "
                                     f"{e.strerror or e}; nothing written") from None
            if kept and warn is not None:
                shown = ", ".join(kept[:3]) + (" ..." if len(kept) > 3 else "")
                warn(f"kept {len(kept)} file(s) in {plan.path} that lbtheory did not write: {shown}")
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
