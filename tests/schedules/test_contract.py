"""The contract every schedule family must pass (see _cases.py for the cases)."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lawfit import schedules as sch

from ._cases import CASES, IDS

pytestmark = pytest.mark.parametrize("case", CASES, ids=IDS)


def test_every_family_has_a_case(case):
    families = {c.schedule.family for c in CASES}
    assert families >= set(sch.families()) - set(), sorted(set(sch.families()) - families)


def test_jit_equals_eager(case):
    steps = jnp.arange(case.total + 20)
    eager = np.asarray(case.schedule(steps))
    jitted = np.asarray(jax.jit(case.schedule)(steps))
    np.testing.assert_allclose(jitted, eager, rtol=1e-13, atol=1e-20)


def test_scalar_array_int_float(case):
    s = case.schedule
    for t in (0, 1, case.total // 3, case.total - 1, case.total + 5):
        a, b = s(t), s(float(t))
        assert jnp.shape(a) == () and jnp.shape(b) == ()
        assert float(a) == float(b)
        assert float(s(np.int32(t))) == float(a)
    grid = jnp.arange(12).reshape(3, 4)
    out = s(grid)
    assert out.shape == (3, 4)
    # XLA may vectorise a division as a reciprocal multiply: equal up to an ulp or two
    np.testing.assert_allclose(np.asarray(out).ravel(),
                               np.asarray([float(s(int(t))) for t in range(12)]), rtol=1e-15)


def test_to_array_matches_calls(case):
    lr = sch.to_array(case.schedule, case.total)
    assert lr.dtype == np.float64 and lr.shape == (case.total,)
    np.testing.assert_array_equal(lr, np.asarray(case.schedule(jnp.arange(case.total))))


def test_finite_and_in_range(case):
    lr = sch.to_array(case.schedule, case.total + 50)  # also past the nominal end
    assert np.all(np.isfinite(lr))
    tol = 1e-12 * case.upper
    assert lr.min() >= case.lower - tol, (lr.min(), case.lower)
    assert lr.max() <= case.upper + tol, (lr.max(), case.upper)


def test_monotone_where_promised(case):
    lr = sch.to_array(case.schedule, case.total + 50)
    tol = 1e-13 * case.upper
    assert np.all(np.diff(lr[: case.warmup + 1]) >= -tol), "warmup must not decrease"
    if case.monotone:
        d = np.diff(lr[case.warmup:])
        assert np.all(d <= tol), f"increases after warmup at {np.argmax(d > tol) + case.warmup}"


def test_continuous_at_boundaries(case):
    eps = 1e-7
    for b in case.boundaries:
        left = float(case.schedule(b - eps))
        right = float(case.schedule(b + eps))
        assert abs(left - right) <= 1e-4 * case.upper, (b, left, right)


def test_spec_round_trip_exact(case):
    spec = sch.to_spec(case.schedule)
    text = json.dumps(spec)
    rebuilt = sch.from_spec(json.loads(text))
    assert rebuilt.spec == spec
    assert sch.to_spec(rebuilt) == spec
    n = case.total + 20
    np.testing.assert_array_equal(sch.to_array(rebuilt, n), sch.to_array(case.schedule, n))


def test_float32_mode(case):
    """Without x64 the schedule still works (float32) and agrees to float32 precision."""
    ref = sch.to_array(case.schedule, case.total)
    with jax.enable_x64(False):
        out = np.asarray(case.schedule(jnp.arange(case.total)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=2e-5, atol=2e-6 * case.upper)
