"""Values computed by hand (Python ``math``) from the formulas of SCHEDULES.md."""

import math

import numpy as np
import pytest

from lawfit import schedules as sch


def arr(s, n):
    return sch.to_array(s, n)


# SCHEDULES.md section 4.4: linear-decay WSD multipliers, T = 100, W = 10, D = 20, rho = 0
BOUNDARY_TABLE = {
    #  t:  (HF / OLMo-core / Megatron, torchtitan, Hägele et al. code)
    0: (0.000, 0.100, 0.010),
    9: (0.900, 1.000, 0.901),
    10: (1.000, 1.000, 1.000),
    80: (1.000, 1.000, 1.000),
    81: (0.950, 0.950, 0.950),
    99: (0.050, 0.050, 0.050),
    100: (0.000, 0.000, 0.000),
}
LIBRARY_OPTIONS = [
    {},  # lawfit default = HF / OLMo-core / Megatron
    {"warmup_convention": "(t+1)/W"},  # torchtitan
    {"init_value": 0.01},  # Hägele et al.: warmup starts at peak / init_div_factor (100)
]


@pytest.mark.parametrize("column", range(3), ids=["hf_olmo_megatron", "torchtitan", "hagele"])
def test_wsd_boundary_table(column):
    s = sch.wsd(1.0, 100, warmup_steps=10, decay_steps=20, **LIBRARY_OPTIONS[column])
    lr = arr(s, 101)
    for t, row in BOUNDARY_TABLE.items():
        assert lr[t] == pytest.approx(row[column], abs=5e-13), t


def _g(kind, p):
    return {
        "linear": 1 - p,
        "cosine": 0.5 * (1 + math.cos(math.pi * p)),
        "1-sqrt": 1 - math.sqrt(p),
        "square": 1 - p * p,
        "mirror_cosine": 2 * (1 - p) - 0.5 * (1 + math.cos(math.pi * p)),
        "power": (1 - p) ** 1.5,
        "megatron_exponential": 2 * 0.5**p - 1,
    }[kind]


@pytest.mark.parametrize("kind", ["linear", "cosine", "1-sqrt", "square", "mirror_cosine",
                                  "power", "megatron_exponential"])
def test_wsd_g_shapes(kind):
    peak, end, T, D, W = 2.0, 0.2, 120, 40, 10
    extra = {"power": 1.5} if kind == "power" else {}
    lr = arr(sch.wsd(peak, T, warmup_steps=W, decay_steps=D, decay_type=kind, end_value=end,
                     **extra), T + 5)
    for t in (80, 85, 90, 100, 110, 119, 120, 124):
        p = min(t - 80, D) / D
        assert lr[t] == pytest.approx(end + (peak - end) * _g(kind, p), rel=1e-13, abs=1e-15)
    assert lr[79] == peak and lr[W] == peak


def test_wsd_value_shapes():
    peak, end, T, D = 2.0, 0.2, 120, 40
    rho = end / peak
    inv = arr(sch.wsd(peak, T, decay_steps=D, decay_type="inverse_proportional", end_value=end),
              T + 1)
    geo = arr(sch.wsd(peak, T, decay_steps=D, decay_type="geometric", end_value=end), T + 1)
    half = arr(sch.wsd(peak, T, decay_steps=D, decay_type="half_life", half_life=10.0,
                       end_value=end), T + 1)
    rate = arr(sch.wsd(peak, T, decay_steps=D, decay_type="exponential_rate", decay_rate=0.8,
                       transition_steps=4.0, end_value=end), T + 1)
    for t in (80, 90, 100, 110, 120):
        p, s = (t - 80) / D, t - 80
        assert inv[t] == pytest.approx(peak / (1 + p * (1 / rho - 1)), rel=1e-13)
        assert geo[t] == pytest.approx(peak ** (1 - p) * end**p, rel=1e-13)
        assert half[t] == pytest.approx(max(end, peak * 0.5 ** (s / 10)), rel=1e-13)
        assert rate[t] == pytest.approx(max(end, peak * 0.8 ** (s / 4)), rel=1e-13)
    assert half[100] == pytest.approx(0.5, rel=1e-13)  # two half-lives: 2.0 -> 0.5
    assert geo[120] == pytest.approx(end, rel=1e-14) and inv[120] == pytest.approx(end, rel=1e-14)


def test_wsd_decay_fraction_floors_like_hagele():
    # floor(0.29 * 100) = 28 in floating point (0.29 * 100 = 28.999999999999996)
    s = sch.wsd(1.0, 100, decay_fraction=0.29)
    assert s.spec["decay_fraction"] == 0.29
    lr = arr(s, 101)
    assert lr[71] == 1.0 and lr[72] == 1.0 and lr[73] < 1.0


def test_rex_profiles():
    T = 100
    paper = arr(sch.rex(1.0, T), T + 3)
    code = arr(sch.rex(1.0, T, profile="rex_code"), T + 3)
    for t in (0, 10, 50, 90, 99, 100, 102):
        z = min(t, T) / T
        assert paper[t] == pytest.approx((1 - z) / (1 - z / 2), abs=1e-15)
        assert code[t] == pytest.approx((1 - z) / (1 - 0.9 * z), abs=1e-15)
    assert paper[50] == pytest.approx(2 / 3, rel=1e-14)
    assert code[50] == pytest.approx(10 / 11, rel=1e-14)
    floor = arr(sch.rex(2.0, T, end_value=0.5, warmup_steps=20), T)
    z = (60 - 20) / 80
    assert floor[60] == pytest.approx(0.5 + 1.5 * (1 - z) / (1 - z / 2), rel=1e-14)


def test_deepseek_811():
    lr = arr(sch.deepseek_811(1.0, 100, warmup_steps=10), 110)
    assert lr[0] == 0.0 and lr[5] == 0.5 and lr[10] == 1.0 and lr[79] == 1.0
    assert lr[80] == pytest.approx(10**-0.5, rel=1e-15) and lr[89] == lr[80]
    assert lr[90] == pytest.approx(0.1, rel=1e-15) and lr[109] == lr[90]
    # literal 0.316 as some replays use
    lit = arr(sch.deepseek_811(1.0, 1000, warmup_steps=0, factors=[0.316, 0.1]), 1000)
    assert lit[800] == 0.316 and lit[899] == 0.316 and lit[900] == 0.1


def test_sgdr():
    peak, end, T0 = 1.0, 0.1, 10
    lr = arr(sch.sgdr(peak, T0, cycle_mult=2, end_value=end), 160)
    starts = [0, 10, 30, 70, 150]  # T_i = 10, 20, 40, 80
    for i, (a, b) in enumerate(zip(starts, starts[1:], strict=False)):
        Ti = T0 * 2**i
        assert b - a == Ti
        for t in range(a, b):
            want = end + 0.5 * (peak - end) * (1 + math.cos(math.pi * (t - a) / Ti))
            assert lr[t] == pytest.approx(want, rel=1e-13), t
    assert lr[20] == pytest.approx(0.55, rel=1e-13)
    dec = arr(sch.sgdr(1.0, 10, cycle_decay=0.5), 30)
    assert dec[10] == 0.5 and dec[20] == 0.25 and dec[15] == pytest.approx(0.25, rel=1e-13)


def test_one_cycle_pytorch():
    peak, T = 1.0, 100
    lr = arr(sch.one_cycle(peak, T), T)
    init, low = peak / 25, peak / 25 / 1e4
    assert lr[0] == pytest.approx(init, rel=1e-14)
    assert lr[29] == pytest.approx(peak, rel=1e-14)  # end of phase 1 = pct_start * T - 1
    assert lr[99] == pytest.approx(low, rel=1e-10)
    assert lr[64] == pytest.approx((peak + low) / 2, rel=1e-13)  # cosine midpoint of [29, 99]
    q = 10 / 29
    assert lr[10] == pytest.approx(peak + (init - peak) / 2 * (math.cos(math.pi * q) + 1), rel=1e-13)
    lin = arr(sch.one_cycle(peak, T, anneal="linear", three_phase=True), T)
    assert lin[29] == pytest.approx(peak) and lin[58] == pytest.approx(init, rel=1e-13)
    assert lin[78] == pytest.approx(init + (low - init) * 20 / 41, rel=1e-13)


def test_cyclic_modes():
    tri2 = arr(sch.cyclic(0.0, 1.0, 2, mode="triangular2"), 9)
    np.testing.assert_allclose(tri2, [0, 0.5, 1, 0.5, 0, 0.25, 0.5, 0.25, 0], atol=1e-15)
    exp = arr(sch.cyclic(0.0, 1.0, 2, mode="exp_range", gamma=0.9), 5)
    np.testing.assert_allclose(exp, [0, 0.5 * 0.9, 0.9**2, 0.5 * 0.9**3, 0], atol=1e-15)
    asym = arr(sch.cyclic(0.0, 1.0, 1, step_size_down=3), 5)
    np.testing.assert_allclose(asym, [0, 1, 2 / 3, 1 / 3, 0], atol=1e-15)


def test_wsdsc_matches_published_form():
    T, Ts = 200, 170
    lr = arr(sch.wsdsc(3e-4, T, decay_steps=T - Ts), T + 1)
    for t in (169, 170, 180, 199, 200):
        want = 3e-4 if t < Ts else 3e-4 * ((T - t) / (T - Ts)) ** 1.5
        assert lr[t] == pytest.approx(want, rel=1e-13, abs=1e-20)


def test_inverse_sqrt_and_exponential():
    lr = arr(sch.inverse_sqrt(1.0, 4), 20)
    for t in range(4, 20):
        assert lr[t] == pytest.approx(math.sqrt(4 / t), rel=1e-14)
    hf = arr(sch.inverse_sqrt(1.0, 4, timescale=10.0), 20)
    assert hf[14] == pytest.approx(1 / math.sqrt((14 + 10 - 4) / 10), rel=1e-14)
    ex = arr(sch.exponential(1.0, 2, 0.5, staircase=True), 6)
    assert ex.tolist() == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_warmup_conventions_and_shapes():
    W = 4
    assert arr(sch.constant(1.0, warmup_steps=W), 5).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert arr(sch.constant(1.0, warmup_steps=W, warmup_convention="(t+1)/W"), 5).tolist() == \
        [0.25, 0.5, 0.75, 1.0, 1.0]
    lin = arr(sch.constant(1.0, warmup_steps=W, warmup_convention="linspace"), 5)
    np.testing.assert_allclose(lin, [0, 1 / 3, 2 / 3, 1, 1], rtol=1e-15)
    cos = arr(sch.constant(1.0, warmup_steps=W, warmup_shape="cosine"), 4)
    np.testing.assert_allclose(cos, [0.5 * (1 - math.cos(math.pi * t / W)) for t in range(4)],
                               atol=1e-15)
    sq = arr(sch.constant(1.0, warmup_steps=W, warmup_shape="1-sqrt"), 4)
    np.testing.assert_allclose(sq, [1 - math.sqrt(1 - t / W) for t in range(4)], atol=1e-15)
    # the LR area of the warmup (SCHEDULES.md 18.3)
    W, peak = 100, 2.0
    assert arr(sch.constant(peak, warmup_steps=W), W).sum() == pytest.approx(peak * (W - 1) / 2)
    assert arr(sch.constant(peak, warmup_steps=W, warmup_convention="(t+1)/W"), W).sum() == \
        pytest.approx(peak * (W + 1) / 2)
    assert arr(sch.constant(peak, warmup_steps=W, warmup_convention="linspace"), W).sum() == \
        pytest.approx(peak * W / 2)


def test_cosine_clamp_and_unclamped():
    c = arr(sch.cosine(1.0, 10, end_ratio=0.1), 15)
    u = arr(sch.cosine(1.0, 10, end_ratio=0.1, clamp=False), 15)
    assert np.all(c[10:] == pytest.approx(0.1))
    assert u[12] == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * 1.2)), rel=1e-14)
    assert u[12] > u[10]  # HF / PyTorch rise again after T


def test_wsd_s_periods():
    lr = arr(sch.wsd_s(1.0, [10, 10], decay_steps=4, end_value=0.2,
                       decay_type="inverse_proportional"), 21)
    for base in (0, 10):
        assert lr[base + 5] == 1.0
        for k in range(4):
            p = k / 4
            assert lr[base + 6 + k] == pytest.approx(1 / (1 + p * (1 / 0.2 - 1)), rel=1e-14)
    assert lr[10] == 1.0  # jump back to the peak
    assert lr[20] == pytest.approx(0.2, rel=1e-14)
    rw = arr(sch.wsd_s(1.0, [10, 10], decay_steps=4, end_value=0.2, rewarm_steps=2), 13)
    assert rw[10] == pytest.approx(0.2) and rw[11] == pytest.approx(0.6) and rw[12] == 1.0


def test_infinite_and_rewarm():
    s = sch.infinite(3e-4, 1.65e-4, 3e-5, warmup_steps=10, cooldown_steps=40, constant_steps=50,
                     anneal_steps=20)
    lr = arr(s, 130)
    assert lr[5] == pytest.approx(1.5e-4)
    assert lr[30] == pytest.approx(1.65e-4 + 0.5 * (3e-4 - 1.65e-4) * (1 + math.cos(math.pi / 2)))
    assert lr[50] == pytest.approx(1.65e-4) and lr[99] == pytest.approx(1.65e-4)
    assert lr[110] == pytest.approx(1.65e-4 * (3e-5 / 1.65e-4) ** 0.5, rel=1e-13)
    assert lr[125] == pytest.approx(3e-5, rel=1e-13)
    forever = arr(sch.infinite(3e-4, 1.65e-4, 3e-5, warmup_steps=10, cooldown_steps=40,
                               constant_steps=50), 500)
    assert forever[499] == pytest.approx(1.65e-4)
    r = arr(sch.rewarm([1.0, 0.5], [20, 20], warmup_steps=5, end_value=0.1), 40)
    assert r[0] == 0.0 and r[5] == 1.0 and r[19] > 0.1
    assert r[20] == pytest.approx(0.1) and r[25] == 0.5  # re-warm from the floor to the new peak
    assert r[30] == pytest.approx(0.1 + 0.5 * 0.4 * (1 + math.cos(math.pi * 5 / 15)), rel=1e-13)


def test_tabulated_exact_at_logged_steps():
    steps = [0, 3, 7, 20, 21]
    values = [0.1, 0.7, 0.3, 1e-9, 0.123456789012345]
    for kind in ("linear", "previous"):
        lr = arr(sch.tabulated(steps, values, kind=kind), 25)
        assert lr[steps].tolist() == values
        assert lr[24] == values[-1]
    lin = arr(sch.tabulated(steps, values), 8)
    assert lin[5] == pytest.approx(0.7 + (0.3 - 0.7) * 2 / 4, rel=1e-15)
    prev = arr(sch.tabulated(steps, values, kind="previous"), 8)
    assert prev[6] == 0.7
    assert arr(sch.tabulated([5], [0.2]), 3).tolist() == [0.2, 0.2, 0.2]


def test_hf_aliases():
    W, T = 10, 100
    lin = arr(sch.hf_schedule("linear", 2.0, W, T), T + 5)
    assert lin[55] == pytest.approx(2.0 * (T - 55) / (T - W)) and lin[104] == 0.0
    cos = arr(sch.hf_schedule("cosine", 2.0, W, T), T + 5)
    assert cos[104] > 0  # not clamped, as Hugging Face
    mn = arr(sch.hf_schedule("cosine_with_min_lr", 2.0, W, T, min_lr_rate=0.1), T)
    assert mn[55] == pytest.approx(2.0 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5))))
    poly = arr(sch.hf_schedule("polynomial", 2.0, W, T, lr_end=1e-3, power=2.0), T + 2)
    assert poly[55] == pytest.approx((2.0 - 1e-3) * 0.5**2 + 1e-3) and poly[101] == 1e-3
    rs = arr(sch.hf_schedule("cosine_with_restarts", 1.0, W, T, num_cycles=3), T)
    assert rs[W + 30] == pytest.approx(1.0) and rs[W + 15] == pytest.approx(0.5)
    isq = arr(sch.hf_schedule("inverse_sqrt", 1.0, 0), 3)
    assert isq[2] == pytest.approx(1 / math.sqrt((2 + 10000) / 10000))
    wsd = arr(sch.hf_schedule("warmup_stable_decay", 1.0, W, num_decay_steps=20,
                              num_stable_steps=70, min_lr_ratio=0.1), T + 2)
    assert wsd[0] == pytest.approx(0.1) and wsd[79] == 1.0 and wsd[90] == pytest.approx(0.55)
    assert wsd[100] == pytest.approx(0.1)
    assert wsd[95] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.75)))
    for name in ("reduce_lr_on_plateau", "cosine_warmup_with_min_lr", "nope"):
        with pytest.raises(ValueError, match=name):
            sch.hf_schedule(name, 1.0, W, T)
    # family aliases of from_spec
    spec = {"family": "warmup_stable_decay", "peak_value": 1.0, "total_steps": 10,
            "decay_steps": 2}
    assert sch.from_spec(spec).family == "wsd"
