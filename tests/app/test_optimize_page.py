"""Optimize page: free-form + family search on a tiny MPL fit; results are lawfit's."""

import numpy as np
import pytest
from app_helpers import assert_clean, errors, page, tiny_app

import lawfit


@pytest.fixture(scope="module")
def at():
    at = tiny_app()
    at.run()
    page(at, "fit")
    at.multiselect(key="train_runs").set_value(["tiny_const", "tiny_decay"])
    at.number_input(key="num_starts").set_value(2)
    at.button(key="fit").click().run()
    assert_clean(at)
    page(at, "optimize")
    return at


def test_optimize_main_path(at):
    assert_clean(at)
    assert at.number_input(key="opt_total").value == 400
    at.number_input(key="opt_warmup").set_value(0)
    at.selectbox(key="opt_warmup_conv").select("linear")
    at.multiselect(key="opt_families").set_value(["wsd"])
    at.button(key="optimize").click().run()
    assert_clean(at)
    ((name, d),) = at.session_state["fits"].items()
    out = at.session_state["opt_out"][name]  # results are kept per fit
    from lawfit.optimize import optimize_schedule

    ref = optimize_schedule(lawfit.load_fit(d), 400, warmup_steps=0, peak_lr=1e-3, warmup="linear")
    np.testing.assert_allclose(out["lr"], ref.lr, rtol=1e-12, atol=0)
    assert out["summary"]["final_loss"] == pytest.approx(ref.final_loss, rel=1e-12)
    assert [r["family"] for r in out["families"]] == ["wsd"]
    assert len(at.get("plotly_chart")) == 1
    # the page names the fit it optimizes under, and the optimization showed a progress bar
    assert at.selectbox(key="opt_fit").value == name
    (status,) = at.get("status")
    assert status.label.startswith("Optimization finished in ")


def test_bad_budgets_are_readable(at):
    at.text_input(key="opt_budgets").input("12k")
    at.button(key="optimize").click().run()
    assert not at.exception
    assert any("budgets must be whole step counts" in e for e in errors(at))
