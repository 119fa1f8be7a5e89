"""compare(): predictions equal direct law evaluations, draws give consistent uncertainty, the
ranking of the 24K MPL runs from a train-split fit matches the observed ranking, bad input."""

import types

import numpy as np
import pytest

from lawfit.datasets import MPL_TRAIN, mpl_lr, mpl_runs
from lawfit.optimize import MPL_REPO_PARAMS, compare, mpl_final_loss

T, W, PEAK = 24000, 2160, 3e-4
RUNS_24K = ("constant_24000", "cosine_24000", "wsd_20000_24000", "wsdld_20000_24000")


def test_rows_match_direct_evaluation():
    from lawfit import schedules as sch
    from lawfit.laws import MultiPowerLaw

    p = MPL_REPO_PARAMS["400M"]
    cos = sch.cosine(PEAK, total_steps=T, warmup_steps=W, end_value=3e-5,
                     warmup_convention="linspace")
    scheds = {"cos": cos, "wsd": mpl_lr("wsd_20000_24000"), "const": sch.to_spec(
        sch.constant(PEAK, warmup_steps=W, warmup_convention="linspace"))}
    table = compare((MultiPowerLaw(convention="repo"), p), scheds, T, budgets=[8000])
    assert table.names() == ["wsd", "cos", "const"]  # LAWS.md 11.1 ordering
    for row in table.rows:
        lr = {"cos": mpl_lr("cosine_24000"), "wsd": mpl_lr("wsd_20000_24000"),
              "const": mpl_lr("constant_24000")}[row["name"]]
        assert row["final_loss"] == pytest.approx(
            mpl_final_loss(p, lr, W, convention="repo"), rel=1e-10)
        assert row["loss@8000"] == pytest.approx(
            mpl_final_loss(p, lr[:8000], W, convention="repo"), rel=1e-10)
    assert table.rows[0]["delta"] == 0 and table.rows[2]["delta"] == pytest.approx(
        table.rows[2]["final_loss"] - table.rows[0]["final_loss"])
    assert table.band is None and "final_std" not in table.rows[0]
    # the same with a bare params dict
    again = compare(p, scheds, T, convention="repo")
    assert [r["final_loss"] for r in again.rows] == pytest.approx(
        [r["final_loss"] for r in table.rows], rel=1e-12)


def test_draws_give_uncertainty():
    from lawfit.laws import MultiPowerLaw

    p = MPL_REPO_PARAMS["100M"]
    rng = np.random.default_rng(1)
    draws = {k: v * (1 + 0.01 * rng.standard_normal(40)) for k, v in p.items()}
    fake = types.SimpleNamespace(law=MultiPowerLaw(convention="repo"), params=p, draws=draws)
    lrs = {n: mpl_lr(n)[:6000] for n in ("constant_24000", "cosine_24000")}
    lrs["wsd"] = np.concatenate([mpl_lr("constant_24000")[:5000], np.linspace(3e-4, 3e-5, 1000)])
    table = compare(fake, lrs, 6000, band=0.8)
    assert table.band == 0.8
    assert sum(r["p_best"] for r in table.rows) == pytest.approx(1.0)
    for row in table.rows:
        per_draw = [mpl_final_loss({k: draws[k][i] for k in p}, lrs[row["name"]], W,
                                   convention="repo") for i in range(40)]
        assert row["final_std"] == pytest.approx(np.std(per_draw, ddof=1), rel=1e-8)
        assert row["final_lo"] == pytest.approx(np.quantile(per_draw, 0.1), rel=1e-10)
        assert row["final_lo"] <= row["final_hi"]


def test_bad_input():
    p = MPL_REPO_PARAMS["400M"]
    with pytest.raises(ValueError, match="total_steps=24000"):
        compare(p, {"short": mpl_lr("wsdcon_9")}, T, convention="repo")
    with pytest.raises(ValueError, match="budget"):
        compare(p, [mpl_lr("cosine_24000")], T, convention="repo", budgets=[30000])
    with pytest.raises(ValueError, match="convention"):
        compare(p, [mpl_lr("cosine_24000")], T)
    with pytest.warns(UserWarning, match="fitted horizon"):
        table = compare(p, [mpl_lr("cosine_24000")], T, convention="repo", fitted_horizon=240)
    assert table.warnings and "100.0x" in table.warnings[0]


@pytest.mark.slow
def test_train_fit_ranks_24k_runs_like_observed():
    import lawfit
    from lawfit.laws import MultiPowerLaw

    runs = mpl_runs("400M")
    res = lawfit.fit(MultiPowerLaw.for_fitting("paper"), runs.select(MPL_TRAIN))
    table = compare(res, {n: runs[n] for n in RUNS_24K}, T)
    observed = {n: runs[n].observed("loss").values[-1] for n in RUNS_24K}
    assert table.names() == sorted(RUNS_24K, key=observed.get)
