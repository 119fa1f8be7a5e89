"""Hypothesis property tests over random valid arguments."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lawfit import schedules as sch

# every example compiles a new schedule: keep the counts moderate so the suite stays fast
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
CONVENTIONS = st.sampled_from(list(sch.WARMUP_CONVENTIONS))
CLOSED = ["linear", "cosine", "1-sqrt", "square", "mirror_cosine", "power",
          "inverse_proportional", "geometric", "megatron_exponential"]


def _round_trip(s):
    """Spec round trip (the contract suite also checks that the rebuilt values are identical)."""
    spec = json.loads(json.dumps(sch.to_spec(s)))
    assert sch.from_spec(spec).spec == s.spec


@st.composite
def wsd_args(draw):
    T = draw(st.integers(2, 3000))
    W = draw(st.integers(0, T - 1))
    D = draw(st.integers(1, T - W))
    kind = draw(st.sampled_from(CLOSED + ["half_life", "exponential_rate"]))
    peak = draw(st.floats(1e-6, 1.0))
    ratio = draw(st.floats(0.01 if kind in ("geometric", "inverse_proportional") else 0.0, 1.0))
    init = draw(st.floats(0.0, 1.0)) * peak
    extra = {}
    if kind == "power":
        extra["power"] = draw(st.floats(0.1, 4.0))
    if kind == "half_life":
        extra["half_life"] = draw(st.floats(1.0, 1e4))
    if kind == "exponential_rate":
        extra.update(decay_rate=draw(st.floats(0.01, 1.0)),
                     transition_steps=draw(st.floats(1.0, 1e3)))
    return dict(peak_value=peak, total_steps=T, warmup_steps=W, decay_steps=D, decay_type=kind,
                end_ratio=ratio, init_value=init, warmup_convention=draw(CONVENTIONS), **extra)


@SETTINGS
@given(wsd_args())
def test_wsd_properties(args):
    s = sch.wsd(**args)
    T, W, D = args["total_steps"], args["warmup_steps"], args["decay_steps"]
    peak, init = args["peak_value"], args["init_value"]
    end = args["end_ratio"] * peak
    lr = sch.to_array(s, T + 3)
    tol = 1e-12 * peak
    assert np.all(np.isfinite(lr))
    assert lr.min() >= min(init, end) - tol and lr.max() <= peak + tol
    assert np.all(np.diff(lr[: W + 1]) >= -tol)
    assert np.all(np.diff(lr[W:]) <= tol)
    if T - D > W:
        assert lr[T - D - 1] == peak and lr[W] == peak
    assert lr[T - D] == peak or W >= T - D
    if args["decay_type"] in CLOSED:
        assert abs(lr[T] - end) <= 1e-12 * peak and lr[T + 2] == lr[T]
    _round_trip(s)


@st.composite
def decay_args(draw):
    T = draw(st.integers(2, 3000))
    W = draw(st.integers(0, T - 1))
    peak = draw(st.floats(1e-6, 1.0))
    return dict(peak_value=peak, total_steps=T, warmup_steps=W,
                end_ratio=draw(st.floats(0.0, 1.0)), init_value=draw(st.floats(0.0, 1.0)) * peak,
                warmup_convention=draw(CONVENTIONS),
                warmup_shape=draw(st.sampled_from(list(sch.WARMUP_SHAPES))))


@SETTINGS
@given(decay_args(), st.sampled_from(["cosine", "linear", "rex"]))
def test_decay_families_properties(args, name):
    s = getattr(sch, name)(**args)
    T, W, peak = args["total_steps"], args["warmup_steps"], args["peak_value"]
    end, init = args["end_ratio"] * peak, args["init_value"]
    lr = sch.to_array(s, T + 3)
    tol = 1e-12 * peak
    assert lr.min() >= min(init, end) - tol and lr.max() <= peak + tol
    assert np.all(np.diff(lr[: W + 1]) >= -tol) and np.all(np.diff(lr[W:]) <= tol)
    assert abs(lr[W] - peak) <= tol and abs(lr[T] - end) <= tol and lr[T + 2] == lr[T]
    if W > 0 and args["warmup_convention"] == "t/W":
        assert abs(lr[0] - init) <= tol
    _round_trip(s)


@SETTINGS
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=30, unique=True),
       st.data(), st.sampled_from(["linear", "previous"]))
def test_tabulated_exact_and_bounded(steps, data, kind):
    steps = sorted(steps)
    # XLA on CPU flushes subnormals to zero, so draw normal floats
    values = data.draw(st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=len(steps),
                                max_size=len(steps)))
    s = sch.tabulated(steps, values, kind=kind)
    n = steps[-1] + 5
    lr = sch.to_array(s, n)
    assert lr[steps].tolist() == values
    assert lr[: steps[0] + 1].tolist() == [values[0]] * (steps[0] + 1)
    for a, b, va, vb in zip(steps, steps[1:], values, values[1:], strict=False):
        seg = lr[a:b]
        assert seg.min() >= min(va, vb) - 1e-15 and seg.max() <= max(va, vb) + 1e-15
        if kind == "previous":
            assert np.all(seg == va)
    _round_trip(s)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 200), min_size=1, max_size=5), st.data())
def test_join_each_phase_sees_its_own_steps(lengths, data):
    peaks = data.draw(st.lists(st.floats(0.1, 1.0), min_size=len(lengths) + 1,
                               max_size=len(lengths) + 1))
    parts = [sch.linear(p, 50, end_ratio=0.5) for p in peaks]
    bounds = list(np.cumsum(lengths).tolist())
    s = sch.join(parts, bounds)
    n = bounds[-1] + 60
    lr = sch.to_array(s, n)
    starts = [0, *bounds]
    for i, part in enumerate(parts):
        a = starts[i]
        b = starts[i + 1] if i + 1 < len(starts) else n
        np.testing.assert_allclose(lr[a:b], sch.to_array(part, b - a), rtol=1e-15)
    _round_trip(s)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 400), st.integers(1, 4), st.integers(0, 20), st.floats(0.0, 0.5))
def test_sgdr_restarts_at_cycle_starts(T0, mult, W, ratio):
    s = sch.sgdr(1.0, T0, cycle_mult=mult, warmup_steps=W, end_ratio=ratio)
    starts, L = [], 0
    while L < 3000:
        starts.append(W + L)
        L += T0 * mult ** (len(starts) - 1)
    lr = sch.to_array(s, starts[-1] + 1)
    assert np.all(lr[starts] == 1.0)
    assert lr[W:].min() >= ratio - 1e-12
