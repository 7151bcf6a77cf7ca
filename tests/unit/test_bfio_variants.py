"""The BF-IO options that the battery's losing cells led to: ``spare_slots``, ``age_credit``, ``admit`` and
``fill_order`` (lbtheory.policies.bfio). Expected values are worked by hand in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from lbtheory.errors import ConfigError
from lbtheory.policies.base import ActiveRequests, EpochView
from lbtheory.policies.bfio import BFIO, BFIOConfig, EpochProblem, age_bonus, solve_fast


def overtaken(ids: np.ndarray) -> list[int]:
    """o_j from the compiled credits with s_j = ô_j = λ = 1 (then ℓ_j = 1, C_j = 1 and β_j = o_j)."""
    from lbtheory.policies.bfio_fast import age_credits

    ones = np.ones(ids.size, np.int64)
    return age_credits(np.asarray(ids, np.int64), ones, ones, np.ones(1, np.int64), 1.0).tolist()


def test_overtaken_counts_by_hand() -> None:
    # window ids 3, 5, 6, 9: the admitted ids between them are 4, 7, 8. Id 3 was overtaken by 4, 7, 8;
    # ids 5 and 6 by 7, 8; id 9 by none.
    assert overtaken(np.array([3, 5, 6, 9])) == [3, 2, 2, 0]
    assert overtaken(np.array([10, 11, 12])) == [0, 0, 0]
    assert overtaken(np.array([], np.int64)) == []


def test_age_bonus_formula() -> None:
    # H = 0: C_j = s_j; β_j = ⌊λ·o_j·s_j⌋ with o = [3, 0]: ⌊0.5·3·10⌋ = 15, 0.
    P = EpochProblem.from_arrays(loads=np.zeros(2), free=np.ones(2), prompt=np.array([10, 20]))
    assert age_bonus(P, np.array([0, 4]), 0.5).tolist() == [15, 0]
    assert age_bonus(P, np.array([0, 4]), 0.0) is None


def test_compiled_age_credits_by_hand() -> None:
    """The compiled β_j = ⌊λ·o_j·C_j⌋ (bfio_fast.age_credits, what BF-IO runs) at H = 3, worked by hand.

    Window ids 2, 3, 7, 8, 12: admitted between them are 4, 5, 6, 9, 10, 11, so o = (6, 6, 3, 3, 0) (as
    :func:`overtaken` counts them). ℓ_j = min(ô_j, 4) = (1, 4, 2, 4, 4), C_j = ℓ_j·s_j + ℓ_j(ℓ_j − 1)/2 =
    (10, 1606, 15, 366, 26); λ = 0.01: ⌊0.6⌋, ⌊96.36⌋, ⌊0.45⌋, ⌊10.98⌋, 0 = (0, 96, 0, 10, 0)."""
    from lbtheory.policies.bfio_fast import age_credits

    ids = np.array([2, 3, 7, 8, 12])
    assert overtaken(ids) == [6, 6, 3, 3, 0]
    got = age_credits(ids, np.array([10, 400, 7, 90, 5]), np.array([1, 9, 2, 4, 6]), np.ones(4, np.int64), 0.01)
    assert got.tolist() == [0, 96, 0, 10, 0]
    empty = np.array([], np.int64)
    assert age_credits(empty, empty, empty, np.ones(1, np.int64), 0.5).size == 0


def test_proportional_spare_slots_fill_workers_evenly() -> None:
    """Empty workers, 8 requests for 4 × 8 slots: "proportional" caps each worker at ⌈8·8/32⌉ = 2, so
    every worker takes exactly 2; "empty" (LPT by load) lets the worker holding the one large request stay
    at 1 while the rest take the small ones."""
    prompt = np.array([1000, 10, 10, 10, 10, 10, 10, 10])
    P = EpochProblem.from_arrays(loads=np.zeros(4), free=np.full(4, 8), prompt=prompt)
    even = solve_fast(P, BFIOConfig(spare_slots="proportional", age_credit=0.0))
    assert np.bincount(even, minlength=4).tolist() == [2, 2, 2, 2]
    lpt = solve_fast(P, BFIOConfig(spare_slots="empty", age_credit=0.0))
    assert np.all(lpt >= 0)
    assert np.bincount(lpt, minlength=4).tolist() != [2, 2, 2, 2]


def test_age_credit_admits_an_overtaken_request() -> None:
    """One free slot (worker 0, gap 100 to worker 1), H = 0, κ = 8 (w = 16): the oldest request (150 tokens,
    overtaken by 499 later ones) overflows the envelope by 50, Ψ change 16·50 − 150 = 650, against −90 for
    the young 90-token one; a credit β = ⌊0.05·499·150⌋ = 3742 makes the old one win (650 − 3742 < −90)."""
    P = EpochProblem.from_arrays(loads=np.array([0, 100]), free=np.array([1, 0]), prompt=np.array([150, 90]))
    ids = np.array([0, 500])
    plain = solve_fast(P, BFIOConfig(age_credit=0.0))
    assert plain.tolist() == [-1, 0]
    credited = solve_fast(P, BFIOConfig(age_credit=0.05), age_bonus(P, ids, 0.05))
    assert credited.tolist() == [0, -1]


def test_fcfs_admission_places_only_the_oldest() -> None:
    P = EpochProblem.from_arrays(loads=np.array([0, 0]), free=np.array([1, 1]), prompt=np.array([5, 500, 7, 9]))
    got = solve_fast(P, BFIOConfig(admit="fcfs"))
    assert sorted(np.flatnonzero(got >= 0).tolist()) == [0, 1]


def test_policy_passes_the_window_ids() -> None:
    """BFIO.decide reads the overtaken counts from the view's ids (the case of the test above)."""

    def forbidden() -> ActiveRequests:
        raise AssertionError("H = 0 must not list the active requests")

    view = EpochView(step=5, clock_s=1.0, slots=2, loads=np.array([0, 100]), active_counts=np.array([1, 2]),
                     window_requests=np.array([0, 500]), window_prompt_tokens=np.array([150, 90]),
                     window_predicted_output_tokens=None, _active=forbidden)
    assert BFIO(horizon=0, age_credit=0.0).decide(view).requests.tolist() == [500]
    assert BFIO(horizon=0, age_credit=0.05).decide(view).requests.tolist() == [0]


def test_options_validate() -> None:
    with pytest.raises(ConfigError, match="spare_slots"):
        BFIOConfig(spare_slots="full")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="age_credit"):
        BFIOConfig(age_credit=-1.0)
    with pytest.raises(ConfigError, match="fill_order"):
        BFIOConfig(fill_order="any")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="admit"):
        BFIOConfig(admit="lifo")  # type: ignore[arg-type]
    d = BFIO().describe()
    assert d["spare_slots"] == "proportional" and d["age_credit"] == 0.0


def test_horizon_weights_by_hand() -> None:
    """w_h = 16 + ⌊1024·γ^h⌋ for γ < 1 (γ = 0.5: 1040, 528, 272, 144), ones for γ = 1, [1] at H = 0."""
    from lbtheory.policies.bfio_fast import horizon_weights

    assert horizon_weights(3, 0.5).tolist() == [1040, 528, 272, 144]
    assert horizon_weights(2, 1.0).tolist() == [1, 1, 1]
    assert horizon_weights(0, 0.5).tolist() == [1]
    far = horizon_weights(140, 0.86)
    assert far[0] == 1040 and far[-1] == 16 and np.all(np.diff(far) <= 0)


def test_discount_weights_the_steps_of_the_objective() -> None:
    """phi_weighted with step weights is Σ_h w_h [w·max_g L̂_g − Σ_g L̂_g], recomputed in plain Python."""
    from lbtheory.policies.bfio_fast import phi_weighted

    rng = np.random.default_rng(3)
    for _ in range(50):
        G, H1, n = int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 12))
        base = rng.integers(0, 200, (G, H1)).astype(np.int64)
        prompt = rng.integers(1, 90, n).astype(np.int64)
        pred = rng.integers(1, 8, n).astype(np.int64)
        assign = rng.integers(-1, G, n).astype(np.int64)
        wh = rng.integers(1, 40, H1).astype(np.int64)
        wg = int(rng.integers(1, 20))
        load = base.copy()
        for j in range(n):
            for h in range(min(pred[j], H1)):
                if assign[j] >= 0:
                    load[assign[j], h] += prompt[j] + h
        want = sum(int(wh[h]) * (wg * int(load[:, h].max()) - int(load[:, h].sum())) for h in range(H1))
        assert phi_weighted(base, prompt, pred, assign, wg, wh) == want


def test_discount_is_validated_and_leaves_h0_alone() -> None:
    """γ must lie in (0, 1]; the objective's γ is the default; at H = 0 γ changes no decision."""
    with pytest.raises(ConfigError, match="discount"):
        BFIOConfig(discount=0.0)
    with pytest.raises(ConfigError, match="discount"):
        BFIOConfig(discount=1.5)
    assert BFIOConfig().gamma == 0.86 and BFIOConfig(objective="imbalance").gamma == 1.0
    assert BFIOConfig(discount=0.5).gamma == 0.5
    rng = np.random.default_rng(5)
    for _ in range(20):
        G, n = int(rng.integers(2, 6)), int(rng.integers(2, 20))
        P = EpochProblem.from_arrays(loads=rng.integers(0, 500, G), free=rng.integers(0, 4, G),
                                     prompt=rng.integers(1, 300, n))
        np.testing.assert_array_equal(solve_fast(P, BFIOConfig(discount=0.3)), solve_fast(P, BFIOConfig()))


def test_weighted_masses_by_hand() -> None:
    """C_j = Σ_{h<ℓ_j} w_h (s_j + h) from the prefix sums: w = (4, 2, 1), s = 10, ℓ = 3: 40 + 22 + 12 = 74;
    ℓ = min(ô = 1, 3) = 1: 40. The compiled credits with λ = 1 and o = (1, 0) give (74, 0)."""
    from lbtheory.policies.bfio_fast import _prepare, age_credits

    wh = np.array([4, 2, 1], np.int64)
    _, area, _, _, _ = _prepare(np.array([10, 10], np.int64), np.array([5, 1], np.int64), wh)
    assert area.tolist() == [74, 40]
    got = age_credits(np.array([0, 2], np.int64), np.array([10, 10], np.int64), np.array([5, 1], np.int64), wh, 1.0)
    assert got.tolist() == [74, 0]


def test_discount_reaches_the_solver_at_h_above_zero() -> None:
    """At H > 0 the config's γ is what the solver uses: ``solve_fast`` with γ = 0.3 equals the undiscounted
    config given γ = 0.3's weights explicitly, and on some of these random epochs γ = 0.3 and γ = 1 decide
    differently (so a solver that dropped the weights would be caught)."""
    from lbtheory.policies.bfio_fast import horizon_weights

    rng = np.random.default_rng(11)
    differ = 0
    for _ in range(60):
        G, n, H = int(rng.integers(2, 6)), int(rng.integers(3, 20)), int(rng.integers(3, 12))
        P = EpochProblem.from_arrays(loads=rng.integers(0, 500, G), free=rng.integers(1, 4, G),
                                     prompt=rng.integers(1, 300, n), predicted=rng.integers(1, 2 * H, n),
                                     horizon=H)
        got = solve_fast(P, BFIOConfig(horizon=H, discount=0.3))
        explicit = solve_fast(P, BFIOConfig(horizon=H, discount=1.0), weights=horizon_weights(H, 0.3))
        np.testing.assert_array_equal(got, explicit)
        differ += not np.array_equal(got, solve_fast(P, BFIOConfig(horizon=H, discount=1.0)))
    assert differ > 0
