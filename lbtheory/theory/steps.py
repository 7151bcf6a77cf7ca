"""The proofs of :mod:`.bounds`, step by step, each step a function that computes both sides *exactly*
on a small case (rational arithmetic on the exact distribution of block sums, obtained by convolution;
the normal cdf to 40 digits with mpmath; exhaustive enumeration of tiny engine runs).

Every step returns a :class:`Step` (lhs, rhs, relation); ``holds`` says whether lhs ≤ rhs (or = ) holds.
The chain of :func:`lbtheory.theory.bounds.fcfs_lower_gaussmax` is

    E[Imb]/G − Bμ = E[max S] − Bμ        (fixed outputs: :func:`step_symmetrisation` gives ≥ in general)
    E[max Z] ≥ x·P(max Z ≥ x) − E[(max Z)⁻]                           :func:`step_mean_max_split`
    P(max Z ≥ x) = 1 − (1 − P(Z ≥ x))^G ≥ 1 − exp(−G·P(Z ≥ x))         :func:`step_max_tail`
    P(Z ≥ x) ≥ Φ̄(x) − ε_B                                             :func:`step_berry_esseen`
    E[(max Z)⁻] ≤ E[Z⁻]·P(Z < 0)^{G−1} ≤ ½(½ + ε_B)^{G−1}             :func:`step_negative_part`
    at B ≥ B_min(G): ε_B ≤ p_G/2 and p_G ≤ Φ̄(√log G)                  :func:`step_eps_at_b_min`

the pair bound's chain is :func:`step_max_ge_pair` then :func:`step_holder`, and the geometric lower
bound's is :func:`step_iid_ages` (ages i.i.d. whatever an output-blind policy does) then
:func:`step_age_prompt_split` (deterministic, per step).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

Dist = dict[Fraction, Fraction]

mpmath.mp.dps = 40

#: Berry–Esseen constant (Shevtsova 2011), as in :data:`lbtheory.theory.symbols.C_BE`
C_BE = Fraction(4748, 10000)


@dataclass(frozen=True)
class Step:
    """One proof step on one case: ``lhs relation rhs`` with relation "<=" or "==" (exact numbers)."""

    name: str
    lhs: Fraction | float
    rhs: Fraction | float
    relation: str = "<="

    @property
    def holds(self) -> bool:
        """Whether the step's inequality (or equality) holds on this case."""
        if self.relation == "==":
            return self.lhs == self.rhs
        return self.lhs <= self.rhs


def law(values: Sequence[int], probs: Sequence[Fraction | int | str]) -> Dist:
    """A prompt law as exact fractions (probs must sum to 1)."""
    d: Dist = {}
    for v, p in zip(values, probs, strict=True):
        d[Fraction(v)] = d.get(Fraction(v), Fraction(0)) + Fraction(p)
    if sum(d.values()) != 1:
        raise ValueError(f"probabilities sum to {sum(d.values())}, not 1")
    return d


def convolve(a: Dist, b: Dist) -> Dist:
    """The law of the sum of independent draws from a and b."""
    out: Dist = {}
    for x, p in a.items():
        for y, q in b.items():
            out[x + y] = out.get(x + y, Fraction(0)) + p * q
    return out


def block_sum(d: Dist, slots: int) -> Dist:
    """The exact law of S = the sum of ``slots`` i.i.d. draws from d."""
    out: Dist = {Fraction(0): Fraction(1)}
    for _ in range(slots):
        out = convolve(out, d)
    return out


def moment(d: Dist, f: Callable[[Fraction], Fraction]) -> Fraction:
    """E f(X)."""
    return sum((p * f(x) for x, p in d.items()), Fraction(0))


def expected_max(dists: Sequence[Dist]) -> Fraction:
    """E[max_g X_g] for independent X_g with the given laws (exact)."""
    support = sorted(set().union(*dists))

    def cdf(d: Dist, t: Fraction, strict: bool) -> Fraction:
        return sum((p for x, p in d.items() if (x < t if strict else x <= t)), Fraction(0))

    total = Fraction(0)
    for t in support:
        upto = Fraction(1)
        below = Fraction(1)
        for d in dists:
            upto *= cdf(d, t, False)
            below *= cdf(d, t, True)
        total += t * (upto - below)
    return total


def _mu_var(d: Dist) -> tuple[Fraction, Fraction]:
    mu = moment(d, lambda x: x)
    return mu, moment(d, lambda x: (x - mu) ** 2)


def _phi_cdf(z: float | Fraction) -> mpmath.mpf:
    return mpmath.ncdf(mpmath.mpf(z.numerator) / z.denominator if isinstance(z, Fraction) else z)


def berry_esseen_eps(d: Dist, slots: int) -> float:
    """ε_B = C_BE·ρ₃/(σ³√B) for the law d (40-digit evaluation)."""
    mu, var = _mu_var(d)
    rho = moment(d, lambda x: abs(x - mu) ** 3)
    return float(mpmath.mpf(C_BE.numerator) / C_BE.denominator * (mpmath.mpf(rho.numerator) / rho.denominator)
                 / (mpmath.sqrt(mpmath.mpf(var.numerator) / var.denominator) ** 3 * mpmath.sqrt(slots)))


# ------------------------------------------------------------------------------------ the steps


def step_symmetrisation(d: Dist, slots: int, offsets: Sequence[int | Fraction]) -> Step:
    """Lemma (symmetrisation): E[max_g (a_g + S_g)] ≥ E[max_g (ā + S_g)] for fixed offsets a_g (the age
    sums) and i.i.d. block sums S_g. Convexity and symmetry of a ↦ E max_g(a_g + S_g)."""
    s = block_sum(d, slots)
    abar = sum((Fraction(a) for a in offsets), Fraction(0)) / len(offsets)
    shifted = [{x + Fraction(a): p for x, p in s.items()} for a in offsets]
    lhs = expected_max([s] * len(offsets)) + abar
    return Step("symmetrisation", lhs, expected_max(shifted))


def step_max_ge_pair(d: Dist, slots: int, workers: int) -> tuple[Step, Step]:
    """E[max_g S_g] ≥ E[max(S_1, S_2)] (G ≥ 2), and E[max(S_1, S_2)] = Bμ + E|S_1 − S_2|/2 (identity)."""
    s = block_sum(d, slots)
    mu, _ = _mu_var(d)
    pair = expected_max([s, s])
    y = convolve(s, {-x: p for x, p in s.items()})
    return (Step("max >= pair", pair, expected_max([s] * workers)),
            Step("pair identity", pair, slots * mu + moment(y, abs) / 2, "=="))


def step_holder(d: Dist, slots: int) -> tuple[Step, Step, Step]:
    """For Y = S_1 − S_2: E Y² = 2Bσ², E Y⁴ = 2Bm₄ + (12B² − 6B)σ⁴ (identities), and Hölder
    E|Y| ≥ (E Y²)^{3/2}/(E Y⁴)^{1/2}, checked squared: (E Y²)³ ≤ (E|Y|)²·E Y⁴ (exact rationals)."""
    s = block_sum(d, slots)
    y = convolve(s, {-x: p for x, p in s.items()})
    mu, var = _mu_var(d)
    m4 = moment(d, lambda x: (x - mu) ** 4)
    ey2, ey4, eabs = moment(y, lambda v: v**2), moment(y, lambda v: v**4), moment(y, abs)
    B = slots
    return (Step("E Y^2", ey2, 2 * B * var, "=="),
            Step("E Y^4", ey4, 2 * B * m4 + (12 * B * B - 6 * B) * var**2, "=="),
            Step("Hoelder", ey2**3, eabs**2 * ey4))


def _z_law(d: Dist, slots: int) -> tuple[Dist, float]:
    """The law of Z = (S − Bμ)/(σ√B) as a map from S-values (exact) plus the scale σ√B (float)."""
    s = block_sum(d, slots)
    _, var = _mu_var(d)
    return s, float(mpmath.sqrt(mpmath.mpf(var.numerator) / var.denominator * slots))


def step_mean_max_split(d: Dist, slots: int, workers: int, x: Fraction) -> Step:
    """E[max Z] ≥ x·P(max Z ≥ x) − E[(max Z)⁻] (x ≥ 0), exact: the threshold x is placed on the S scale
    as t = Bμ + x·σ√B (compared exactly in floats of 40 digits)."""
    s, scale = _z_law(d, slots)
    mu, _ = _mu_var(d)
    c = slots * mu
    pts = sorted(s)
    F = {t: sum((s[u] for u in pts if u <= t), Fraction(0)) for t in pts}
    Fm = {t: sum((s[u] for u in pts if u < t), Fraction(0)) for t in pts}
    pm = {t: F[t] ** workers - Fm[t] ** workers for t in pts}  # law of max S
    z = {t: (float(t) - float(c)) / scale for t in pts}
    e_max_z = sum(float(pm[t]) * z[t] for t in pts)
    p_ge = sum(float(pm[t]) for t in pts if z[t] >= float(x))
    neg = sum(float(pm[t]) * -z[t] for t in pts if z[t] < 0)
    return Step("E max Z split", float(x) * p_ge - neg, e_max_z)


def step_max_tail(d: Dist, slots: int, workers: int, x: Fraction) -> Step:
    """P(max Z ≥ x) = 1 − (1 − p)^G ≥ 1 − exp(−G p), p = P(Z ≥ x) (exact p; exp to 40 digits)."""
    s, scale = _z_law(d, slots)
    mu, _ = _mu_var(d)
    p = sum((q for t, q in s.items() if (float(t) - float(slots * mu)) / scale >= float(x)), Fraction(0))
    exact = 1 - (1 - p) ** workers
    return Step("max tail", float(1 - mpmath.exp(-workers * mpmath.mpf(p.numerator) / p.denominator)),
                float(exact))


def step_berry_esseen(d: Dist, slots: int) -> Step:
    """sup_z |P(Z ≤ z) − Φ(z)| ≤ ε_B, the sup taken exactly over both sides of every atom of Z (the
    sup of a step function minus a continuous increasing one is attained there)."""
    s, scale = _z_law(d, slots)
    mu, _ = _mu_var(d)
    pts = sorted(s)
    acc = Fraction(0)
    worst = mpmath.mpf(0)
    for t in pts:
        z = (mpmath.mpf(t.numerator) / t.denominator - mpmath.mpf((slots * mu).numerator)
             / (slots * mu).denominator) / scale
        phi = mpmath.ncdf(z)
        worst = max(worst, abs(mpmath.mpf(acc.numerator) / acc.denominator - phi))  # left limit
        acc += s[t]
        worst = max(worst, abs(mpmath.mpf(acc.numerator) / acc.denominator - phi))  # value
    return Step("Berry-Esseen", float(worst), berry_esseen_eps(d, slots))


def step_negative_part(d: Dist, slots: int, workers: int) -> tuple[Step, Step, Step]:
    """E[(max Z)⁻] ≤ E[Z⁻]·P(Z < 0)^{G−1} (exact), E[Z⁻] ≤ ½ and P(Z < 0) ≤ ½ + ε_B, hence
    ≤ ½(½ + ε_B)^{G−1}."""
    s = block_sum(d, slots)
    mu, var = _mu_var(d)
    c = slots * mu
    pts = sorted(s)
    F = {t: sum((s[u] for u in pts if u <= t), Fraction(0)) for t in pts}
    Fm = {t: sum((s[u] for u in pts if u < t), Fraction(0)) for t in pts}
    # on the S scale (the factor σ√B is common to both sides of the first step)
    neg_max = sum(((F[t] ** workers - Fm[t] ** workers) * (c - t) for t in pts if t < c), Fraction(0))
    z_neg = sum((s[t] * (c - t) for t in pts if t < c), Fraction(0))
    p_neg = sum((s[t] for t in pts if t < c), Fraction(0))
    scale = float(mpmath.sqrt(mpmath.mpf(var.numerator) / var.denominator * slots))
    eps = berry_esseen_eps(d, slots)
    return (Step("(max Z)^- <= Z^- P(Z<0)^(G-1)", neg_max, z_neg * p_neg ** (workers - 1)),
            Step("E Z^- <= 1/2", float(z_neg) / scale, 0.5),
            Step("P(Z<0) <= 1/2 + eps_B", float(p_neg), 0.5 + eps))


def step_eps_at_b_min(workers: int, params: Mapping[str, float]) -> tuple[Step, Step]:
    """At B = ⌈B_min(G)⌉: ε_B ≤ p_G/2, and Mills' p_G ≤ Φ̄(√log G) (40 digits)."""
    from lbtheory.theory.evaluate import get

    bmin = get("gaussmax_regime_b_min").value(dict(params) | {"G": float(workers)})
    B = int(np.ceil(bmin))
    eps = mpmath.mpf("0.4748") * params["rho_3"] / (mpmath.mpf(params["sigma_s"]) ** 3 * mpmath.sqrt(B))
    xg = mpmath.sqrt(mpmath.log(workers))
    p_g = xg / ((1 + xg**2) * mpmath.sqrt(2 * mpmath.pi * workers))
    return (Step("eps_B <= p_G/2 at B_min", float(eps), float(p_g / 2)),
            Step("Mills", float(p_g), float(1 - mpmath.ncdf(xg))))


# ------------------------------------------------------------------- ages (geometric outputs)


def step_iid_ages(policy: object, workers: int, prompts: Sequence[int], q: Fraction, steps: int,
                  with_predictions: bool = False) -> tuple[dict[tuple[int, ...], Fraction], dict[tuple[int, ...], Fraction]]:
    """The i.i.d.-age claim by exhaustive enumeration. B = 1, G = ``workers``, saturated pool, R = G,
    outputs i.i.d. geometric with P(o = j) = (1 − q)q^{j−1}. Over ``steps`` steps only min(o, steps) matters,
    so enumerating every output sequence with o_i ∈ {1..steps} (the last value standing for ≥ steps) gives
    the *exact* joint law of the slot ages at step ``steps − 1`` under the engine. Returns (joint law, product
    of the claimed marginals P(a = j) = (1 − q)q^j for j < k, q^k at j = k); the claim is that they agree
    for every output-blind slot-filling policy. ``with_predictions`` hands the policy exact predictions
    (ô_i = o_i), for the teeth: an output-aware policy breaks the claim.
    """
    from lbtheory.engine.simulate import simulate
    from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
    from lbtheory.workloads.base import Workload

    k = steps - 1
    n = workers * steps  # at most one admission per slot per step
    pr = [(1 - q) * q ** (j - 1) for j in range(1, steps)] + [q ** (steps - 1)]
    joint: dict[tuple[int, ...], Fraction] = {}
    cfg = SimConfig(ClusterConfig(workers, 1, workers), StepTimeModel(1e-3, 1e-7))
    s = np.asarray(list(prompts)[:n], np.int64)
    for outs in itertools.product(range(1, steps + 1), repeat=n):
        w = Fraction(1)
        for o in outs:
            w *= pr[o - 1]
        o_arr = np.asarray(outs, np.int64)
        o_arr[o_arr == steps] = steps + 5  # "≥ steps": still running after step k
        wl = Workload(s, o_arr, predicted_output_tokens=o_arr.copy() if with_predictions else None,
                      name="ages")
        res = simulate(wl, cfg, policy, seed=0)  # type: ignore[arg-type]
        a, f, g = res.requests.admit_step, res.requests.finish_step, res.requests.worker
        ages = [-1] * workers
        for i in range(n):
            if 0 <= a[i] <= k and (f[i] < 0 or f[i] >= k):
                ages[int(g[i])] = k - int(a[i])
        key = tuple(ages)
        joint[key] = joint.get(key, Fraction(0)) + w
    marg = [(1 - q) * q**j for j in range(k)] + [q**k]
    prod = {key: Fraction(1) for key in itertools.product(range(k + 1), repeat=workers)}
    for key in prod:
        for j in key:
            prod[key] *= marg[j]
    return joint, prod


def step_age_prompt_split(result: object, prompt_range: float) -> tuple[np.ndarray, np.ndarray]:
    """Per window step: (Imb(k), G·(max_g A_g − Ā) − (G − 1)·B·Δ_s) with A_g worker g's age sum
    (tokens generated so far by its active requests). The proof of ``any_policy_lower_geometric`` says
    the first is ≥ the second at every step (deterministic: the prompt sums differ by ≤ B·Δ_s)."""
    res = result
    G = res.config.cluster.workers  # type: ignore[attr-defined]
    B = res.config.cluster.slots  # type: ignore[attr-defined]
    T = res.window_steps if res.window_steps > 0 else res.steps.n_steps  # type: ignore[attr-defined]
    a = res.requests.admit_step  # type: ignore[attr-defined]
    f = res.requests.finish_step  # type: ignore[attr-defined]
    g = res.requests.worker  # type: ignore[attr-defined]
    A = np.zeros((T, G))
    for i in range(a.size):
        lo, hi = int(a[i]), min(int(f[i]), T - 1)
        if lo < 0 or lo >= T:
            continue
        ks = np.arange(lo, hi + 1)
        A[ks, int(g[i])] += ks - lo
    rhs = G * (A.max(axis=1) - A.mean(axis=1)) - (G - 1) * B * prompt_range
    return res.steps.imbalance[:T].astype(np.float64), rhs  # type: ignore[attr-defined]
