"""Step time per card and served model from a stated roofline, every input sourced.

A decode step on one DP rank (worker) with B batch slots, in an expert-parallel group of G ranks:

* **t** (s per KV token), the part that grows with the load: each resident KV token is read once,

      t = η · κ / β,

  κ the KV bytes per token of the served model (:mod:`lbtheory.hardware.models`), β the card's HBM
  bandwidth (B/s), η ≥ 1 the bandwidth overhead factor (both from the card's profile JSON).

* **C** (s), the part that does not grow with the load: the expert and dense layers at batch B and the
  collectives,

      C_compute = 2 · N_act · B / (F · ε)                    (the matmuls: N_act active parameters per token,
                                                               F the dense BF16 FLOP/s, ε the efficiency)
      C_weights = η · b_w · (N_rep + N_exp / G) / β           (this rank's resident weights read once per step:
                                                               N_rep replicated, N_exp expert parameters
                                                               sharded over the G ranks, b_w bytes per weight)
      C_comm    = B · q · [ (min(G, D) − 1)/G / β_up + max(G − D, 0)/G / β_out ]
                                                              (dispatch + combine all-to-all: q bytes per token
                                                               per step, experts spread evenly over the G ranks,
                                                               D GPUs per scale-up domain at β_up, the rest over
                                                               the network at β_out)
      C = max(C_compute, C_weights) + (1 − φ) · C_comm        (roofline for the layers; φ the share of the
                                                               all-to-all hidden behind compute)

* **θ** (dimensionless), the load share of the step time at a straggler load L (tokens):

      θ = t·L / (C + t·L).

Every card input lives in ``profiles/<card>.json`` (``hbm_bandwidth_tb_per_s``, ``bf16_dense_tflops``,
``overhead_factor`` and the ``roofline`` block), every model input in :func:`roofline_models`, each with a
source. Assumptions of ours are marked ``projection`` there. Caveats: all of a rank's experts are taken as
activated every step (true once B·G·k/E ≳ 3, k experts per token out of E), the dense model has no all-to-all,
and launch overheads are not modelled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from lbtheory.errors import ConfigError
from lbtheory.hardware.models import get_model
from lbtheory.hardware.profiles import Sourced, _sourced, load_device
from lbtheory.model import StepTimeModel

ROOFLINE_FIELDS = ("scaleup_gb_per_s", "scaleout_gb_per_s", "scaleup_domain_gpus", "compute_efficiency",
                   "comm_overlap")


@dataclass(frozen=True)
class RooflineModel:
    """What a served model costs per step outside the KV read.

    Attributes:
        name: the served model (a key of :func:`lbtheory.hardware.models.served_models`, which gives κ).
        active_params: N_act, parameters used per token (matmul FLOPs = 2·N_act per token).
        replicated_params: N_rep, parameters every rank holds (attention, shared experts, dense layers).
        expert_params: N_exp, routed-expert parameters, sharded over the G ranks (0 for a dense model).
        weight_bytes: b_w, bytes per weight (1 for FP8).
        a2a_bytes_per_token: q, bytes one token sends and receives in the all-to-alls of one step.
        sources: {field: source}.
    """

    name: str
    active_params: float
    replicated_params: float
    expert_params: float
    weight_bytes: float
    a2a_bytes_per_token: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in ("active_params", "replicated_params", "expert_params", "weight_bytes", "a2a_bytes_per_token"):
            v = getattr(self, f)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ConfigError(f"RooflineModel {self.name!r}: {f} must be a finite number >= 0, got {v!r}")
            if f not in self.sources:
                raise ConfigError(f"RooflineModel {self.name!r}: {f} needs a source")
        get_model(self.name)  # κ must be known


def _hf(repo: str, what: str) -> str:
    return f"datasheet: https://huggingface.co/{repo}/blob/main/config.json ({what})"


def deepseek_v3_routed_expert_params() -> int:
    """N_exp = MoE layers · routed experts · 3 matrices · hidden · expert intermediate
    = (61 − 3) · 256 · 3 · 7168 · 2048 (DeepSeek-V3 config.json)."""
    return (61 - 3) * 256 * 3 * 7168 * 2048


def deepseek_v3_a2a_bytes_per_token() -> int:
    """q = MoE layers · experts per token · hidden · (1 B FP8 dispatch + 2 B BF16 combine)
    = 58 · 8 · 7168 · 3 (DeepSeek-V3 config.json; the technical report's FP8 dispatch, BF16 combine)."""
    return (61 - 3) * 8 * 7168 * (1 + 2)


def roofline_models() -> Mapping[str, RooflineModel]:
    """The served models the roofline knows (read-only, built on each call)."""
    n_exp = deepseek_v3_routed_expert_params()
    models = (
        RooflineModel(
            "deepseek-v3", active_params=37e9, replicated_params=671e9 - n_exp, expert_params=float(n_exp),
            weight_bytes=1.0, a2a_bytes_per_token=float(deepseek_v3_a2a_bytes_per_token()),
            sources={
                "active_params": "datasheet: DeepSeek-V3 technical report (arXiv 2412.19437): 671B total, "
                                 "37B activated per token",
                "expert_params": _hf("deepseek-ai/DeepSeek-V3", "num_hidden_layers 61, first_k_dense_replace 3, "
                                     "n_routed_experts 256, hidden_size 7168, moe_intermediate_size 2048; "
                                     "3 matrices per expert"),
                "replicated_params": "671e9 total minus the routed experts (attention, shared expert, dense "
                                     "layers, embeddings); technical report and config.json",
                "weight_bytes": "datasheet: DeepSeek-V3 ships FP8 weights (config.json quantization_config "
                                "fp8); projection on A100, which has no FP8 units",
                "a2a_bytes_per_token": _hf("deepseek-ai/DeepSeek-V3", "num_experts_per_tok 8, hidden 7168, "
                                           "58 MoE layers") + "; technical report section 3.4: FP8 dispatch, "
                                           "BF16 combine",
            }),
        RooflineModel(
            "llama-3-70b", active_params=70.6e9, replicated_params=70.6e9, expert_params=0.0,
            weight_bytes=1.0, a2a_bytes_per_token=0.0,
            sources={
                "active_params": "datasheet: Meta Llama 3 70B model card (70.6B parameters, dense)",
                "replicated_params": "dense: every rank holds the whole model (projection: one GPU per rank)",
                "expert_params": "dense model: no experts",
                "weight_bytes": "projection: FP8 weights so that the model fits one 80 GB card",
                "a2a_bytes_per_token": "projection: a dense DP rank has no all-to-all; the barrier is only a "
                                       "synchronised step",
            }),
    )
    return MappingProxyType({m.name: m for m in models})


def get_roofline_model(name: str) -> RooflineModel:
    models = roofline_models()
    if name.lower() not in models:
        raise ConfigError(f"no roofline inputs for model {name!r}; available: {', '.join(sorted(models))}")
    return models[name.lower()]


@dataclass(frozen=True)
class CardRoofline:
    """One card's roofline inputs (units in the names), each :class:`Sourced`."""

    name: str
    hbm_bandwidth_bytes_per_s: float
    bf16_flops_per_s: float
    overhead_factor: float
    scaleup_bytes_per_s: float
    scaleout_bytes_per_s: float
    scaleup_domain_gpus: int
    compute_efficiency: float
    comm_overlap: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"lbtheory/hardware/profiles/{self.name}.json"
        for f in ("hbm_bandwidth_bytes_per_s", "bf16_flops_per_s", "scaleup_bytes_per_s", "scaleout_bytes_per_s"):
            if not getattr(self, f) > 0:
                raise ConfigError(f"{where}: roofline {f} must be > 0")
        if self.overhead_factor < 1:
            raise ConfigError(f"{where}: overhead_factor must be >= 1")
        if self.scaleup_domain_gpus < 1:
            raise ConfigError(f"{where}: roofline.scaleup_domain_gpus must be >= 1")
        if not 0 < self.compute_efficiency <= 1:
            raise ConfigError(f"{where}: roofline.compute_efficiency must be in (0, 1]")
        if not 0 <= self.comm_overlap < 1:
            raise ConfigError(f"{where}: roofline.comm_overlap must be in [0, 1)")


def card_from_dict(d: Mapping[str, Any], name: str) -> CardRoofline:
    """The roofline inputs of a parsed profile JSON (device fields plus its ``roofline`` block)."""
    origin = f"lbtheory/hardware/profiles/{name}.json"
    block = d.get("roofline")
    if not isinstance(block, Mapping):
        raise ConfigError(f"{origin}: field 'roofline' is missing")
    rf: dict[str, Sourced] = {k: _sourced(block, k, origin + " roofline") for k in ROOFLINE_FIELDS}
    base = {k: _sourced(d, k, origin) for k in ("hbm_bandwidth_tb_per_s", "bf16_dense_tflops", "overhead_factor")}
    srcs = {k: s.cite() for k, s in {**base, **rf}.items()}
    return CardRoofline(
        name=name,
        hbm_bandwidth_bytes_per_s=base["hbm_bandwidth_tb_per_s"].value * 1e12,
        bf16_flops_per_s=base["bf16_dense_tflops"].value * 1e12,
        overhead_factor=base["overhead_factor"].value,
        scaleup_bytes_per_s=rf["scaleup_gb_per_s"].value * 1e9,
        scaleout_bytes_per_s=rf["scaleout_gb_per_s"].value * 1e9,
        scaleup_domain_gpus=int(rf["scaleup_domain_gpus"].value),
        compute_efficiency=rf["compute_efficiency"].value,
        comm_overlap=rf["comm_overlap"].value,
        sources=srcs,
    )


def load_card(name: str) -> CardRoofline:
    """A packaged card's roofline inputs (validates the whole profile first)."""
    spec = load_device(name)
    res = resources.files("lbtheory.hardware") / "profiles" / f"{spec.name}.json"
    return card_from_dict(json.loads(res.read_text()), spec.name)


@dataclass(frozen=True)
class RooflineStep:
    """The step time of one rank and its parts (s)."""

    card: str
    model: str
    slots: int
    workers: int
    token_time_s: float
    compute_s: float
    weights_s: float
    comm_s: float
    step_overhead_s: float

    @property
    def step_time(self) -> StepTimeModel:
        return StepTimeModel(self.step_overhead_s, self.token_time_s)

    def theta(self, load_tokens: float) -> float:
        """θ = t·L/(C + t·L) at straggler load L (tokens)."""
        return theta_at(self.step_time, load_tokens)


def _pos_int(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ConfigError(f"{name} must be a positive integer, got {v!r}")
    return v


def roofline_step(card: CardRoofline, model: RooflineModel, slots: int, workers: int) -> RooflineStep:
    """C and t of one rank (see the module docstring for the formulas)."""
    B, G = _pos_int("slots (B)", slots), _pos_int("workers (G)", workers)
    beta = card.hbm_bandwidth_bytes_per_s
    eta = card.overhead_factor
    kappa = get_model(model.name).kv_bytes_per_token
    t = eta * kappa / beta
    compute = 2.0 * model.active_params * B / (card.bf16_flops_per_s * card.compute_efficiency)
    weights = eta * model.weight_bytes * (model.replicated_params + model.expert_params / G) / beta
    D = card.scaleup_domain_gpus
    comm = B * model.a2a_bytes_per_token * ((min(G, D) - 1) / G / card.scaleup_bytes_per_s
                                            + max(G - D, 0) / G / card.scaleout_bytes_per_s)
    C = max(compute, weights) + (1.0 - card.comm_overlap) * comm
    return RooflineStep(card.name, model.name, B, G, t, compute, weights, comm, C)


def theta_at(step_time: StepTimeModel, load_tokens: float) -> float:
    """θ = t·L/(C + t·L) (dimensionless) at straggler load L ≥ 0 tokens."""
    if not (math.isfinite(load_tokens) and load_tokens >= 0):
        raise ConfigError(f"load_tokens must be finite and >= 0, got {load_tokens!r}")
    tl = step_time.token_time_s * load_tokens
    den = step_time.step_overhead_s + tl
    return tl / den if den > 0 else 0.0


def theta_by_card(cards: tuple[str, ...], model: str, slots: int, workers: int,
                  load_tokens: float) -> dict[str, float]:
    """θ per card for one setting (served model, B, G, straggler load L in tokens)."""
    m = get_roofline_model(model)
    return {c: roofline_step(load_card(c), m, slots, workers).theta(load_tokens) for c in cards}
