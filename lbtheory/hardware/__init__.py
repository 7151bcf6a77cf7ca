"""Hardware: step-time laws, power curves, profiles."""

from lbtheory.hardware.power import PowerCurve, idle_energy_j, step_energy_j
from lbtheory.hardware.profile import HardwareProfile, get_profile, paper_profile

__all__ = ["HardwareProfile", "PowerCurve", "get_profile", "idle_energy_j", "paper_profile", "step_energy_j"]
