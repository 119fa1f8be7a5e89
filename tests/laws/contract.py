"""Reusable law contract suite: every law's own test file calls ``check_law_contract``.

    import sys; from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/laws has no __init__.py
    from contract import check_law_contract

    def test_contract():
        check_law_contract(MyLaw(), runs, {"L0": 3.0, ...})

It checks, against the law's own ``predict`` and independent recomputations:

1. shapes: ``predict(params, x)`` is float64 with the shape of ``inputs.y``, finite at ``params``;
2. ``jit(predict) == predict`` (eager) to 1e-12 relative;
3. ``vmap`` over a stack of parameter dicts equals predicting each dict separately;
4. finite gradients (w.r.t. every parameter) at every start of ``law.init_grid(inputs)``
   (vmapped; non-finite *predictions* at a start are allowed only if ``allow_nonfinite_starts``);
5. spec round trip: ``lawfit.laws.from_spec(law.to_spec())`` equals the law and predicts the same;
6. parameter recovery: fitting noiseless synthetic data ``y = predict(params, x)`` with
   ``lawfit.fit`` recovers the identifiable parameters to ``recovery_rtol`` (1e-6).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import lawfit
from lawfit.laws import from_spec
from lawfit.laws._base import LawInputs

__all__ = ["check_law_contract"]


def _inputs(law: Any, runs_or_inputs: Any, metric: str) -> LawInputs:
    if isinstance(runs_or_inputs, LawInputs):
        return runs_or_inputs
    return law.prepare(runs_or_inputs, metric=metric)


def check_law_contract(
    law: Any,
    runs_or_inputs: Any,
    params: dict[str, float],
    *,
    metric: str = "loss",
    identifiable: tuple[str, ...] | None = None,
    recovery_rtol: float = 1e-6,
    fit_kwargs: dict[str, Any] | None = None,
    check_recovery: bool = True,
    grad_starts: int | None = None,
) -> dict[str, Any]:
    """Run the contract checks; returns the recovery FitResult (for extra assertions).

    Args:
        law: the law under test.
        runs_or_inputs: a RunSet (prepared with ``law.prepare``) or ``LawInputs``.
        params: a realistic parameter dict (natural units) inside the law's bounds.
        identifiable: parameters that the recovery must pin down (default: all).
        recovery_rtol: relative tolerance of the noiseless recovery.
        fit_kwargs: extra keyword arguments for ``lawfit.fit`` in the recovery.
        check_recovery: set False only for laws whose recovery is tested elsewhere.
        grad_starts: check gradients at only this many (evenly spaced) grid starts.
    """
    with jax.enable_x64(True):
        names = law.param_names
        assert set(params) == set(names), f"params keys {sorted(params)} != law parameters {sorted(names)}"
        for spec in law.param_specs():
            assert spec.transform in ("identity", "log", "logit", "neglog"), spec
            assert spec.lower <= params[spec.name] <= spec.upper, (spec, params[spec.name])
        inputs = _inputs(law, runs_or_inputs, metric)
        p = {k: jnp.float64(v) for k, v in params.items()}

        # 1. shapes, dtype, finiteness
        pred = law.predict(p, inputs.x)
        assert pred.shape == np.shape(inputs.y), (pred.shape, np.shape(inputs.y))
        assert pred.dtype == jnp.float64, pred.dtype
        assert np.all(np.isfinite(np.asarray(pred))), "non-finite predictions at the given params"
        assert len(inputs.run_index) == pred.shape[0] and len(inputs.steps) == pred.shape[0]

        # 2. jit == eager
        pred_jit = jax.jit(law.predict)(p, inputs.x)
        np.testing.assert_allclose(np.asarray(pred_jit), np.asarray(pred), rtol=1e-12, atol=0)

        # 3. vmap over stacked params
        scales = jnp.array([0.97, 1.0, 1.03])
        stacked = {k: v * scales for k, v in p.items()}
        vm = jax.vmap(law.predict, in_axes=(0, None))(stacked, inputs.x)
        for i in range(3):
            one = law.predict({k: stacked[k][i] for k in names}, inputs.x)
            np.testing.assert_allclose(np.asarray(vm[i]), np.asarray(one), rtol=1e-12, atol=0)

        # 4. finite gradients at every start of the init grid
        grid = law.init_grid(inputs)
        K = len(next(iter(grid.values())))
        idx = np.arange(K) if grad_starts is None else np.unique(np.linspace(0, K - 1, grad_starts).astype(int))
        starts = {k: jnp.asarray(np.asarray(grid[k], np.float64)[idx]) if k in grid else jnp.full(idx.size, params[k]) for k in names}

        def total(q):
            out = law.predict(q, inputs.x)
            return jnp.sum(jnp.where(jnp.isfinite(out), out, 0.0))

        grads = jax.vmap(jax.grad(total))(starts)
        for k in names:
            g = np.asarray(grads[k])
            bad = ~np.isfinite(g)
            assert not bad.any(), (
                f"non-finite gradient d/d{k} at start(s) {np.flatnonzero(bad)[:5].tolist()}: "
                f"{ {n: float(starts[n][np.flatnonzero(bad)[0]]) for n in names} }"
            )

        # 5. spec round trip
        law2 = from_spec(law.to_spec())
        assert law2 == law and type(law2) is type(law), (law2, law)
        np.testing.assert_array_equal(np.asarray(law2.predict(p, inputs.x)), np.asarray(pred))

        # 6. noiseless recovery
        if not check_recovery:
            return {}
        y = np.asarray(pred)
        synth = inputs._replace(y=jnp.asarray(y), weight=jnp.ones_like(jnp.asarray(y)))
        res = lawfit.fit(law, synth, **(fit_kwargs or {}))
        assert np.isfinite(res.objective)
        for k in identifiable or names:
            rel = abs(res.params[k] - params[k]) / max(abs(params[k]), 1e-12)
            assert rel <= recovery_rtol, f"{k}: fitted {res.params[k]!r}, true {params[k]!r}, rel err {rel:.2e}"
        return {"result": res}
