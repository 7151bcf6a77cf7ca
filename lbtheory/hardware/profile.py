"""A hardware profile: the step-time law (C, t) and the power curve of one worker.

``get_profile(name, slots, model=...)`` returns the authors' constants for ``paper`` (unchanged) and builds the
others from the sourced data files in ``lbtheory/hardware/profiles/`` (see ``lbtheory.hardware.profiles``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lbtheory.errors import ConfigError
from lbtheory.hardware.energy import LogisticPowerCurve
from lbtheory.hardware.power import PowerCurve
from lbtheory.hardware.profiles import device_names, load_device
from lbtheory.model import StepTimeModel

#: The served model a data profile assumes when none is named (the paper's KV layout).
DEFAULT_MODEL = "deepseek-v3"


@dataclass(frozen=True)
class HardwareProfile:
    """What a worker costs: time per step and power.

    Attributes:
        name: the profile's name.
        step_time: Δt = C + t·max L.
        power: the power curve P(u) of one worker.
        sources: where each number comes from (datasheet, measurement, projection).
        wait_w: P_wait, the draw while waiting at a barrier (W); None when the profile does not say.
        decode_busy_w: the draw while decoding (W); None when the profile does not say.
        tdp_w: the board power (W); None when the profile does not say.
        logistic: the logistic alternative power curve, if the profile has one.
        model: the served model the step time assumes (None for ``paper``: the authors' constants).
    """

    name: str
    step_time: StepTimeModel
    power: PowerCurve
    sources: dict[str, str] = field(default_factory=dict)
    wait_w: float | None = None
    decode_busy_w: float | None = None
    tdp_w: float | None = None
    logistic: LogisticPowerCurve | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.wait_w is not None and not self.power.idle_w <= self.wait_w <= self.power.max_w:
            raise ConfigError(f"HardwareProfile.wait_w ({self.wait_w} W) must lie in [idle_w, max_w] = "
                              f"[{self.power.idle_w}, {self.power.max_w}] W")


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


def profile_names() -> tuple[str, ...]:
    """Every profile name ``get_profile`` accepts: ``paper`` and the packaged data profiles."""
    return ("paper", *device_names())


def get_profile(name: str, slots: int, model: str | None = None) -> HardwareProfile:
    """A profile by name, for a worker with B = ``slots`` batch slots serving ``model``.

    ``paper`` is the authors' constants (a model other than deepseek-v3 is refused: their t is fixed).
    Data profiles take t = η·κ_model/β from the served model (default deepseek-v3) and C from the file.
    Unknown names raise ConfigError listing the valid ones.
    """
    if name == "paper":
        if model not in (None, DEFAULT_MODEL):
            raise ConfigError(f"profile 'paper' has the authors' fixed t (DeepSeek-V3 KV); got model {model!r}")
        return paper_profile(slots)
    if name.lower() not in device_names():
        raise ConfigError(f"unknown hardware profile {name!r}; available: {', '.join(profile_names())}")
    spec = load_device(name)
    served = DEFAULT_MODEL if model is None else model
    return HardwareProfile(
        name=spec.name,
        step_time=spec.step_time(slots, served),
        power=spec.power_curve(),
        sources=spec.sources(),
        wait_w=spec.wait_w.value,
        decode_busy_w=spec.decode_busy_w.value,
        tdp_w=spec.tdp_w.value,
        logistic=spec.logistic_curve(),
        model=served,
    )
