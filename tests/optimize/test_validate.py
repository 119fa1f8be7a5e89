"""The closed-loop validation: its statistics against scipy and hand computations, and a tiny
end-to-end run (tiny model, few steps) checking that every piece is wired to the right data."""

import json

import numpy as np
import pytest
from scipy.stats import kendalltau

from lawfit import proxy, schedules
from lawfit.optimize import ValidationResult, summarize_validation, validate_schedules


def test_summary_statistics_match_scipy_and_hand_numbers():
    rng = np.random.default_rng(0)
    names = ["cosine", "wsd", "optimum", "a", "b", "c"]
    pred = dict(zip(names, rng.normal(3.0, 0.05, 6), strict=True))
    ach = {n: list(pred[n] + rng.normal(0, 0.03, 4)) for n in names}
    res = summarize_validation(pred, ach, baselines=("cosine", "wsd"), candidates=("optimum",),
                               in_fit=("a", "b"))
    means = [np.mean(ach[n]) for n in names]
    ref = kendalltau([pred[n] for n in names], means)
    assert res.kendall_tau == pytest.approx(ref.statistic, abs=1e-15)
    assert res.kendall_p == pytest.approx(ref.pvalue, abs=1e-15)
    held = [n for n in names if n not in ("a", "b")]
    assert res.kendall_tau_held_out == pytest.approx(
        kendalltau([pred[n] for n in held], [np.mean(ach[n]) for n in held]).statistic)
    row = {r["name"]: r for r in res.rows}
    for n in names:
        assert row[n]["std"] == pytest.approx(np.std(ach[n], ddof=1))
        assert row[n]["error"] == pytest.approx(pred[n] - np.mean(ach[n]))
    assert [r["name"] for r in res.rows] == [names[i] for i in np.argsort(means)]
    base = "cosine" if np.mean(ach["cosine"]) < np.mean(ach["wsd"]) else "wsd"
    v = res.verdicts["optimum"]
    assert v["baseline"] == base
    assert v["margin"] == pytest.approx(np.mean(ach["optimum"]) - np.mean(ach[base]))
    d = np.subtract(ach["optimum"], ach[base])
    assert v["paired_mean"] == pytest.approx(d.mean()) and v["paired_std"] == pytest.approx(d.std(ddof=1))
    pooled = np.sqrt((np.var(ach["optimum"], ddof=1) + np.var(ach[base], ddof=1)) / 2)
    assert v["pooled_std"] == pytest.approx(pooled)
    assert v["no_worse"] == (v["margin"] <= pooled)


def test_verdict_hand_case_and_perfect_ranking():
    # optimum mean 3.02 vs wsd 3.00 (cosine 3.10): margin 0.02 > pooled std 0.01 -> worse
    res = summarize_validation({"cosine": 3.1, "wsd": 3.0, "optimum": 2.9},
                               {"cosine": [3.09, 3.10, 3.11], "wsd": [2.99, 3.0, 3.01],
                                "optimum": [3.01, 3.02, 3.03]}, candidates=("optimum",))
    v = res.verdicts["optimum"]
    assert v["margin"] == pytest.approx(0.02) and v["pooled_std"] == pytest.approx(0.01)
    assert v["no_worse"] is False
    assert res.kendall_tau == pytest.approx(1 / 3)  # 2 concordant pairs, 1 discordant of 3


def test_summary_rejects_missing_and_unknown_names():
    with pytest.raises(ValueError, match="missing"):
        summarize_validation({"a": 1.0, "b": 2.0}, {"a": [1.0, 1.0]}, baselines=(), candidates=())
    with pytest.raises(ValueError, match=r"baselines \['cosine', 'wsd'\] are not among"):
        summarize_validation({"a": 1.0, "b": 2.0}, {"a": [1.0, 1.1], "b": [2.0, 2.1]})


@pytest.mark.slow
def test_end_to_end_tiny(tmp_path):
    """Tiny model, 60 steps, 2 seeds: every schedule is trained for every seed with the warmup,
    peak and budget shared; the optimum is the one optimize_schedule returns for the fit; the
    refined schedule is built from the linear runs' logged gradient norms; JSON round trip."""
    T, W, peak = 60, 6, 1e-2
    base = proxy.RunConfig("v", steps=1, schedule=None, batch_size=4, eval_every=10,
                           val_sequences=32,
                           model=proxy.ModelConfig(width=16, depth=1, heads=2, context=16))
    res = validate_schedules(T, peak_lr=peak, warmup_steps=W, seeds=(0, 1), base=base,
                             out_dir=tmp_path)
    names = {r["name"] for r in res.rows}
    assert names == {"constant", "linear", "wsd", "cosine", "uba", "optimum", "smooth_optimum",
                     "best_wsd", "refined"}
    for n, lr in res.lr.items():
        assert len(lr) == T and max(lr) == pytest.approx(peak)
        top = lr[W] if n == "refined" else peak  # refined's warmup rises to its own start
        np.testing.assert_allclose(lr[:W], np.linspace(0, top, W), atol=1e-12, err_msg=n)
    runs = proxy.read_runs(tmp_path)
    assert len(runs) == 2 * len(names)
    for r in res.rows:  # achieved = the logged final val_loss of each seed's run
        for s, a in zip((0, 1), r["achieved"], strict=True):
            obs = runs[f"{r['name']}-s{s}"].observed("val_loss")
            assert obs.steps[-1] == T - 1 and a == obs.values[-1]
    g = np.mean([runs[f"linear-s{s}"].observed("grad_norm").values[W:] for s in (0, 1)], axis=0)
    ref = schedules.to_array(schedules.refined(g.tolist(), peak, warmup_steps=W,
                                               warmup_convention="linspace"), T)
    np.testing.assert_allclose(res.lr["refined"], ref, rtol=1e-12)
    assert {r["name"] for r in res.rows if r["in_fit"]} == {"constant", "linear", "wsd"}
    back = ValidationResult.from_json(tmp_path / "validation.json")
    assert back.kendall_tau == res.kendall_tau and back.rows == res.rows
    assert json.loads((tmp_path / "validation.json").read_text())["seeds"] == [0, 1]
    assert "Kendall tau" in str(res)


@pytest.mark.parametrize("name", ["lawfit.optimize._validate_result", "lawfit.plot._validation"])
def test_docstring_examples(name):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(name)).failed == 0
