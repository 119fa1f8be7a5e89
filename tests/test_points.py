"""The one meaning of ``steps=`` (lawfit.runs.select_points, used by every law's prepare) and the
automatic choice of fitting points (lawfit.runs.fitting_points)."""

import numpy as np
import pytest

from lawfit.laws import CPTLaw, MomentumLaw, MultiPowerLaw
from lawfit.runs import Run, fitting_points, select_points

LR = np.r_[np.linspace(1e-4, 1e-3, 10), np.full(290, 1e-3)]
RUN = Run("r", lr=LR, metrics={"loss": ([20, 100, 200, 299], [3.0, 2.5, 2.4, 2.3])},
          meta={"warmup_steps": 10})


def test_select_points_meaning():
    # fit: the observed points at the selected steps
    assert select_points(RUN, "loss")[0].tolist() == [20, 100, 200, 299]
    assert select_points(RUN, "loss", range(0, 150))[0].tolist() == [20, 100]
    assert select_points(RUN, "loss", slice(100, None))[0].tolist() == [100, 200, 299]
    assert select_points(RUN, "loss", [200, 20, 20, 7])[0].tolist() == [20, 200]
    assert select_points(RUN, "loss", {"other": [1]})[0].tolist() == [20, 100, 200, 299]
    # predict: exactly the selected steps, observed value or NaN
    s, y = select_points(RUN, "loss", range(98, 102), predict=True)
    assert s.tolist() == [98, 99, 100, 101]
    np.testing.assert_array_equal(np.isnan(y), [True, True, False, True])
    assert y[2] == 2.5
    s, _ = select_points(RUN, "loss", [5, 3, 5], predict=True)
    assert s.tolist() == [3, 5]  # sorted, no duplicates
    assert select_points(RUN, "loss", slice(0, None, 100), predict=True)[0].tolist() == [0, 100, 200]
    assert select_points(RUN, "val", None, predict=True)[0].size == LR.size  # nothing observed: every step
    with pytest.raises(ValueError, match="whole steps"):
        select_points(RUN, "loss", [1.5])
    with pytest.raises(ValueError, match="no metric 'val'"):
        select_points(RUN, "val")


@pytest.mark.parametrize("steps", [range(50, 150), slice(50, 150), [149, 50, 50, 100]])
def test_every_law_gives_steps_the_same_meaning(steps):
    """Issue 19: MPL, momentum and CPT used to read a range / slice / unsorted list differently."""
    want_predict = select_points(RUN, "loss", steps, predict=True)[0]
    want_fit = select_points(RUN, "loss", steps)[0]
    cpt = Run("c", lr=LR, metrics=dict(RUN.metrics), meta={"cpt_start_step": 300, "warmup_steps": 10, "N": 1e8})
    for law, run in ((MultiPowerLaw("repo"), RUN), (MomentumLaw(lam=0.99), RUN), (CPTLaw(), cpt)):
        got = law.prepare(run, steps=steps, predict=True)
        np.testing.assert_array_equal(got.steps, want_predict, err_msg=type(law).__name__)
        got = law.prepare(run, steps=steps, exclude_warmup=False)
        np.testing.assert_array_equal(got.steps, want_fit, err_msg=type(law).__name__)


def test_fitting_points_keeps_small_runs_whole():
    idx, w = fitting_points(np.arange(0, 1000, 7), max_points=1024)
    assert idx.tolist() == list(range(143)) and np.all(w == 1)


def test_fitting_points_bounded_weighted_and_dense_where_lr_changes():
    T = 60_000
    steps = np.arange(T)
    lr = np.r_[np.full(48_000, 1e-3), np.linspace(1e-3, 1e-5, 12_000)]  # WSD: decay in the last 20%
    idx, w = fitting_points(steps, lr, max_points=1000, start=0)
    assert idx.size <= 1000 and idx.size > 900
    assert idx[0] == 0 and idx[-1] == T - 1 and np.all(np.diff(idx) > 0)
    assert w.sum() == T  # each chosen point stands for the observed points nearest to it
    # a weighted mean over the chosen points reproduces the mean over all points of a smooth curve
    f = np.log1p(steps) + 1e3 * np.cumsum(lr) / lr.sum()
    assert abs(np.sum(w * f[idx]) / T - f.mean()) < 1e-3 * abs(f.mean())
    # the decay (20% of the steps) gets far more than 20% of the points; constant LR: none of that third
    assert np.mean(idx >= 48_000) > 0.3
    idx_c, _ = fitting_points(steps, np.full(T, 1e-3), max_points=1000)
    assert np.mean(idx_c >= 48_000) < 0.25
    with pytest.raises(ValueError, match="max_points"):
        fitting_points(steps, max_points=1)
