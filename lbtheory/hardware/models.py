"""The model served, and the step-time coefficients it implies on a given device.

A decode step on worker g reads the KV cache of its active requests: L_g(k) tokens (the load). With KV bytes
per token κ (bytes/token), HBM bandwidth β (bytes/s) and an overhead factor η ≥ 1 (kernels do not reach peak
bandwidth; the paper uses η = 1.5), the time per KV token is

    t = η · κ / β                                        (s/token)

and the step time is Δt_k = C + t · max_g L_g(k) (``lbtheory.model.StepTimeModel``).

KV bytes per token, from each model's published configuration (``config.json``), b bytes per element (2 for
BF16/FP16):

* MLA (DeepSeek-V3): the cache holds one compressed latent of ``kv_lora_rank`` plus the decoupled RoPE key of
  ``qk_rope_head_dim`` per layer:  κ = b · (kv_lora_rank + qk_rope_head_dim) · layers = 2 · 576 · 61 = 70,272 B.
* GQA (Llama-3, Qwen2.5): K and V for each KV head:  κ = 2 · kv_heads · head_dim · layers · b.

The authors' constant t = 1.5 · 70,272 B / 2^20 B/µs ≈ 1.005e-7 s/token is η = 1.5 at β = 2^20 B/µs
(≈ 1.049e12 B/s, about half an A100-80GB's datasheet bandwidth).

Everything here is a small pure function or an immutable record; nothing is read at import time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lbtheory.errors import ConfigError

#: The authors' bandwidth: 2^20 bytes per microsecond (B/s). Their step-time constant implies it.
PAPER_BANDWIDTH_BYTES_PER_S: float = 2.0**20 / 1e-6
#: The authors' bandwidth overhead factor η (dimensionless).
PAPER_OVERHEAD_FACTOR: float = 1.5


def kv_bytes_per_token_mla(latent_dim: int, rope_dim: int, layers: int, bytes_per_element: int = 2) -> int:
    """κ = b · (kv_lora_rank + qk_rope_head_dim) · layers (bytes/token), the MLA latent cache."""
    for name, v in (("latent_dim", latent_dim), ("rope_dim", rope_dim), ("layers", layers),
                    ("bytes_per_element", bytes_per_element)):
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "rope_dim" else 1):
            raise ConfigError(f"kv_bytes_per_token_mla: {name} must be a positive integer, got {v!r}")
    return bytes_per_element * (latent_dim + rope_dim) * layers


def kv_bytes_per_token_gqa(kv_heads: int, head_dim: int, layers: int, bytes_per_element: int = 2) -> int:
    """κ = 2 (K and V) · kv_heads · head_dim · layers · b (bytes/token), grouped-query attention."""
    for name, v in (("kv_heads", kv_heads), ("head_dim", head_dim), ("layers", layers),
                    ("bytes_per_element", bytes_per_element)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"kv_bytes_per_token_gqa: {name} must be a positive integer, got {v!r}")
    return 2 * kv_heads * head_dim * layers * bytes_per_element


def token_time_s(kv_bytes_per_token: float, bandwidth_bytes_per_s: float,
                 overhead_factor: float = PAPER_OVERHEAD_FACTOR) -> float:
    """t = η · κ / β (s/token): the time to read one token's KV cache at bandwidth β with overhead η."""
    if not (math.isfinite(kv_bytes_per_token) and kv_bytes_per_token > 0):
        raise ConfigError(f"kv_bytes_per_token must be > 0, got {kv_bytes_per_token!r}")
    if not (math.isfinite(bandwidth_bytes_per_s) and bandwidth_bytes_per_s > 0):
        raise ConfigError(f"bandwidth_bytes_per_s must be > 0, got {bandwidth_bytes_per_s!r}")
    if not (math.isfinite(overhead_factor) and overhead_factor >= 1):
        raise ConfigError(f"overhead_factor (η) must be >= 1, got {overhead_factor!r}")
    return overhead_factor * kv_bytes_per_token / bandwidth_bytes_per_s


def paper_overhead_s(slots: int) -> float:
    """The authors' fixed per-step overhead C = (B · 0.6e-3 + 35e-3) / 16 s (an assumption of theirs)."""
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        raise ConfigError(f"slots (B) must be a positive integer, got {slots!r}")
    return (slots * 0.6e-3 + 35e-3) / 16


def scaled_overhead_s(slots: int, bandwidth_bytes_per_s: float,
                      reference_bandwidth_bytes_per_s: float = PAPER_BANDWIDTH_BYTES_PER_S) -> float:
    """C scaled from the authors' value by bandwidth: C = C_paper(B) · β_ref / β (s). *Projection (ours)*.

    Rationale: the fixed part of a decode step (weights of the active experts, collectives, launches) is
    memory- and link-bound like the KV read, so we scale it by the same bandwidth ratio. Then C / (t · L) is
    the same on every device, and the barrier's share of worker-time does not depend on the device.
    """
    if not (math.isfinite(bandwidth_bytes_per_s) and bandwidth_bytes_per_s > 0):
        raise ConfigError(f"bandwidth_bytes_per_s must be > 0, got {bandwidth_bytes_per_s!r}")
    return paper_overhead_s(slots) * reference_bandwidth_bytes_per_s / bandwidth_bytes_per_s


@dataclass(frozen=True)
class ServedModel:
    """A served model's KV footprint.

    Attributes:
        name: registry key (lower case, e.g. ``deepseek-v3``).
        attention: "mla" or "gqa".
        kv_bytes_per_token: κ (bytes/token), BF16 cache.
        formula: how κ follows from the configuration (text, for the record).
        sources: {field: "kind: where"}; kind is datasheet (a published configuration) here.
    """

    name: str
    attention: str
    kv_bytes_per_token: int
    formula: str
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.attention not in ("mla", "gqa"):
            raise ConfigError(f"ServedModel.attention must be 'mla' or 'gqa', got {self.attention!r}")
        if self.kv_bytes_per_token <= 0:
            raise ConfigError(f"ServedModel.kv_bytes_per_token must be > 0, got {self.kv_bytes_per_token}")
        if "kv_bytes_per_token" not in self.sources:
            raise ConfigError(f"ServedModel {self.name!r} needs a source for kv_bytes_per_token")

    def token_time_s(self, bandwidth_bytes_per_s: float,
                     overhead_factor: float = PAPER_OVERHEAD_FACTOR) -> float:
        """t = η · κ / β (s/token) for this model on a device of bandwidth β."""
        return token_time_s(self.kv_bytes_per_token, bandwidth_bytes_per_s, overhead_factor)


def _hf(repo: str) -> str:
    return f"datasheet: https://huggingface.co/{repo}/blob/main/config.json"


def served_models() -> Mapping[str, ServedModel]:
    """The models we know, by name (a read-only mapping, built on each call)."""
    models = (
        ServedModel(
            "deepseek-v3", "mla", kv_bytes_per_token_mla(512, 64, 61),
            "2 B x (kv_lora_rank 512 + qk_rope_head_dim 64) x 61 layers",
            {"kv_bytes_per_token": _hf("deepseek-ai/DeepSeek-V3")
             + " (kv_lora_rank=512, qk_rope_head_dim=64, num_hidden_layers=61); the authors' 2*576*61"},
        ),
        ServedModel(
            "llama-3-70b", "gqa", kv_bytes_per_token_gqa(8, 128, 80),
            "2 (K,V) x 8 KV heads x 128 head dim x 80 layers x 2 B",
            {"kv_bytes_per_token": _hf("meta-llama/Meta-Llama-3-70B")
             + " (num_key_value_heads=8, hidden_size/num_attention_heads=8192/64=128, num_hidden_layers=80)"},
        ),
        ServedModel(
            "llama-3-8b", "gqa", kv_bytes_per_token_gqa(8, 128, 32),
            "2 (K,V) x 8 KV heads x 128 head dim x 32 layers x 2 B",
            {"kv_bytes_per_token": _hf("meta-llama/Meta-Llama-3-8B")
             + " (num_key_value_heads=8, 4096/32=128, num_hidden_layers=32)"},
        ),
        ServedModel(
            "qwen2.5-7b", "gqa", kv_bytes_per_token_gqa(4, 128, 28),
            "2 (K,V) x 4 KV heads x 128 head dim x 28 layers x 2 B",
            {"kv_bytes_per_token": _hf("Qwen/Qwen2.5-7B-Instruct")
             + " (num_key_value_heads=4, 3584/28=128, num_hidden_layers=28)"},
        ),
        ServedModel(
            "qwen2.5-72b", "gqa", kv_bytes_per_token_gqa(8, 128, 80),
            "2 (K,V) x 8 KV heads x 128 head dim x 80 layers x 2 B",
            {"kv_bytes_per_token": _hf("Qwen/Qwen2.5-72B-Instruct")
             + " (num_key_value_heads=8, 8192/64=128, num_hidden_layers=80)"},
        ),
    )
    return MappingProxyType({m.name: m for m in models})


def get_model(name: str) -> ServedModel:
    """A served model by name; unknown names raise ConfigError listing the valid ones."""
    models = served_models()
    key = name.lower()
    if key not in models:
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(sorted(models))}")
    return models[key]
