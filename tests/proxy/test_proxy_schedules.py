"""Proxy curves show the schedule effects the laws describe, and the Multi-Power Law fitted on a
constant and a cosine proxy run predicts a WSD proxy run (the issue's accuracy bar)."""

import numpy as np
import pytest

from lawfit import proxy, schedules

T, PEAK, W = 300, 1e-2, 20


@pytest.fixture(scope="module")
def curves(tmp_path_factory, tiny):
    out = tmp_path_factory.mktemp("sched")
    base = proxy.RunConfig("x", steps=T, schedule=None, **tiny)
    cfgs = [
        base.replace(run_id="const", schedule=schedules.constant(PEAK, warmup_steps=W)),
        base.replace(run_id="cosine", schedule=schedules.cosine(PEAK, T, end_ratio=0.1, warmup_steps=W)),
        base.replace(run_id="wsd", schedule=schedules.wsd(PEAK, T, decay_steps=60, end_value=0.0, warmup_steps=W)),
    ]
    proxy.train_many(cfgs, out)  # one vmapped program for the three schedules
    short = proxy.RunConfig("cosine_short", steps=T // 10,
                            schedule=schedules.cosine(PEAK, T // 10, end_ratio=0.1, warmup_steps=3),
                            **{**tiny, "eval_every": 10})
    proxy.train(short, out)
    return proxy.read_runs(out)


def final(run, metric="val_loss"):
    return run.observed(metric).values[-1]


def test_runs_are_complete_and_exact(curves):
    assert curves.ids == ("const", "cosine", "cosine_short", "wsd")
    for r in curves:
        assert r.lr_source == "spec" and r.total_steps == r.meta["total_steps"]
        np.testing.assert_array_equal(r.lr, schedules.to_array(schedules.from_spec(r.meta["schedule"]), r.total_steps))
        loss = r.observed("loss")
        assert loss.steps.tolist() == list(range(r.total_steps))
        assert r.meta["N"] == proxy.ModelConfig(width=32, depth=2, heads=2, context=32).param_counts()[0]
        assert r.meta["tokens_per_step"] == 4 * 32


def test_vmapped_runs_are_independent(curves):
    # const and wsd share the schedule until the decay starts at step 240: identical curves there
    c, w = curves["const"].observed("loss"), curves["wsd"].observed("loss")
    np.testing.assert_array_equal(c.values[:240], w.values[:240])
    assert not np.array_equal(c.values[240:], w.values[240:])


def test_annealed_schedules_end_below_constant(curves):
    assert final(curves["cosine"]) < final(curves["const"])
    assert final(curves["wsd"]) < final(curves["const"])


def test_wsd_drops_sharply_in_its_decay(curves):
    w, c = curves["wsd"].observed("val_loss"), curves["const"].observed("val_loss")
    i = int(np.searchsorted(w.steps, 239))  # last evaluation before the decay
    drop_wsd = w.values[i] - w.values[-1]
    drop_const = c.values[i] - c.values[-1]
    assert drop_wsd > 0.02
    assert drop_wsd > 3 * max(drop_const, 0.0) + 0.01


def test_ten_times_longer_run_ends_lower(curves):
    assert final(curves["cosine"]) < final(curves["cosine_short"]) - 0.1


@pytest.fixture(scope="module")
def mpl_curves(tmp_path_factory, tiny):
    """Constant, cosine and WSD runs at batch 8 (smoother curves than batch 4)."""
    out = tmp_path_factory.mktemp("mpl")
    base = proxy.RunConfig("x", steps=T, schedule=None, **{**tiny, "batch_size": 8})
    proxy.train_many([
        base.replace(run_id="const", schedule=schedules.constant(PEAK, warmup_steps=W)),
        base.replace(run_id="cosine", schedule=schedules.cosine(PEAK, T, end_ratio=0.1, warmup_steps=W)),
        base.replace(run_id="wsd", schedule=schedules.wsd(PEAK, T, decay_steps=60, end_value=0.0, warmup_steps=W)),
    ], out)
    return proxy.read_runs(out)


@pytest.mark.slow
def test_mpl_fit_on_constant_and_cosine_predicts_wsd(mpl_curves):
    import lawfit
    from lawfit.laws import MultiPowerLaw

    # the proxy LR arrays start at step 0 with a t/W warmup from 0: the repository convention
    law = MultiPowerLaw(convention="repo")
    result = lawfit.fit(law, mpl_curves.select(["const", "cosine"]), metric="val_loss")
    metrics = lawfit.evaluate(result, mpl_curves.select(["wsd"]), metric="val_loss")
    prede = metrics["mean"]["prede"]
    print("MPL PredE on the WSD proxy run:", prede)
    assert prede <= 0.01
