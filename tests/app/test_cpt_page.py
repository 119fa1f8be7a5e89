"""CPT & mixtures page: a mixture table from the session's runs, D-CPT fits and the planners
(answers equal lawfit's); a readable error when no run carries a mixture ratio."""

import itertools

import numpy as np
from app_helpers import assert_clean, errors, new_app, packed, page, tiny_app

import lawfit
from lawfit.runs import Run, RunSet


def mixture_runs():
    steps = np.array([99, 299, 999])
    out = []
    for N, r in itertools.product([1e7, 3e7, 1e8], [0.1, 0.3, 0.5, 0.7, 0.9]):
        D = (steps + 1) * 1e6
        g = 2.0 + 300 / N**0.3 + 400 / D**0.3 + 0.3 * r**1.2
        d = 1.8 + 300 / N**0.3 + 400 / D**0.3 + 0.4 * (1 - r) ** 1.5 / (r + 0.05) ** 0.1
        out.append(Run(f"N{N:g}_r{r}", metrics={"val_general": (steps, g), "val_domain": (steps, d)},
                       meta={"N": N, "tokens_per_step": 1e6, "mixture_ratio": r}))
    return RunSet(out)


def test_mixture_planners_from_session_runs():
    at = new_app(_defaults_loaded=True, datasets={"mix": packed(mixture_runs())})
    at.run()
    page(at, "cpt")
    at.radio(key="mix_source").set_value("runs of this session").run()
    at.selectbox(key="mix_general").select("val_general")
    at.selectbox(key="mix_domain").select("val_domain").run()
    at.number_input(key="mix_starts").set_value(4)
    at.button(key="mix_fit").click().run()
    assert_clean(at)
    fits = at.session_state["mix_fits"]
    general = lawfit.load_fit(fits["general"])
    from lawfit.optimize import dcpt_max_domain_ratio

    at.slider(key="mix_threshold").set_value(0.01).run()
    assert_clean(at)
    ref = dcpt_max_domain_ratio(general, N=1e8, D=1e9, threshold=0.01,
                                domain_fit=lawfit.load_fit(fits["domain"]))
    shown = at.metric[0].value
    assert shown == f"{ref.ratio:.4f}"


def test_no_mixture_runs_is_readable():
    at = tiny_app()  # runs without a mixture_ratio (the bundled proxy curves have 1.0)
    at.run()
    page(at, "cpt")
    at.radio(key="mix_source").set_value("runs of this session").run()
    assert not at.exception
    assert any("mixture_ratio" in e for e in errors(at))
