"""Provenance and safe output: every result records its config, seed, the clean git revision it was written
at and content hashes of the code and data behind it; ``python -m lbtheory.provenance check DIR`` verifies
them. Output directories appear whole or not at all."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as _dt
import functools
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import lbtheory
from lbtheory.outdir import atomic_output_dir as atomic_output_dir  # moved to lbtheory.outdir

PACKAGE_DIR = Path(lbtheory.__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent

GENERATED = ("results", "paper/figures", "paper/variables")
"""Paths (relative to the repository root) that experiments write: changes there do not make a tree dirty,
since a sweep writes its results one file at a time and the later files must still record a clean revision."""

_INPUTS: set[Path] = set()


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10,
                             check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_revision() -> str:
    """The git commit of the source tree the package was imported from, with ``-dirty`` appended when a
    tracked file outside :data:`GENERATED` differs from that commit ('unknown' outside a checkout)."""
    rev = _git("rev-parse", "HEAD")
    if not rev:
        return "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                 *(f":(top,exclude){g}" for g in GENERATED))
    return rev + ("-dirty" if dirty else "")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=256)
def _cached_file_sha256(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def content_hash(path: Path) -> str:
    """:func:`file_sha256`, memoised on (path, size, mtime) so a sweep hashes each trace once."""
    p = Path(path).resolve()
    st = p.stat()
    return _cached_file_sha256(str(p), st.st_size, st.st_mtime_ns)


def source_files(root: Path) -> list[Path]:
    """The package's source files under ``root``: every file except caches and compiled bytecode."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo", ".so") and not p.name.startswith("."))


def tree_hash(root: Path) -> str:
    """One SHA-256 over (relative path, content hash) of every :func:`source_files` file under ``root``."""
    h = hashlib.sha256()
    for p in source_files(root):
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + file_sha256(p).encode() + b"\n")
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def _package_hash(root: str) -> str:
    return tree_hash(Path(root))


def package_source_hash() -> str:
    """:func:`tree_hash` of the imported ``lbtheory`` package (memoised for the process)."""
    return _package_hash(str(PACKAGE_DIR))


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of package module ``name`` (``lbtheory.a.b``) under ``root``, or None."""
    parts = name.split(".")[1:]
    base = root.joinpath(*parts)
    for f in (base.with_suffix(".py"), base / "__init__.py"):
        if f.is_file():
            return f
    return None


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(?P<mod>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#]*)"
                     r"|import[ \t]+(?P<imps>[^\n#;]*))", re.M)


def _imported_names(path: Path, name: str) -> set[str]:
    """Every ``lbtheory`` module that ``path`` (module ``name``) names in an import statement, at module level
    or inside a function (lazy imports count); ``from a import b`` also names ``a.b``, which is a module when
    ``b`` is a submodule. A line scan, not a parse (a docstring's example import counts too: conservative)."""
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for m in _IMPORT.finditer(path.read_text()):
        if m.group("imps") is not None:
            out.update(part.split(" as ")[0].strip() for part in m.group("imps").split(","))
            continue
        base = m.group("mod")
        level = len(base) - len(base.lstrip("."))
        base = base.lstrip(".")
        if level:
            anchor = pkg.split(".")[: len(pkg.split(".")) - (level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        out.add(base)
        names = m.group("names").strip("() \n")
        out.update(f"{base}.{n.split(' as ')[0].strip()}" for n in names.replace("\n", " ").split(",") if n.strip())
    return {n for n in out if n == "lbtheory" or n.startswith("lbtheory.")}


def dependency_files(modules: Iterable[str], root: Path = PACKAGE_DIR) -> set[Path]:
    """The source files of ``modules`` and of everything they import from the package, transitively: the
    static import closure (each module's parent packages too, since importing ``a.b.c`` runs ``a`` and
    ``a.b``), plus the data files of every package in it (a file belongs to its nearest package directory)."""
    todo = [m for m in modules if m == "lbtheory" or m.startswith("lbtheory.")]
    seen: set[str] = set()
    files: set[Path] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:k]) for k in range(1, len(parts)))
        f = _module_file(name, root)
        if f is None or f in files:
            continue
        files.add(f)
        todo.extend(_imported_names(f, name))
    package_dirs = {f.parent for f in files if f.name == "__init__.py"}
    for p in source_files(root):
        if p.suffix == ".py":
            continue
        d = p.parent
        while d != root and not (d / "__init__.py").is_file():
            d = d.parent
        if d in package_dirs:
            files.add(p)
    return files


@functools.lru_cache(maxsize=64)
def _closure_hash(modules: tuple[str, ...], root: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for f in sorted(dependency_files(modules, Path(root))):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + file_sha256(f).encode() + b"\n")
    return h.hexdigest()


def closure_hash(modules: Iterable[str], root: Path = PACKAGE_DIR) -> str:
    """One SHA-256 over the :func:`dependency_files` of ``modules`` (path and content of each): it changes
    exactly when code those modules can run changes. Memoised on the package files' (path, size, mtime)."""
    stamp = tuple((str(q), q.stat().st_size, q.stat().st_mtime_ns) for q in source_files(root))
    return _closure_hash(tuple(sorted(modules)), str(root), stamp)


def module_hashes() -> dict[str, str]:
    """Content hashes of the package source this process depends on: :func:`dependency_files` of every
    ``lbtheory`` module imported so far, keyed by path relative to the repository root."""
    names = [n for n in list(sys.modules) if n == "lbtheory" or n.startswith("lbtheory.")]
    return {_relative(f): file_sha256(f) for f in sorted(dependency_files(names))}


def note_input(path: Path | str) -> None:
    """Record that this process reads ``path`` (a trace, a profile): :func:`manifest` lists its hash."""
    _INPUTS.add(Path(path).resolve())


def _relative(p: Path) -> str:
    """``p`` relative to the repository root: inside it, or beside it (``../shared/data/x.json``, as a clone
    elsewhere with the shared folder beside it sees the same file); else absolute."""
    q = p.resolve()
    try:
        return q.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        pass
    try:
        return (Path("..") / q.relative_to(REPO_ROOT.parent)).as_posix()
    except ValueError:
        return str(q)


def script_hashes() -> dict[str, str]:
    """Content hashes of the running script and of the modules it imported from its own directory
    (an experiment and its ``_common``/``_claims`` helpers)."""
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if not main_file:
        return {}
    here = os.path.dirname(os.path.abspath(main_file))
    files = {Path(main_file).resolve()}
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)  # a string test first: most modules live elsewhere
        if f and f.endswith(".py") and os.path.dirname(os.path.abspath(f)) == here:
            files.add(Path(f).resolve())
    return {_relative(f): file_sha256(f) for f in sorted(files)}


def manifest(config: dict[str, Any], seed: int | Sequence[int] | None, wall_time_s: float | None = None,
             inputs: Iterable[Path | str] = ()) -> dict[str, Any]:
    """The block every result file carries: what was run, with which seed, by which code, on which data.

    ``hashes`` holds the package source hash (:func:`package_source_hash`), the hashes of the package modules
    the process depends on (:func:`module_hashes`), the script's (:func:`script_hashes`) and each input file's (``inputs`` plus every path given to :func:`note_input`).
    """
    for p in inputs:
        note_input(p)
    return {
        "config": config,
        "seed": seed,
        "lbtheory_version": lbtheory.__version__,
        "git_revision": git_revision(),
        "hashes": {
            "package": package_source_hash(),
            "modules": module_hashes(),
            "scripts": script_hashes(),
            "inputs": {_relative(p): content_hash(p) for p in sorted(_INPUTS) if p.is_file()},
        },
        "python": platform.python_version(),
        "numpy": np.__version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "wall_time_s": wall_time_s,
    }


def _json_default(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"cannot write {type(x).__name__} to JSON")


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON (numpy scalars and arrays allowed), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, default=_json_default, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # unique per writer
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_csv(path: Path, header: Sequence[str], columns: Iterable[Any]) -> None:
    """Write columns (equal-length sequences) as CSV with a header row.

    Numeric columns are joined directly (``str`` of each Python value, which is what :mod:`csv` writes for
    numbers, so the bytes are the same); anything else goes through :func:`csv.writer` for its quoting.
    """
    cols = [np.asarray(c) for c in columns]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        if cols and all(c.ndim == 1 and c.dtype.kind in "biuf" for c in cols):
            if len({c.shape[0] for c in cols}) > 1:
                raise ValueError(f"{path}: columns of unequal length {[c.shape[0] for c in cols]}")
            row = ",".join(["{}"] * len(cols)) + "\r\n"  # "{}" formats a Python number as str() does
            fh.write("".join(map(row.format, *(c.tolist() for c in cols))))
        else:
            w.writerows(zip(*(c.tolist() for c in cols), strict=True))


# --- checking committed results ------------------------------------------------------------------------------

def check_result(path: Path) -> tuple[str, list[str]]:
    """Classify one result file: ("ok" | "dirty" | "stale" | "unverifiable", reasons).

    *dirty*: its manifest's ``git_revision`` ends in ``-dirty`` or is unknown (it was not written by committed
    code). *stale*: a content hash in its manifest no longer matches the file now in the tree (a package module
    the result depends on, a script or an input; for manifests without per-module hashes, the whole package
    source), or the manifest has no hashes. *unverifiable*: not a JSON object with a manifest.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return "unverifiable", [f"cannot read: {exc}"]
    man = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(man, dict):
        return "unverifiable", ["no manifest"]
    rev = str(man.get("git_revision", "unknown"))
    if rev.endswith("-dirty") or rev == "unknown":
        return "dirty", [f"git_revision {rev}"]
    hashes = man.get("hashes")
    if not isinstance(hashes, dict):
        return "stale", ["manifest has no content hashes (written before they were recorded)"]
    reasons = []
    groups = ("modules", "scripts", "inputs")
    if "modules" not in hashes and hashes.get("package") != package_source_hash():
        reasons.append("package source changed")  # written before per-module hashes: the whole package counts
    unchecked = []
    for group in groups:
        for rel, digest in (hashes.get(group) or {}).items():
            f = Path(rel) if Path(rel).is_absolute() else REPO_ROOT / rel
            outside = Path(rel).is_absolute() or rel.startswith("../")
            if not f.is_file():
                if group == "inputs" and outside:  # data beside the tree (../shared), absent on this machine
                    unchecked.append(f"input {rel} not present here (unchecked)")
                else:
                    reasons.append(f"{group[:-1]} {rel} missing")
            elif file_sha256(f) != digest:
                reasons.append(f"{group[:-1]} {rel} changed")
    return ("stale", reasons) if reasons else ("ok", unchecked)


def check_dir(directory: Path) -> dict[str, tuple[str, list[str]]]:
    """:func:`check_result` for every ``*.json`` directly in ``directory``."""
    return {p.name: check_result(p) for p in sorted(Path(directory).glob("*.json"))}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lbtheory.provenance check DIR``: list dirty and stale results; exit 1 if any is dirty
    (``--strict``: also if any is stale or unverifiable)."""
    ap = argparse.ArgumentParser(prog="python -m lbtheory.provenance", description=main.__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="check the manifests of the result files in a directory")
    c.add_argument("directory", type=Path)
    c.add_argument("--strict", action="store_true", help="exit 1 on stale results too")
    args = ap.parse_args(argv)
    if not args.directory.is_dir():
        print(f"provenance: {args.directory} is not a directory", file=sys.stderr)
        return 2
    report = check_dir(args.directory)
    counts: dict[str, int] = {}
    for name, (status, reasons) in report.items():
        counts[status] = counts.get(status, 0) + 1
        if status != "ok":
            print(f"{status.upper():13s} {args.directory / name}: {'; '.join(reasons)}")
    print("provenance: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" of {len(report)} files")
    bad = counts.get("dirty", 0) + (counts.get("stale", 0) + counts.get("unverifiable", 0) if args.strict else 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
