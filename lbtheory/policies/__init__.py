"""Policies: each returns decisions (an :class:`Admission`), the engine applies them."""

from lbtheory.policies.base import ActiveRequests, Admission, EpochView, KernelPolicy, Policy
from lbtheory.policies.registry import make_policy, policy_names, register

__all__ = [
    "ActiveRequests",
    "Admission",
    "EpochView",
    "KernelPolicy",
    "Policy",
    "make_policy",
    "policy_names",
    "register",
]
