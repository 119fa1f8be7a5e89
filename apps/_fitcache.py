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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import _state
import numpy as np
import streamlit as st

import lawfit.laws
from lawfit.runs import Run, RunSet

#: Laws that fit per-step loss curves (the Fit page); the others need tables (CPT page).
CURVE_LAWS = lawfit.laws.names(data="curves")


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


_COMPILED: set[str] = set()  # laws (name + options) fitted once in this server process


@st.cache_data(max_entries=64, show_spinner=False)
def _fit(name: str, options_json: str, packed: list[dict[str, Any]], kwargs_json: str,
         n_boot: int, _progress: Any = None) -> dict[str, Any]:
    import lawfit

    runs = _state.unpack(packed)
    first = f"{name} {options_json}" not in _COMPILED
    if _progress is not None:
        _progress.phase(f"compiling {name} with JAX (first fit of this law), then fitting"
                        if first else f"fitting {name}")
    result = lawfit.fit(law(name, options_json), runs, **json.loads(kwargs_json))
    _COMPILED.add(f"{name} {options_json}")
    if n_boot > 0:
        if _progress is not None:
            _progress.phase(f"bootstrap: refitting {n_boot} resampled replicates")
        result = lawfit.bootstrap(result, runs, n=n_boot)
    return result.to_dict()


def fit(name: str, options: dict[str, Any], runs: RunSet, n_boot: int = 0, progress: Any = None,
        **kwargs: Any):
    """``lawfit.fit`` (+ ``lawfit.bootstrap`` when ``n_boot``), cached by content; ``progress``
    (an ``_progress.Progress``) is told the phase."""
    import lawfit

    d = _fit(name, json.dumps(options, sort_keys=True), _state.pack(runs),
             json.dumps(kwargs, sort_keys=True), int(n_boot), progress)
    return lawfit.load_fit(d)


class Predicted(NamedTuple):
    """Predicted curves ``{name: {"steps", "median"[, "lower", "upper"]}}`` and the warnings
    the predictions raised (extrapolation beyond the fitted horizon), each naming its curve."""

    curves: dict[str, Any]
    warnings: list[str]


@contextmanager
def _collect(out: list[str], name: str) -> Iterator[None]:
    """Record the warnings raised in the block as ``"<name>: <message>"`` in ``out``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    out.extend(f"{name}: {w.message}" for w in caught
               if not issubclass(w.category, DeprecationWarning))


@st.cache_data(max_entries=128, show_spinner=False)
def _predict(fit_dict: dict[str, Any], packed: list[dict[str, Any]], band: float | None):
    import lawfit

    result = lawfit.load_fit(fit_dict)
    runs = _state.unpack(packed)
    out, notes = {}, []
    for r in runs:
        steps = predictable_steps(result, r, r.observed(result.metric).steps)
        with _collect(notes, r.run_id):
            p = result.predict(r, steps, band=band)
        if band is None:
            out[r.run_id] = {"steps": np.asarray(steps), "median": np.asarray(p)}
        else:
            c, lo, hi = p
            out[r.run_id] = {"steps": np.asarray(steps), "median": np.asarray(c),
                             "lower": np.asarray(lo), "upper": np.asarray(hi)}
    return Predicted(out, notes)


def predictable_steps(result: Any, run: Run, steps: np.ndarray) -> np.ndarray:
    """The subset of ``steps`` at which the fitted law defines a prediction for ``run`` (e.g. the
    paper convention of the Multi-Power Law leaves the warmup out), as the law selects them."""
    inputs = result.law.prepare(RunSet([run]), steps=np.asarray(steps), predict=True,
                                exclude_warmup=result.exclude_warmup)
    return np.asarray(inputs.steps)


def predict_observed(result: Any, runs: RunSet, band: float | None = None) -> Predicted:
    """Predictions of ``result`` at every observed step of each run (with a band when the fit
    has bootstrap draws) and their warnings, cached by content."""
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


def remember(description: str, result: Any, heldout: list[str] | tuple[str, ...] = ()) -> str:
    """Keep a fit in this session (as its JSON dict) under a numbered name
    (``"#3 · <description>"``), make it the current fit of every page, and return the name.
    ``heldout``: the runs chosen as held out for it."""
    _state.init_session()
    ss = st.session_state
    ss["fit_counter"] = ss.get("fit_counter", 0) + 1
    name = f"#{ss['fit_counter']} · {description}"
    ss["fits"][name] = result.to_dict()
    ss.setdefault("fit_heldout", {})[name] = list(heldout)
    ss["fit_result"] = name
    return name


def heldout_of(name: str) -> list[str]:
    """The held-out runs chosen with the fit ``name``."""
    return list(st.session_state.get("fit_heldout", {}).get(name, []))


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
    notes: list[str] = []
    with _collect(notes, "schedule"):
        p = result.predict(lr, steps, band=band)
    if band is None:
        return {"steps": steps, "median": np.asarray(p)}, notes
    c, lo, hi = p
    return {"steps": steps, "median": np.asarray(c), "lower": np.asarray(lo),
            "upper": np.asarray(hi)}, notes


def predict_lr(result: Any, lrs: dict[str, np.ndarray], steps: np.ndarray,
               band: float | None = 0.9) -> Predicted:
    """``result.predict`` of per-step LR arrays ``{name: lr}`` at ``steps`` (those below each
    array's length; with a band when the fit has bootstrap draws) and the warnings each raised,
    cached by content."""
    curves, notes = {}, []
    steps = np.asarray(steps)
    for name, lr in lrs.items():
        lr = np.asarray(lr)
        curves[name], w = _predict_lr(result.to_dict(), lr, steps[steps < lr.size],
                                      band if result.draws else None)
        notes.extend(m.replace("schedule: ", f"{name}: ", 1) for m in w)
    return Predicted(curves, notes)


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


def _reporter(progress: Any) -> Any:
    """The ``progress(fraction, phase)`` callback of lawfit's optimizers
    (:data:`lawfit.optimize.ProgressFn`), forwarded to the page's progress box."""

    def report(fraction: float, phase: str) -> None:
        progress.phase(str(phase), float(fraction))

    return report


def _progress_kwargs(progress: Any) -> dict[str, Any]:
    """``{"progress": callback}`` for ``optimize_schedule`` (nothing when the page has no
    progress box)."""
    return {} if progress is None else {"progress": _reporter(progress)}


@st.cache_data(max_entries=32, show_spinner=False)
def _optimize(fit_dict: dict[str, Any], settings_json: str, families: tuple[str, ...],
              _progress: Any = None):
    import lawfit
    from lawfit.optimize import optimize_schedule, search_family

    s = json.loads(settings_json)
    result = lawfit.load_fit(fit_dict)
    notes: list[str] = []
    if _progress is not None:
        _progress.phase("optimizing the schedule")
    with _collect(notes, "free-form schedule"):
        opt = optimize_schedule(result, s["total_steps"], warmup_steps=s["warmup_steps"],
                                peak_lr=s["peak_lr"], warmup=s["warmup"],
                                budgets=s["budgets"] or None, max_area=s["max_area"],
                                **_progress_kwargs(_progress))
    out = {
        "lr": np.asarray(opt.lr),
        "summary": opt.summary(),
        "closed_form": opt.closed_form.to_dict(),
        "closed_form_lr": np.asarray(opt.closed_form.to_array(s["warmup"])),
        "budget_losses": {str(k): v for k, v in opt.budget_losses.items()},
        "warnings": list(opt.warnings) + notes,
        "families": [],
        "family_lrs": {},
    }
    if families:
        if _progress is not None:
            _progress.phase(f"searching the best {', '.join(families)} schedules")
        with _collect(out["warnings"], "family search"):
            fam = search_family(result, s["total_steps"], warmup_steps=s["warmup_steps"],
                                peak_lr=s["peak_lr"], warmup=s["warmup"], families=families)
        out["families"] = fam.table
        out["family_lrs"] = {f: np.asarray(fam.lr(f, s["warmup"])) for f in fam.best}
    return out


def optimize(result: Any, settings: dict[str, Any], families: tuple[str, ...],
             progress: Any = None):
    """``lawfit.optimize.optimize_schedule`` + ``search_family``, cached by content (warnings
    of both in ``out["warnings"]``); ``progress`` is told the phase and, when the optimizer
    reports it, the fraction done."""
    return _optimize(result.to_dict(), json.dumps(settings, sort_keys=True), tuple(families),
                     progress)


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
