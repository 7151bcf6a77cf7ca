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
:func:`step_age_prompt_split` (deterministic, per step); the geometric upper bound's per-step split is
:func:`step_age_prompt_split_upper`; the carry-over lemma of ``bfio_upper_carryover`` is
:func:`step_sorted_greedy_spread`; and the number-partitioning bound ``any_policy_lower_partition`` is
checked link by link by :func:`step_partition_chain` (these three in :mod:`.extended`) (every prompt vector, every assignment:
:func:`block_partition_law`, :func:`uniform_lattice_block`).
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
    """One proof step on one case: ``lhs relation rhs`` with relation "<=", "==" (exact numbers) or "~="
    (equal up to float round-off, relative 1e-9)."""

    name: str
    lhs: Fraction | float
    rhs: Fraction | float
    relation: str = "<="

    @property
    def holds(self) -> bool:
        """Whether the step's inequality (or equality) holds on this case."""
        if self.relation == "==":
            return self.lhs == self.rhs
        if self.relation == "~=":  # equal up to float round-off (sums of many float products)
            return abs(float(self.lhs) - float(self.rhs)) <= 1e-9 * max(1.0, abs(float(self.rhs)))
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


# ------------------------------------------------- moderate deviations (exponential tilting)


def _mp(v: Fraction | int | float) -> mpmath.mpf:
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return mpmath.mpf(v)


def tilted_moments(d: Dist, lam: float) -> dict[str, mpmath.mpf]:
    """For one centred prompt Y = s − μ and a tilt λ ≥ 0 (40 digits): Λ = log E e^{λY}, the tilted mean
    m = E[Y e^{λY}]/E e^{λY} and variance v, and σ², ρ₃, b₊ = s_max − μ."""
    mu, var = _mu_var(d)
    lm = mpmath.mpf(lam)
    ys = [(_mp(x - mu), _mp(p)) for x, p in d.items()]
    phi = mpmath.fsum(p * mpmath.exp(lm * y) for y, p in ys)
    m = mpmath.fsum(p * y * mpmath.exp(lm * y) for y, p in ys) / phi
    e2 = mpmath.fsum(p * y * y * mpmath.exp(lm * y) for y, p in ys) / phi
    return {"Lambda": mpmath.log(phi), "m": m, "v": e2 - m * m, "var": _mp(var),
            "rho3": mpmath.fsum(p * abs(y) ** 3 for y, p in ys), "b_plus": max(y for y, _ in ys)}


def step_tilt_pieces(d: Dist, slots: int, tau: float) -> tuple[Step, ...]:
    """The per-prompt bounds of :func:`lbtheory.theory.bounds.tilt_pieces` at λ = τ/(σ√B), against the
    exact tilted quantities: Λ ≤ κ (Bennett), BΛ ≥ lam_lo, m_lo ≤ √B·m/σ ≤ m_hi, √v/σ ≤ sd_hi."""
    from lbtheory.theory.bounds import tilt_pieces
    from lbtheory.theory.evaluate import compile_expr

    mu, var = _mu_var(d)
    sig = mpmath.sqrt(_mp(var))
    lam = float(mpmath.mpf(tau) / (sig * mpmath.sqrt(slots)))
    t = tilted_moments(d, lam)
    p = {"tau": tau, "B": float(slots), "sigma_s": float(sig), "rho_3": float(t["rho3"]),
         "s_max": float(max(d)), "mu_s": float(_mp(mu))}
    pieces = {k: compile_expr(e)(p) for k, e in tilt_pieces().items()}
    rb = mpmath.sqrt(slots) / sig
    return (Step("Bennett: Lambda <= kappa", float(t["Lambda"]), pieces["kappa"] * (1 + 1e-12)),
            Step("B*Lambda >= lam_lo", pieces["lam_lo"] * (1 - 1e-12), float(slots * t["Lambda"])),
            Step("m_lo <= sqrt(B) m / sigma", pieces["m_lo"] * (1 - 1e-12), float(rb * t["m"])),
            Step("sqrt(B) m / sigma <= m_hi", float(rb * t["m"]), pieces["m_hi"] * (1 + 1e-12)),
            Step("sqrt(v) / sigma <= sd_hi", float(mpmath.sqrt(t["v"]) / sig), pieces["sd_hi"] * (1 + 1e-12)))


def _tilted_sum(d: Dist, slots: int, lam: float) -> tuple[list[tuple[mpmath.mpf, mpmath.mpf, mpmath.mpf]], mpmath.mpf]:
    """[(t, P(T = t), Q(T = t))] for T = Σ of ``slots`` centred prompts, Q the λ-tilted law, and BΛ."""
    s = block_sum(d, slots)
    mu, _ = _mu_var(d)
    lm = mpmath.mpf(lam)
    c = slots * mu
    rows = [(_mp(x - c), _mp(p)) for x, p in s.items()]
    z = mpmath.fsum(p * mpmath.exp(lm * t) for t, p in rows)
    return [(t, p, p * mpmath.exp(lm * t) / z) for t, p in rows], mpmath.log(z)


def step_change_of_measure(d: Dist, slots: int, lam: float, c: float) -> tuple[Step, Step]:
    """Chebyshev under the tilt, Q(|T − Bm| < c√(Bv)) ≥ 1 − 1/c², and the change of measure
    P(T ≥ a) ≥ e^{BΛ − λu}·Q(a ≤ T ≤ u) at a = Bm − c√(Bv), u = Bm + c√(Bv) (exact tilted m, v)."""
    rows, blam = _tilted_sum(d, slots, lam)
    t = tilted_moments(d, lam)
    mean, sd = slots * t["m"], mpmath.sqrt(slots * t["v"])
    a, u = mean - c * sd, mean + c * sd
    q_in = mpmath.fsum(q for x, _, q in rows if a < x < u)
    p_tail = mpmath.fsum(p for x, p, _ in rows if x >= a)
    q_win = mpmath.fsum(q for x, _, q in rows if a <= x <= u)
    return (Step("Chebyshev under Q", 1 - 1 / mpmath.mpf(c) ** 2, float(q_in)),
            Step("change of measure", float(mpmath.exp(blam - lam * u) * q_win), float(p_tail)))


def step_moderate_tail(d: Dist, slots: int, tau: float) -> Step:
    """P(Z ≥ x_τ) ≥ p_τ (:func:`lbtheory.theory.bounds.moderate_tail_lower`), exact tail."""
    from lbtheory.theory.bounds import moderate_tail_lower, moderate_tail_threshold
    from lbtheory.theory.evaluate import compile_expr

    mu, var = _mu_var(d)
    sig = mpmath.sqrt(_mp(var))
    t = tilted_moments(d, 0.0)
    p = {"tau": tau, "B": float(slots), "sigma_s": float(sig), "rho_3": float(t["rho3"]),
         "s_max": float(max(d)), "mu_s": float(_mp(mu))}
    x = compile_expr(moderate_tail_threshold())(p)
    bound = compile_expr(moderate_tail_lower())(p)
    s = block_sum(d, slots)
    c = slots * mu
    thr = mpmath.mpf(x) * sig * mpmath.sqrt(slots)
    tail = mpmath.fsum(_mp(q) for v, q in s.items() if _mp(v - c) >= thr)
    return Step("P(Z >= x_tau) >= p_tau", bound, float(tail))


def step_positive_part(d: Dist, slots: int) -> tuple[Step, Step]:
    """E Z⁴ = (m₄ + 3(B − 1)σ⁴)/(Bσ⁴) (identity, exact) and P(Z > 0) ≥ 1/(4 E Z⁴) (exact)."""
    s = block_sum(d, slots)
    mu, var = _mu_var(d)
    m4 = moment(d, lambda x: (x - mu) ** 4)
    c = slots * mu
    ez4 = moment(s, lambda v: (v - c) ** 4) / (slots * var) ** 2
    p_pos = sum((q for v, q in s.items() if v > c), Fraction(0))
    return (Step("E Z^4", ez4, (m4 + 3 * (slots - 1) * var**2) / (slots * var**2), "=="),
            Step("P(Z > 0) >= 1/(4 E Z^4)", 1 / (4 * ez4), p_pos))


# ------------------------------------------- load-blind policies under geometric outputs


def step_loadblind_geometric_law(policy: object, workers: int, slots: int, prompt_values: Sequence[int],
                                 prompt_probs: Sequence[Fraction | str], q: Fraction,
                                 steps: int) -> Step:
    """The key step of :func:`lbtheory.theory.bounds.loadblind_upper_geometric`, by exhaustive enumeration:
    under i.i.d. geometric outputs (P(o = j) = (1 − q)q^{j−1}) and i.i.d. prompts, R = G·B, the engine's
    E[Imb(k)] at k = ``steps`` − 1 equals G·(E max_g L_g − E L_1) computed as if the loads L_g = P_g + A_g
    were i.i.d., each a sum of B fresh prompts and B independent ages of law min(a, k)
    (:func:`lbtheory.theory.exact.loadblind_geometric_gap`). Every output sequence (o_i ∈ {1..steps}, the
    last value standing for ≥ steps) is run once; the prompts are enumerated analytically, which is exact
    only for a policy whose assignment ignores prompts (the teeth: a load-aware policy is rejected)."""
    from lbtheory.engine.simulate import simulate
    from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
    from lbtheory.theory.exact import loadblind_geometric_gap
    from lbtheory.workloads.base import Workload

    k = steps - 1
    n = workers * slots * steps
    pr = [(1 - q) * q ** (j - 1) for j in range(1, steps)] + [q ** (steps - 1)]
    vals = np.asarray(prompt_values, np.int64)
    probs = [Fraction(p) for p in prompt_probs]
    combos = np.array(list(itertools.product(range(len(vals)), repeat=n)), np.int64)  # prompt index vectors
    w_p = np.array([float(np.prod([float(probs[j]) for j in row])) for row in combos])
    s_all = vals[combos]  # (n_combos, n)
    cfg = SimConfig(ClusterConfig(workers, slots, workers * slots), StepTimeModel(1e-3, 1e-7))
    total = 0.0
    # probe prompt sequences: the assignment must be the same for all of them
    probes = [np.roll(vals, r)[np.arange(n) % len(vals)] for r in range(2)]
    probes += [np.sort(probes[0]), np.sort(probes[0])[::-1]]
    for outs in itertools.product(range(1, steps + 1), repeat=n):
        w = 1.0
        for o in outs:
            w *= float(pr[o - 1])
        o_arr = np.asarray(outs, np.int64)
        o_arr[o_arr == steps] = steps + 5
        runs = []
        for sp_ in probes:
            res = simulate(Workload(sp_.astype(np.int64), o_arr, name="geo-law"), cfg, policy, seed=0)  # type: ignore[arg-type]
            runs.append((res.requests.admit_step.copy(), res.requests.finish_step.copy(),
                         res.requests.worker.copy()))
        if any(not all(np.array_equal(x, y) for x, y in zip(runs[0], r, strict=True)) for r in runs[1:]):
            raise ValueError("the policy's assignment depends on the prompts (not load-blind)")
        a, f, g = runs[0]
        active = (a >= 0) & (a <= k) & ((f < 0) | (f >= k))
        L = np.zeros((combos.shape[0], workers))
        for i in np.flatnonzero(active):
            L[:, int(g[i])] += s_all[:, i] + (k - int(a[i]))
        imb = workers * L.max(axis=1) - L.sum(axis=1)
        total += w * float(np.dot(w_p, imb))
    p_float = [float(p) for p in probs]
    formula = loadblind_geometric_gap(vals, p_float, workers, slots, 1.0 / float(1 - q), 1, step=k)
    return Step("E Imb(k) = G(E max L - E L), i.i.d. loads", total, formula, "~=")


def step_chernoff_max(d: Dist, slots: int, workers: int, lam: float) -> Step:
    """Chernoff's maximal inequality, the last step of ``loadblind_upper_geometric``:
    E[max_g X_g] ≤ (log G + log E e^{λX})/λ for X_g = S_g − Bμ (identically distributed; exact E max,
    40-digit cumulant generating function)."""
    s = block_sum(d, slots)
    mu, _ = _mu_var(d)
    c = slots * mu
    e_max = _mp(expected_max([s] * workers) - c)
    lm = mpmath.mpf(lam)
    cgf = mpmath.log(mpmath.fsum(_mp(p) * mpmath.exp(lm * _mp(v - c)) for v, p in s.items()))
    return Step("E max X <= (log G + cgf)/lambda", float(e_max), float((mpmath.log(workers) + cgf) / lm))


# ------------------------------- every slot-filling policy, fixed outputs: number partitioning


def block_partitions(workers: int, slots: int) -> list[tuple[int, ...]]:
    """Every split of G·B labelled requests into G unlabelled groups of B, as group labels per request
    (canonical: groups numbered in order of their first request); there are N_{G,B} = (GB)!/((B!)^G G!)."""
    n = workers * slots
    out: list[tuple[int, ...]] = []

    def rec(prefix: list[int], counts: list[int], used: int) -> None:
        if len(prefix) == n:
            out.append(tuple(prefix))
            return
        for g in range(min(used + 1, workers)):
            if counts[g] < slots:
                counts[g] += 1
                prefix.append(g)
                rec(prefix, counts, max(used, g + 1))
                prefix.pop()
                counts[g] -= 1

    rec([], [0] * workers, 0)
    return out


def partition_count_exact(workers: int, slots: int) -> int:
    """N_{G,B} = (GB)!/((B!)^G·G!) (exact integer)."""
    from math import factorial

    return factorial(workers * slots) // (factorial(slots) ** workers * factorial(workers))


def max_atom(d: Dist, slots: int) -> Fraction:
    """p_B = max_x P(S_B = x) (exact)."""
    return max(block_sum(d, slots).values())


@dataclass(frozen=True)
class BlockPartitionLaw:
    """Exact laws over one block of G·B i.i.d. prompts, every prompt vector enumerated.

    Attributes:
        e_opt: E[min over every assignment of Imb] (no slot-filling policy does better at any step).
        e_spread_min: E[X_min], X_min = the least spread max − min over all partitions.
        e_instance: E[instance_lower] of the block.
        p_min_le: P(X_min ≤ h·d) for d = 0, 1, ….
        p_fixed_le: P(spread ≤ h·d) of one fixed partition (requests 0..B−1 to worker 0, and so on).
        worst_spread_minus_imb: max over vectors and assignments of (spread − Imb) (≤ 0 is the claim).
    """

    e_opt: Fraction
    e_spread_min: Fraction
    e_instance: Fraction
    p_min_le: tuple[Fraction, ...]
    p_fixed_le: tuple[Fraction, ...]
    worst_spread_minus_imb: Fraction


def block_partition_law(d: Dist, workers: int, slots: int, span: int = 1, d_max: int = 8) -> BlockPartitionLaw:
    """:class:`BlockPartitionLaw` by exhaustive enumeration (|support|^{GB} vectors × N_{G,B} partitions;
    the worker labels do not change Imb or the spread, so partitions cover every assignment)."""
    n = workers * slots
    parts = block_partitions(workers, slots)
    vals = sorted(d)
    e_opt = e_xmin = e_inst = Fraction(0)
    p_min = [Fraction(0)] * (d_max + 1)
    p_fix = [Fraction(0)] * (d_max + 1)
    worst = Fraction(-10**18)
    for vec in itertools.product(vals, repeat=n):
        w = Fraction(1)
        for v in vec:
            w *= d[v]
        total = sum(vec, Fraction(0))
        best_imb: Fraction | None = None
        best_spread: Fraction | None = None
        fixed_spread = Fraction(0)
        for j, lab in enumerate(parts):
            sums = [Fraction(0)] * workers
            for v, g in zip(vec, lab, strict=True):
                sums[g] += v
            imb = workers * max(sums) - total
            spread = max(sums) - min(sums)
            worst = max(worst, spread - imb)
            best_imb = imb if best_imb is None else min(best_imb, imb)
            best_spread = spread if best_spread is None else min(best_spread, spread)
            if j == 0:
                fixed_spread = spread
        assert best_imb is not None and best_spread is not None
        srt = sorted(vec)
        top_low = srt[-1] + sum(srt[: slots - 1], Fraction(0))
        ceil_avg = -((-total) // workers)
        e_inst += w * (workers * max(Fraction(ceil_avg), top_low) - total)
        e_opt += w * best_imb
        e_xmin += w * best_spread
        for dd in range(d_max + 1):
            if best_spread <= span * dd:
                p_min[dd] += w
            if fixed_spread <= span * dd:
                p_fix[dd] += w
    return BlockPartitionLaw(e_opt, e_xmin, e_inst, tuple(p_min), tuple(p_fix), worst)


def step_partition_chain(d: Dist, workers: int, slots: int, span: int = 1,
                         d_max: int = 8) -> list[Step]:
    """The chain of :func:`lbtheory.theory.extended.any_policy_lower_partition`, exactly on one law:

    * Imb ≥ spread for every vector and assignment (deterministic);
    * P(spread ≤ h·d) ≤ ((2d + 1)p_B)^{G−1} for a fixed partition, d = 0..d_max;
    * P(X_min ≤ h·d) ≤ N_{G,B}·((2d + 1)p_B)^{G−1} (union bound), d = 0..d_max;
    * E[X_min] ≤ E[min Imb] and the registered bound ≤ E[X_min] (the integral step, 40-digit float).
    """
    from lbtheory.theory.extended import get_any

    law_ = block_partition_law(d, workers, slots, span, d_max)
    pb = max_atom(d, slots)
    n_parts = partition_count_exact(workers, slots)
    steps = [Step("Imb >= spread", law_.worst_spread_minus_imb, Fraction(0))]
    for dd in range(d_max + 1):
        one = ((2 * dd + 1) * pb) ** (workers - 1)
        steps.append(Step(f"fixed partition P(spread <= {span * dd})", law_.p_fixed_le[dd], min(Fraction(1), one)))
        steps.append(Step(f"union P(X_min <= {span * dd})", law_.p_min_le[dd], min(Fraction(1), n_parts * one)))
    bound = get_any("any_policy_lower_partition").value(
        {"G": float(workers), "B": float(slots), "p_B": float(pb), "h_s": float(span)})
    steps.append(Step("E X_min <= E min Imb", law_.e_spread_min, law_.e_opt))
    steps.append(Step("bound <= E X_min", bound, float(law_.e_spread_min) * (1 + 1e-12)))
    return steps


def uniform_lattice_block(values: int, workers: int, slots: int, span: int) -> tuple[Fraction, Fraction]:
    """(E[min over every assignment of Imb], E[instance_lower]) for prompts uniform on
    {1, 1 + h, …, 1 + (V − 1)h}, exactly: every multiset of G·B values, weighted by its multinomial count
    (integers, so the expectations are exact fractions over V^{GB})."""
    from math import factorial

    n = workers * slots
    c = np.array(list(itertools.combinations_with_replacement(range(values), n)), np.int64)
    w = np.full(c.shape[0], factorial(n), np.int64)
    fact = np.array([factorial(k) for k in range(n + 1)], np.int64)
    for v in range(values):
        w //= fact[(c == v).sum(axis=1)]
    s = 1 + span * c  # sorted rows
    opt: np.ndarray | None = None
    total = s.sum(axis=1)
    for lab in block_partitions(workers, slots):
        sums = np.stack([s[:, [i for i in range(n) if lab[i] == g]].sum(axis=1) for g in range(workers)], 1)
        imb = workers * sums.max(axis=1) - total
        opt = imb if opt is None else np.minimum(opt, imb)
    assert opt is not None
    inst = workers * np.maximum(-((-total) // workers), s[:, -1] + s[:, : slots - 1].sum(axis=1)) - total
    denom = values**n
    assert int(w.sum()) == denom
    return (Fraction(int(np.dot(w, opt)), denom), Fraction(int(np.dot(w, inst)), denom))


def step_age_prompt_split_upper(result: object, prompt_range: float) -> tuple[np.ndarray, np.ndarray]:
    """Per window step: (Imb(k), (G − 1)·B·Δ_s + G·(max_g A_g − Ā)), the deterministic step (i) of
    :func:`lbtheory.theory.extended.slot_filling_upper_geometric` (δ = 1); the first is ≤ the second at
    every step at which every slot is occupied."""
    imb, lower = step_age_prompt_split(result, prompt_range)
    G = result.config.cluster.workers  # type: ignore[attr-defined]
    B = result.config.cluster.slots  # type: ignore[attr-defined]
    spread_part = lower + (G - 1) * B * prompt_range  # G·(max A − Ā)
    return imb, spread_part + (G - 1) * B * prompt_range


def step_sorted_greedy_spread(base: Sequence[int], free: int, items: Sequence[int],
                              sort: bool = True) -> Step:
    """The lemma of :func:`lbtheory.theory.extended.bfio_upper_carryover` on one case: the sorted-greedy
    partition (:func:`lbtheory.policies.bfio_fast.sorted_greedy_assign`) of G·f items onto workers with
    carried-over loads b_g and f free slots each has spread ≤ max(max b − min b, max item − min item).
    ``sort=False`` feeds the items in the given order one round at a time (the teeth: unsorted rounds)."""
    from lbtheory.policies.bfio_fast import sorted_greedy_assign

    G = len(base)
    b = np.asarray(base, np.int64).reshape(G, 1)
    prompt = np.asarray(items, np.int64)
    if prompt.size != G * free:
        raise ValueError(f"need G·f = {G * free} items, got {prompt.size}")
    caps = np.full(G, free, np.int64)
    if sort:
        a = sorted_greedy_assign(b, caps, prompt, np.arange(prompt.size, dtype=np.int64))
    else:  # rounds in the given order, lightest worker first
        a = np.full(prompt.size, -1, np.int64)
        load = b[:, 0].copy()
        for r in range(free):
            order = np.argsort(load, kind="mergesort")
            for j, g in enumerate(order):
                a[r * G + j] = g
                load[g] += prompt[r * G + j]
    loads = b[:, 0].copy()
    for j, g in enumerate(a):
        loads[g] += prompt[j]
    spread_before = int(b.max() - b.min())
    return Step("sorted greedy: spread <= max(D, range)", Fraction(int(loads.max() - loads.min())),
                Fraction(max(spread_before, int(prompt.max() - prompt.min()))))
