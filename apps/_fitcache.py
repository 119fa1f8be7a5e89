"""Content-keyed caches around lawfit's fitting engine (no maths: every number is lawfit's).

* Law objects are ``st.cache_resource`` singletons per (name, options): lawfit compiles its
  jitted programs per law, so sharing the law shares the compiled functions across reruns and
  sessions (laws are immutable).
* Fits are ``st.cache_data`` keyed by the law, the options and the *content* of the runs; the
  cached value is ``FitResult.to_dict()`` and ``lawfit.load_fit`` rebuilds a bit-identical result.
* Predictions and evaluations are cached the same way, so interactions after the first fit
  (switching runs, log axes, tabs) do not recompute anything.
"""

from __future__ import annotations

import json
from typing import Any

import _state
import numpy as np
import streamlit as st

from lawfit.runs import Run, RunSet

#: Laws that fit per-step loss curves (the Fit page); the others need tables (CPT page).
CURVE_LAWS = ("mpl", "momentum")


@st.cache_resource(show_spinner=False)
def law(name: str, options_json: str = "{}") -> Any:
    """The law ``name`` built with JSON ``options`` (shared: laws are immutable)."""
    import lawfit.laws

    return lawfit.laws.get(name, **json.loads(options_json))


def parse_options(text: str) -> dict[str, Any]:
    """Law options typed by the user as a JSON object."""
    text = (text or "").strip() or "{}"
    try:
        opts = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"law options must be a JSON object, e.g. {{\"lam\": 0.999}}; {e}") from None
    if not isinstance(opts, dict):
        raise ValueError(f"law options must be a JSON object, got {text!r}")
    return opts


@st.cache_data(max_entries=64, show_spinner=False)
def _fit(name: str, options_json: str, packed: list[dict[str, Any]], kwargs_json: str,
         n_boot: int) -> dict[str, Any]:
    import lawfit

    runs = _state.unpack(packed)
    result = lawfit.fit(law(name, options_json), runs, **json.loads(kwargs_json))
    if n_boot > 0:
        result = lawfit.bootstrap(result, runs, n=n_boot)
    return result.to_dict()


def fit(name: str, options: dict[str, Any], runs: RunSet, n_boot: int = 0, **kwargs: Any):
    """``lawfit.fit`` (+ ``lawfit.bootstrap`` when ``n_boot``), cached by content."""
    import lawfit

    d = _fit(name, json.dumps(options, sort_keys=True), _state.pack(runs),
             json.dumps(kwargs, sort_keys=True), int(n_boot))
    return lawfit.load_fit(d)


@st.cache_data(max_entries=128, show_spinner=False)
def _predict(fit_dict: dict[str, Any], packed: list[dict[str, Any]], band: float | None):
    import lawfit

    result = lawfit.load_fit(fit_dict)
    runs = _state.unpack(packed)
    out = {}
    for r in runs:
        steps = predictable_steps(result, r, r.observed(result.metric).steps)
        p = result.predict(r, steps, band=band)
        if band is None:
            out[r.run_id] = {"steps": np.asarray(steps), "median": np.asarray(p)}
        else:
            c, lo, hi = p
            out[r.run_id] = {"steps": np.asarray(steps), "median": np.asarray(c),
                             "lower": np.asarray(lo), "upper": np.asarray(hi)}
    return out


def predictable_steps(result: Any, run: Run, steps: np.ndarray) -> np.ndarray:
    """The subset of ``steps`` at which the fitted law defines a prediction for ``run`` (e.g. the
    paper convention of the Multi-Power Law leaves the warmup out), as the law selects them."""
    inputs = result.law.prepare(RunSet([run]), steps=np.asarray(steps), predict=True,
                                exclude_warmup=result.exclude_warmup)
    return np.asarray(inputs.steps)


def predict_observed(result: Any, runs: RunSet, band: float | None = None) -> dict[str, Any]:
    """Predictions of ``result`` at every observed step of each run (with a band when the fit
    has bootstrap draws), cached by content."""
    if band is not None and not result.draws:
        band = None
    usable = RunSet(r for r in runs if result.metric in r.metrics and r.lr is not None)
    return _predict(result.to_dict(), _state.pack(usable), band)


@st.cache_data(max_entries=128, show_spinner=False)
def _evaluate(fit_dict: dict[str, Any], packed: list[dict[str, Any]]) -> dict[str, Any]:
    import lawfit

    return lawfit.evaluate(lawfit.load_fit(fit_dict), _state.unpack(packed))


def evaluate(result: Any, runs: RunSet) -> dict[str, Any]:
    """``lawfit.evaluate`` cached by content."""
    return _evaluate(result.to_dict(), _state.pack(runs))


def parameter_rows(result: Any) -> list[dict[str, Any]]:
    """The parameter table of a fit as rows of values lawfit computed (bootstrap intervals are
    in ``result.report()``)."""
    rows = []
    for n in result.law.param_names:
        row = {"parameter": n, "value": result.params[n],
               "stderr": (result.stderr or {}).get(n, float("nan")),
               "fixed": n in result.fixed, "at bound": n in result.at_bounds}
        lo, hi = result.bounds.get(n, (float("-inf"), float("inf")))
        row["bounds"] = f"[{lo:g}, {hi:g}]"
        rows.append(row)
    return rows


def remember(name: str, result: Any) -> None:
    """Keep a fit in this session (as its JSON dict)."""
    _state.init_session()
    st.session_state["fits"][name] = result.to_dict()
    st.session_state["fit_result"] = name


def read_fit_json(data: bytes):
    """A fit saved by the Fit page (``FitResult.to_json``), read with ``lawfit.load_fit`` (JSON
    only, never a pickle); a readable ValueError when it is not one."""
    import lawfit

    try:
        d = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"not valid JSON ({e})") from None
    if not isinstance(d, dict) or "law" not in d or "params" not in d:
        raise ValueError("not a lawfit fit: expected a JSON object with 'law' and 'params' "
                         "(a file saved with 'Download fit (JSON)')")
    return lawfit.load_fit(d)


def session_fits() -> dict[str, Any]:
    _state.init_session()
    return st.session_state["fits"]


def get_fit(name: str):
    import lawfit

    return lawfit.load_fit(session_fits()[name])


# -- schedules: predictions and rankings (Predict & compare, Optimize) ------------------------
@st.cache_data(max_entries=256, show_spinner=False)
def _predict_lr(fit_dict: dict[str, Any], lr: np.ndarray, steps: np.ndarray, band: float | None):
    import lawfit

    result = lawfit.load_fit(fit_dict)
    steps = predictable_steps(result, Run("schedule", lr=lr), steps)
    p = result.predict(lr, steps, band=band)
    if band is None:
        return {"steps": steps, "median": np.asarray(p)}
    c, lo, hi = p
    return {"steps": steps, "median": np.asarray(c), "lower": np.asarray(lo),
            "upper": np.asarray(hi)}


def predict_lr(result: Any, lr: np.ndarray, steps: np.ndarray, band: float | None = 0.9):
    """``result.predict`` of a per-step LR array at ``steps`` (with a band when the fit has
    bootstrap draws), cached by content."""
    return _predict_lr(result.to_dict(), np.asarray(lr), np.asarray(steps),
                       band if result.draws else None)


@st.cache_data(max_entries=128, show_spinner=False)
def _compare(fit_dict: dict[str, Any], arrays: dict[str, np.ndarray], total: int,
             budgets: tuple[int, ...]):
    import lawfit
    from lawfit.optimize import compare

    cmp = compare(lawfit.load_fit(fit_dict), arrays, total, budgets=budgets or None)
    return cmp.rows, list(cmp.warnings)


def compare(result: Any, arrays: dict[str, np.ndarray], total: int, budgets=()):
    """``lawfit.optimize.compare`` on per-step LR arrays, cached by content."""
    return _compare(result.to_dict(), {k: np.asarray(v) for k, v in arrays.items()}, int(total),
                    tuple(int(b) for b in budgets))


def schedule_array(spec: dict[str, Any], total: int) -> np.ndarray:
    """The per-step LR array of a schedule spec (``lawfit.schedules``)."""
    from lawfit import schedules

    return np.asarray(schedules.to_array(schedules.from_spec(spec), int(total)))


def display_steps(total: int, n: int = 240) -> np.ndarray:
    """Up to ``n`` integer steps spread over ``[0, total)`` at which curves are drawn."""
    return np.unique(np.linspace(0, int(total) - 1, n).round().astype(np.int64))


@st.cache_data(max_entries=32, show_spinner=False)
def _optimize(fit_dict: dict[str, Any], settings_json: str, families: tuple[str, ...]):
    import lawfit
    from lawfit.optimize import optimize_schedule, search_family

    s = json.loads(settings_json)
    result = lawfit.load_fit(fit_dict)
    opt = optimize_schedule(result, s["total_steps"], warmup_steps=s["warmup_steps"],
                            peak_lr=s["peak_lr"], warmup=s["warmup"],
                            budgets=s["budgets"] or None, max_area=s["max_area"])
    out = {
        "lr": np.asarray(opt.lr),
        "summary": opt.summary(),
        "closed_form": opt.closed_form.to_dict(),
        "closed_form_lr": np.asarray(opt.closed_form.to_array(s["warmup"])),
        "budget_losses": {str(k): v for k, v in opt.budget_losses.items()},
        "warnings": list(opt.warnings),
        "families": [],
        "family_lrs": {},
    }
    if families:
        fam = search_family(result, s["total_steps"], warmup_steps=s["warmup_steps"],
                            peak_lr=s["peak_lr"], warmup=s["warmup"], families=families)
        out["families"] = fam.table
        out["family_lrs"] = {f: np.asarray(fam.lr(f, s["warmup"])) for f in fam.best}
    return out


def optimize(result: Any, settings: dict[str, Any], families: tuple[str, ...]):
    """``lawfit.optimize.optimize_schedule`` + ``search_family``, cached by content."""
    return _optimize(result.to_dict(), json.dumps(settings, sort_keys=True), tuple(families))


# -- mixture tables (CPT & mixtures page) ---------------------------------------------------
@st.cache_data(max_entries=32, show_spinner=False)
def _fit_table(name: str, options_json: str, table_dict: dict[str, Any], num_starts: int,
               n_boot: int = 0):
    import lawfit
    from lawfit.mixtures import MixtureTable

    cols = {k: v for k, v in table_dict.items() if v is not None}
    table = MixtureTable(**cols)
    result = lawfit.fit(law(name, options_json), table, num_starts=num_starts)
    if n_boot > 0:
        result = lawfit.bootstrap(result, table, n=n_boot, kind="points")
    return result.to_dict()


def fit_table(name: str, options: dict[str, Any], table: Any, num_starts: int = 16,
              n_boot: int = 0):
    """``lawfit.fit`` (+ ``lawfit.bootstrap`` over points when ``n_boot``) of a table law (D-CPT,
    CMR) on a ``MixtureTable``, cached by content."""
    import lawfit

    cols = {k: getattr(table, k) for k in ("N", "D", "r", "general", "domain", "K", "k1", "k2",
                                           "base_general", "base_domain")
            if getattr(table, k, None) is not None}
    return lawfit.load_fit(_fit_table(name, json.dumps(options, sort_keys=True),
                                      {k: np.asarray(v) for k, v in cols.items()},
                                      int(num_starts), int(n_boot)))
