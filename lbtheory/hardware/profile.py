"""A hardware profile: the step-time law (C, t) and the power curve of one worker."""

from __future__ import annotations

from dataclasses import dataclass, field

from lbtheory.errors import ConfigError
from lbtheory.hardware.power import PowerCurve
from lbtheory.model import StepTimeModel


@dataclass(frozen=True)
class HardwareProfile:
    """What a worker costs: time per step and power.

    Attributes:
        name: the profile's name.
        step_time: Δt = C + t·max L.
        power: the power curve P(u) of one worker.
        sources: where each number comes from (datasheet, measurement, projection).
    """

    name: str
    step_time: StepTimeModel
    power: PowerCurve
    sources: dict[str, str] = field(default_factory=dict)


def paper_profile(slots: int) -> HardwareProfile:
    """The authors' constants: C = (B·0.6e-3 + 35e-3)/16 s, t ≈ 1.005e-7 s/token, 100 + 300·u^0.7 W."""
    return HardwareProfile(
        name="paper",
        step_time=StepTimeModel.paper(slots),
        power=PowerCurve.paper(),
        sources={
            "step_time": "authors' simulator: C=(B*0.6e-3+35e-3)/16 s; t=1.5*2*576*61*1e-6/2**20 s/token",
            "power": "authors' simulator: P_idle=100 W, P_max=400 W, gamma=0.7 (A100-class 400 W card)",
        },
    )


def get_profile(name: str, slots: int) -> HardwareProfile:
    """A profile by name, for a worker with B = ``slots`` batch slots."""
    if name == "paper":
        return paper_profile(slots)
    raise ConfigError(f"unknown hardware profile {name!r}; available: paper")
