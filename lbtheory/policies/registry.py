"""A registry mapping a policy's name to a factory: ``make_policy("fcfs")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lbtheory.errors import ConfigError
from lbtheory.policies.base import Policy

_REGISTRY: dict[str, Callable[..., Policy]] = {}
_BUILTINS: list[bool] = []  # non-empty once the built-in policies are registered


def register(name: str, factory: Callable[..., Policy]) -> None:
    """Make ``factory`` available as ``name`` (a name may be registered once)."""
    if factory.__module__.split(".")[0] != "lbtheory":
        _load_builtins()  # so a user's policy cannot shadow a built-in name unnoticed
    if name in _REGISTRY and _REGISTRY[name] is not factory:
        raise ConfigError(f"policy name {name!r} is already registered")
    _REGISTRY[name] = factory


def policy_names() -> list[str]:
    """The registered names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def policy_factory(name: str) -> Callable[..., Policy]:
    """The factory registered as ``name`` (ConfigError listing the valid names otherwise)."""
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown policy {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        ) from None


def make_policy(name: str, **params: Any) -> Policy:
    """A fresh policy object by name; ``params`` go to its constructor."""
    return policy_factory(name)(**params)


def _load_builtins() -> None:
    if _BUILTINS:
        return
    _BUILTINS.append(True)
    from lbtheory.policies.bfio import BFIO
    from lbtheory.policies.bfio_paper import BFIOPaper
    from lbtheory.policies.fcfs import FCFS
    from lbtheory.policies.jsq import JSQTokens
    from lbtheory.policies.random_policy import RandomPolicy
    from lbtheory.policies.round_robin import RoundRobin

    for cls in (FCFS, JSQTokens, RoundRobin, RandomPolicy, BFIO, BFIOPaper):
        register(cls.name, cls)

    # dispatch on arrival: the production routers and BF-IO's router (lbtheory.policies.production)
    from lbtheory.policies.bfio_router import BFIORouter
    from lbtheory.policies.production import PRODUCTION_POLICIES

    for dcls in (*PRODUCTION_POLICIES, BFIORouter):
        register(dcls.name, dcls)
