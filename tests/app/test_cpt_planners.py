"""CPT & mixtures page on its demo data: the CPT planner (balance weight -> plan, Pareto front,
bootstrap agreement), the CMR fits and critical ratio, the compute-optimal D-CPT plan. The app's
answers are lawfit's, and the plans chosen from the fits are close to the plans of the constants
that generated the demo data (the published CPT Setting A fits, the CMR demo constants)."""

import math
import sys

import numpy as np
import pytest
from app_helpers import APPS, assert_clean, errors, new_app, packed, page

import lawfit
from lawfit.fitting import FitResult
from lawfit.laws import CPTLaw
from lawfit.runs import Run, RunSet

if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))
from lawfit import demo_data  # noqa: E402


@pytest.fixture(scope="module")
def at():
    at = new_app()
    at.run()
    page(at, "cpt")
    assert_clean(at)
    at.number_input(key="cpt_starts").set_value(4)
    at.number_input(key="cpt_boot").set_value(8)
    at.button(key="cpt_fit").click().run()
    assert_clean(at)
    at.number_input(key="cmr_starts").set_value(8)
    at.button(key="cmr_fit").click().run()
    assert_clean(at)
    return at


def metric(at, label):
    (m,) = [m for m in at.metric if m.label == label]
    return m.value


def test_cpt_planner_follows_the_balance_weight(at):
    from lawfit.optimize import plan_cpt

    fits = {k: lawfit.load_fit(v) for k, v in at.session_state["cpt_fits"].items()}
    assert fits["pt"].metric == "val_pt" and fits["cpt"].metric == "val_cpt"
    assert fits["pt"].draws is not None  # bootstrap draws -> agreement and intervals
    runs = demo_data.cpt_runs()
    pt_lr = runs[runs.ids[0]].lr[: demo_data.PT_STEPS]
    kw = dict(pt_lr=pt_lr, peak_lrs=[5e-5, 1e-4, 2e-4, 3e-4], cpt_steps=[2000, 4000],
              loss_potentials=[0.0, 0.25, 0.5, 1.0])
    truth = plan_cpt(FitResult(law=CPTLaw(), params=demo_data.CPT_PT),
                     FitResult(law=CPTLaw(), params=demo_data.CPT_CPT), lambdas=[0.2, 0.8], **kw)
    for lam, want in zip((0.2, 0.8), truth.choices, strict=True):
        at.select_slider(key="cpt_lambda").set_value(lam).run()
        assert_clean(at)
        ref = plan_cpt(fits["pt"], fits["cpt"], lambdas=[lam], **kw).choices[0]
        assert metric(at, "CPT peak LR") == f"{ref.candidate['peak_lr']:g}"
        assert metric(at, "CPT steps") == f"{ref.candidate['cpt_steps']}"
        assert metric(at, "Bootstrap agreement") == f"{ref.agreement:.0%}"
        # the plan chosen from the fitted laws is near-optimal under the generating constants
        true_obj = lam * truth.L_pt + (1 - lam) * truth.L_cpt
        assert true_obj[ref.index] - true_obj[want.index] < 5e-3
    table = [d.value for d in at.dataframe if "λ" in getattr(d.value, "columns", [])][0]
    assert len(table) == 21 and list(table["λ"])[:3] == [0.0, 0.05, 0.1]


def test_cpt_planner_bad_candidates_are_readable(at):
    at.text_input(key="cpt_peaks").input("1e-4, fast").run()
    assert not at.exception
    assert any("CPT peak LRs must be numbers" in e for e in errors(at))
    at.text_input(key="cpt_peaks").input("5e-5, 1e-4, 2e-4, 3e-4").run()
    assert_clean(at)


def test_cmr_critical_ratio_matches_lawfit_and_truth(at):
    from lawfit.optimize import critical_mixture_ratio

    cmr = at.session_state["cmr_fits"]
    assert cmr["ratios"] == pytest.approx(list(demo_data.CMR_RATIOS))
    at.slider(key="cmr_tmax").set_value(50.0).run()
    assert_clean(at)
    doms = [d["params"] for d in cmr["domain"]]
    gens = [g["params"] for g in cmr["general"]]
    gr = cmr["ratio_fits"]["general"]["params"]
    ref = critical_mixture_ratio(cmr["ratios"], doms, gens, t_max=50.0, lam=1000.0,
                                 general_ratio_params=gr, base_general=demo_data.CMR_BASE["general"],
                                 eps=0.05)
    assert metric(at, "Critical mixture ratio R*") == f"{ref['r_cmr']:.4f}"
    # against the constants that generated the demo table (no admissibility: T0 alone)
    true = [demo_data.cmr_constants(R) for R in demo_data.CMR_RATIOS]
    want = critical_mixture_ratio(demo_data.CMR_RATIOS, [d for d, _ in true], [g for _, g in true],
                                  t_max=50.0, lam=1000.0)
    got = critical_mixture_ratio(cmr["ratios"], doms, gens, t_max=50.0, lam=1000.0)
    assert abs(got["r_cmr"] - want["r_cmr"]) < 0.03
    assert 0 < ref["r_cmr"] <= got["r_cmr"] + 1e-12


def test_cmr_scaling_fit_is_lawfits(at):
    from lawfit.laws import CMR
    from lawfit.optimize import critical_ratio_curve

    cmr = at.session_state["cmr_fits"]
    budgets = [float(b) for b in at.text_input(key="cmr_budgets").value.split(",")]
    pts = critical_ratio_curve(cmr["ratios"], [d["params"] for d in cmr["domain"]],
                               [g["params"] for g in cmr["general"]], budgets, lam=1000.0,
                               eps=0.05, general_ratio_params=cmr["ratio_fits"]["general"]["params"],
                               base_general=demo_data.CMR_BASE["general"])
    ref = lawfit.fit(CMR(kind="scaling"), pts)
    (tab,) = [d.value for d in at.dataframe if list(getattr(d.value, "columns", []))[:1] == ["parameter"]
              and set(d.value["parameter"]) == {"alpha4", "s4", "beta3"}]
    np.testing.assert_allclose(tab.set_index("parameter").loc[["alpha4", "s4", "beta3"], "value"],
                               [ref.params[k] for k in ("alpha4", "s4", "beta3")], rtol=1e-6)


def test_dcpt_compute_optimal_on_demo_table():
    from lawfit.optimize import dcpt_compute_optimal

    at = new_app()
    at.run()
    page(at, "cpt")
    at.number_input(key="mix_starts").set_value(4)
    at.button(key="mix_fit").click().run()
    assert_clean(at)
    at.slider(key="mix_co_ratio").set_value(0.3)
    at.number_input(key="mix_compute").set_value(1e20).run()
    assert_clean(at)
    domain = lawfit.load_fit(at.session_state["mix_fits"]["domain"])
    ref = dcpt_compute_optimal(domain, ratio=0.3, compute=1e20)
    from lawfit.plot import count

    assert metric(at, "Compute-optimal N") == count(ref.N, "parameters")  # e.g. "1.23B parameters"
    assert metric(at, "Compute-optimal D") == count(ref.D, "tokens")
    # the fitted frontier is close to the frontier of the demo constants
    truth = dcpt_compute_optimal(FitResult(law=domain.law, params=demo_data.DCPT_DOMAIN),
                                 ratio=0.3, compute=1e20)
    assert abs(math.log(ref.N / truth.N)) < 0.5


def test_cpt_runs_without_start_step_are_a_readable_error():
    lr = np.full(300, 1e-3)
    run = Run("plain", lr=lr, metrics={"a": ([10, 100, 200], [3.0, 2.9, 2.8]),
                                       "b": ([10, 100, 200], [3.1, 3.0, 2.9])})
    at = new_app(_defaults_loaded=True, datasets={"mine": packed(RunSet([run]))})
    at.run()
    page(at, "cpt")
    at.radio(key="cpt_source").set_value("runs of this session").run()
    at.button(key="cpt_fit").click().run()
    assert not at.exception
    assert any("has no meta['cpt_start_step']" in e for e in errors(at))
    assert "cpt_fits" not in at.session_state


def test_mixture_csv_reader_names_missing_columns():
    import _cpt

    with pytest.raises(ValueError, match=r"t\.csv: columns \['r'\] are missing"):
        _cpt.read_table_csv(b"N,D,general\n1e8,1e9,3.0\n", "t.csv")
    table = _cpt.read_table_csv(b"N,D,r,general\n1e8,1e9,0.5,3.0\n1e8,2e9,0.5,2.9\n", "t.csv")
    assert len(table) == 2 and table.general.tolist() == [3.0, 2.9]


def test_pareto_front_figure():
    from lawfit.plot import pareto_front

    fig = pareto_front([3.0, 3.1, 2.9, 3.2], [2.6, 2.5, 2.9, 2.7], pareto=(2, 0, 1), chosen=1,
                       chosen_interval={"L_pt": (3.05, 3.2), "L_cpt": None})
    cand, front, chosen = fig.data
    assert list(front.x) == [2.9, 3.0, 3.1] and list(front.y) == [2.9, 2.6, 2.5]
    assert list(chosen.x) == [3.1]
    assert chosen.error_x.array[0] == pytest.approx(0.1) and chosen.error_x.arrayminus[0] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="L_pt has shape"):
        pareto_front([1.0], [1.0, 2.0], pareto=())


def test_cpt_fit_on_session_runs_equals_demo_fit(at):
    """PT + CPT runs loaded in the session (uploaded or trained) go through the same fits."""
    other = new_app(_defaults_loaded=True, datasets={"cpt": packed(demo_data.cpt_runs())})
    other.run()
    page(other, "cpt")
    other.radio(key="cpt_source").set_value("runs of this session").run()
    assert_clean(other)
    other.number_input(key="cpt_starts").set_value(4)
    other.number_input(key="cpt_boot").set_value(8)
    other.button(key="cpt_fit").click().run()
    assert_clean(other)
    for k in ("pt", "cpt"):
        assert other.session_state["cpt_fits"][k]["params"] == at.session_state["cpt_fits"][k]["params"]
    assert any(m.label == "CPT peak LR" for m in other.metric)


def test_cmr_table_from_csv_round_trip():
    import io

    import _cpt
    import pandas as pd

    table = demo_data.cmr_table()
    buf = io.StringIO()
    pd.DataFrame({k: v for k, v in _cpt.table_dict(table).items()}).to_csv(buf, index=False)
    back = _cpt.read_table_csv(buf.getvalue().encode(), "cmr.csv")
    for k in ("N", "D", "r", "general", "domain", "base_general", "base_domain"):
        np.testing.assert_array_equal(getattr(back, k), getattr(table, k))
    assert _cpt.base_loss(back, "general") == demo_data.CMR_BASE["general"]
