"""Compiled or interpreted kernels, chosen once per process: a drop-in ``njit`` that may skip numba.

The engine's transition and the policy kernels are written once, in the subset of Python that numba
compiles. In *compiled* mode (the default) :func:`njit` is numba's ``njit``; in *interpreted* mode it returns
the Python function unchanged and numba is never imported. Both modes run the same code, so they make the
same decisions (``tests/unit/test_jit.py`` compares them record by record); interpreted mode saves numba's
import (about 0.35 s) and its compilation or cache loading (0.5 s to a minute), which is what a small run
costs, while compiled mode is 10-1000x faster per step, which is what a big run needs.

The mode is fixed per process, before the first kernel module is imported (the decorators run at import):

* the environment variable ``LBTHEORY_JIT``: ``1`` compiled (default), ``0`` interpreted;
* or :func:`set_mode`, called before any kernel module is imported (the command line does this after
  estimating the work of a run).

The first decoration (or :func:`is_compiled`) fixes the mode; asking for the other mode afterwards raises
:class:`JitModeError`, since the functions already decorated cannot change.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from lbtheory.errors import LbtheoryError

ENV_VAR = "LBTHEORY_JIT"

_requested: bool | None = None  # set_mode's choice, before the mode is fixed
_fixed: bool | None = None  # the mode in force once fixed (True: compiled)


class JitModeError(LbtheoryError, RuntimeError):
    """A bad ``LBTHEORY_JIT``, or the kernel mode asked to change after kernels were defined in the other."""


def _from_env() -> bool:
    raw = os.environ.get(ENV_VAR, "1").strip()
    if raw not in ("0", "1"):
        raise JitModeError(f"{ENV_VAR} must be 0 (interpreted) or 1 (compiled), got {raw!r}")
    return raw == "1"


def set_mode(compiled: bool) -> None:
    """Choose compiled (True) or interpreted (False) kernels for this process, before any kernel is defined.

    Raises JitModeError if kernels were already defined in the other mode (setting the mode in force is fine).
    """
    global _requested
    if _fixed is not None and _fixed != compiled:
        raise JitModeError(
            f"kernels are already defined {'compiled' if _fixed else 'interpreted'}; the mode is fixed per "
            f"process (set {ENV_VAR} or call lbtheory._jit.set_mode before importing the engine)"
        )
    _requested = bool(compiled)


def is_compiled() -> bool:
    """Whether kernels are numba-compiled in this process; fixes the mode if it was not fixed yet."""
    global _fixed
    if _fixed is None:
        _fixed = _from_env() if _requested is None else _requested
    return _fixed


def is_fixed() -> bool:
    """Whether the mode is already fixed (some kernel was defined or :func:`is_compiled` was called)."""
    return _fixed is not None


def njit(*args: Any, **kwargs: Any) -> Any:
    """``numba.njit`` in compiled mode; in interpreted mode, the identity decorator (numba not imported).

    Accepts every form numba does: ``@njit``, ``@njit(cache=True)``, ``njit(signature, cache=True)(f)``.
    """
    if is_compiled():
        from numba import njit as numba_njit

        return numba_njit(*args, **kwargs)
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]

    def identity(fn: Callable[..., Any]) -> Callable[..., Any]:
        return fn

    return identity


#: what numba's BLAS probe imports; hidden by :func:`init_compiled_target`
_BLAS_PROBE = "scipy.linalg"


class _HideModule(importlib.abc.MetaPathFinder):
    """An import finder that makes one package (and its submodules) fail to import."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> None:
        if fullname == self.name or fullname.startswith(self.name + "."):
            raise ImportError(f"{fullname} hidden while numba initialises (lbtheory._jit)")
        return None


def init_compiled_target() -> bool:
    """Initialise numba's CPU target now, with ``scipy.linalg`` hidden while it does; returns whether the
    module was hidden (False: it was imported already, or kernels are interpreted, and nothing is done).

    numba's first compilation or cache load imports its library of implementations, and one of them
    (``numba.np.arraymath``) probes for BLAS by importing ``scipy.linalg``: about 0.2 s of a 1.3 s command
    line process. No lbtheory kernel calls BLAS (``np.dot``, ``np.linalg``, ``@``: ``tests/unit/test_jit.py``
    checks every kernel's source), so the probe's answer does not change any kernel; with the module hidden
    it fails at once and numba keeps its own loops for ``np.dot``. Later imports of ``scipy.linalg`` work as
    usual. The command line calls this before its first kernel; library users need not.
    """
    if not is_compiled() or _BLAS_PROBE in sys.modules:
        return False
    from numba.core.registry import cpu_target

    finder = _HideModule(_BLAS_PROBE)
    sys.meta_path.insert(0, finder)
    try:
        cpu_target.target_context.refresh()
    finally:
        sys.meta_path.remove(finder)
    return True
