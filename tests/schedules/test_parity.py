"""Parity with independent references: the MPL per-step arrays and optax's own schedules."""

import numpy as np
import optax
import pytest

from lawfit import schedules as sch
from lawfit.datasets import MPL_RUNS, mpl_lr
from tests.conftest import shared_path


@pytest.mark.parametrize("run", MPL_RUNS)
def test_mpl_arrays_reproduced_to_1e12(run):
    lr = sch.to_array(sch.mpl_spec(run), sch.mpl_total_steps(run))
    ref = mpl_lr(run)
    assert lr.shape == ref.shape
    nz = ref != 0
    assert np.all(lr[~nz] == 0.0)
    assert np.max(np.abs(lr[nz] - ref[nz]) / ref[nz]) <= 1e-12


def test_mpl_csv_reproduced():
    """The CSV holds 10 significant digits: agreement to 5e-10 relative for all nine runs."""
    import pandas as pd

    df = pd.read_csv(shared_path("data", "mpl", "mpl_lr_schedules_per_step.csv"))
    assert set(df["run"]) == set(MPL_RUNS)
    for run, g in df.groupby("run"):
        g = g.sort_values("step")
        lr = sch.to_array(sch.mpl_spec(run), int(g["step"].max()) + 1)[g["step"].to_numpy()]
        ref = g["lr"].to_numpy()
        nz = ref != 0
        assert np.all(lr[~nz] == 0.0), run
        # 10 significant digits: rounding error <= 5e-10 relative (+ float noise)
        assert np.max(np.abs(lr[nz] - ref[nz]) / ref[nz]) <= 5e-10 + 1e-15, run


@pytest.mark.parametrize(
    ("run", "last"),
    [("cosine_24000", 3.00000014e-05), ("cosine_72000", 3.000000014e-05),
     ("wsd_20000_24000", 3.001727436e-05), ("wsdld_20000_24000", 3.00675e-05)],
)
def test_mpl_published_last_values(run, last):
    """SCHEDULES.md section 16 lists lr[T-1] of the decaying runs (to the digits printed)."""
    lr = sch.to_array(sch.mpl_spec(run), sch.mpl_total_steps(run))
    assert lr[-1] == pytest.approx(last, rel=5e-9)
    assert lr[2159] == 3e-4 and lr[2160] == 3e-4 and lr[0] == 0.0
    assert np.sum(lr[:2160]) == pytest.approx(0.324, rel=1e-14)


def _close(a, b, scale):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13 * scale)


N = 260  # evaluate past every nominal end to check the after-T behaviour too


@pytest.mark.parametrize("init,end", [(0.0, 0.0), (1e-5, 3e-5)])
def test_optax_warmup_cosine(init, end):
    ref = optax.warmup_cosine_decay_schedule(init, 3e-4, 20, decay_steps=200, end_value=end)
    ours = sch.cosine(3e-4, 200, warmup_steps=20, init_value=init, end_value=end)
    _close(sch.to_array(ours, N), sch.to_array(ref, N), 3e-4)


@pytest.mark.parametrize("exponent", [1.0, 2.5])
def test_optax_cosine_decay(exponent):
    ref = optax.cosine_decay_schedule(3e-4, 200, alpha=0.1, exponent=exponent)
    ours = sch.cosine(3e-4, 200, end_ratio=0.1, exponent=exponent)
    _close(sch.to_array(ours, N), sch.to_array(ref, N), 3e-4)


def test_optax_linear_and_polynomial():
    _close(sch.to_array(sch.linear(3e-4, 200, end_value=1e-5), N),
           sch.to_array(optax.linear_schedule(3e-4, 1e-5, 200), N), 3e-4)
    ref = optax.join_schedules(
        [optax.linear_schedule(0.0, 3e-4, 20), optax.linear_schedule(3e-4, 0.0, 180)], [20])
    _close(sch.to_array(sch.linear(3e-4, 200, warmup_steps=20), N), sch.to_array(ref, N), 3e-4)
    _close(sch.to_array(sch.polynomial(3e-4, 200, power=2.0, end_value=1e-6), N),
           sch.to_array(optax.polynomial_schedule(3e-4, 1e-6, 2.0, 200), N), 3e-4)


def test_optax_warmup_constant():
    ref = optax.warmup_constant_schedule(1e-6, 3e-4, 37)
    _close(sch.to_array(sch.constant(3e-4, warmup_steps=37, init_value=1e-6), N),
           sch.to_array(ref, N), 3e-4)


@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize("end", [None, 5e-5])
def test_optax_exponential(staircase, end):
    ref = optax.warmup_exponential_decay_schedule(0.0, 3e-4, 20, transition_steps=15,
                                                  decay_rate=0.7, transition_begin=10,
                                                  staircase=staircase, end_value=end)
    ours = sch.exponential(3e-4, 15, 0.7, warmup_steps=20, transition_begin=10,
                           staircase=staircase, end_value=end)
    _close(sch.to_array(ours, N), sch.to_array(ref, N), 3e-4)


def test_optax_onecycle():
    ref = optax.cosine_onecycle_schedule(200, 3e-4, pct_start=0.25, div_factor=20.0,
                                         final_div_factor=100.0)
    ours = sch.one_cycle(3e-4, 200, pct_start=0.25, div_factor=20.0, final_div_factor=100.0,
                         convention="optax")
    _close(sch.to_array(ours, N), sch.to_array(ref, N), 3e-4)
    ref = optax.linear_onecycle_schedule(200, 3e-4, pct_start=0.3, pct_final=0.8)
    ours = sch.one_cycle(3e-4, 200, anneal="linear", three_phase=True, pct_start=0.3,
                         pct_final=0.8, convention="optax")
    _close(sch.to_array(ours, N), sch.to_array(ref, N), 3e-4)


def test_optax_sgdr_and_join():
    cycles = [dict(init_value=1e-5, peak_value=3e-4, decay_steps=60, warmup_steps=10,
                   end_value=1e-5),
              dict(init_value=1e-5, peak_value=2e-4, decay_steps=100, warmup_steps=5,
                   end_value=0.0)]
    ref = optax.sgdr_schedule(cycles)
    ours = sch.join(
        [sch.cosine(c["peak_value"], c["decay_steps"], warmup_steps=c["warmup_steps"],
                    init_value=c["init_value"], end_value=c["end_value"]) for c in cycles],
        [60])
    _close(sch.to_array(ours, 200), sch.to_array(ref, 200), 3e-4)
    # plain SGDR: equal cycles without warmup
    ref = optax.sgdr_schedule([dict(init_value=3e-4, peak_value=3e-4, decay_steps=40,
                                    warmup_steps=0, end_value=3e-5)] * 5)
    _close(sch.to_array(sch.sgdr(3e-4, 40, end_value=3e-5), 200), sch.to_array(ref, 200), 3e-4)


def test_optax_piecewise_constant():
    ref = optax.piecewise_constant_schedule(3e-4, {50: 0.3, 120: 0.3})
    _close(sch.to_array(sch.multistep(3e-4, [50, 120], gamma=0.3), N), sch.to_array(ref, N),
           3e-4)


def test_optax_accepts_lawfit_schedule():
    import jax.numpy as jnp

    s = sch.wsd(1e-2, 10, decay_steps=3, warmup_steps=2)
    opt = optax.sgd(learning_rate=s)
    params = jnp.ones(2)
    state = opt.init(params)
    seen = []
    for _ in range(5):
        updates, state = opt.update(jnp.ones(2), state, params)
        seen.append(float(-updates[0]))
    np.testing.assert_allclose(seen, sch.to_array(s, 5), rtol=1e-6)


def test_to_array_foreign_scalar_schedule():
    assert sch.to_array(optax.constant_schedule(0.5), 3).tolist() == [0.5, 0.5, 0.5]
    assert sch.to_array(lambda t: 2.0 * t, 3).tolist() == [0.0, 2.0, 4.0]


def test_to_array_untraceable_callable():
    def py_schedule(t):
        return 1.0 if int(t) < 2 else 0.5

    assert sch.to_array(py_schedule, 4).tolist() == [1.0, 1.0, 0.5, 0.5]
