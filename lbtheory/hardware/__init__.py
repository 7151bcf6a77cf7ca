"""Hardware: step-time laws, power curves, profiles (data files with sources), energy, log fitting."""

from lbtheory.hardware.energy import LogisticPowerCurve, barrier_energy_j, saving_worker_time
from lbtheory.hardware.models import ServedModel, get_model, served_models
from lbtheory.hardware.power import PowerCurve, idle_energy_j, step_energy_j
from lbtheory.hardware.profile import HardwareProfile, get_profile, paper_profile, profile_names
from lbtheory.hardware.profiles import DeviceSpec, load_device

__all__ = [
    "DeviceSpec",
    "HardwareProfile",
    "LogisticPowerCurve",
    "PowerCurve",
    "ServedModel",
    "barrier_energy_j",
    "get_model",
    "get_profile",
    "idle_energy_j",
    "load_device",
    "paper_profile",
    "profile_names",
    "saving_worker_time",
    "served_models",
    "step_energy_j",
]
