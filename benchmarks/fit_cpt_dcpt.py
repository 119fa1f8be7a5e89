"""CPT and D-CPT fits: lawfit.fit (one vmapped multi-start L-BFGS program) versus a
straightforward reference in the same script (scipy L-BFGS-B per start on a numpy objective with
finite-difference gradients, same starts, same summed Huber(1e-3) on log residuals).

Data: the CPT curves of tests/laws/test_cpt.py (Setting A D_cpt constants, 8 PT+CPT runs, noise
0.2 %) and the D-CPT table of tests/laws/test_dcpt.py (3 sizes x 9 ratios x 10 token counts, 0.3 %).

Run: ``.venv/bin/python benchmarks/fit_cpt_dcpt.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import numpy as np
from scipy.optimize import minimize

jax.config.update("jax_enable_x64", True)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "laws"))

from test_cpt import SETTING_A_CPT, make_runs  # noqa: E402
from test_dcpt import make_table  # noqa: E402

import lawfit  # noqa: E402
from lawfit.fitting._transforms import resolve, to_natural, to_unconstrained  # noqa: E402
from lawfit.laws import CPTLaw, DCPTLaw  # noqa: E402


def huber(r, d=1e-3):
    a = np.abs(r)
    return np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))


def reference_fit(law, data, metric="loss"):
    """scipy L-BFGS-B from every start of the law's grid, in the same unconstrained space."""
    inputs = law.prepare(data, metric=metric)
    x = {k: np.asarray(v) for k, v in inputs.x.items()}
    y = np.asarray(inputs.y)
    specs = law.param_specs()
    kinds, lo, hi = zip(*(resolve(s.transform, s.lower, s.upper) for s in specs), strict=True)
    kinds, lo, hi = np.array(kinds), np.array(lo), np.array(hi)
    names = [s.name for s in specs]
    grid = law.init_grid(inputs)
    starts = np.stack([grid[n] for n in names], axis=1)
    predict = jax.jit(law.predict)

    def obj(z):
        theta = np.asarray(to_natural(z[None], kinds[None], lo[None], hi[None]))[0]
        pred = np.asarray(predict(dict(zip(names, theta, strict=True)), x))
        if np.any(~np.isfinite(pred) | (pred <= 0)):
            return 1e3
        return float(np.sum(huber(np.log(pred) - np.log(y))))

    best = np.inf
    for s in starts:
        z0 = np.asarray(to_unconstrained(s[None], kinds[None], lo[None], hi[None]))[0]
        res = minimize(obj, z0, method="L-BFGS-B", options={"maxiter": 1000, "ftol": 1e-15, "gtol": 1e-10})
        best = min(best, res.fun)
    return best, len(starts)


def bench(name, law, data, metric="loss"):
    t = time.perf_counter()
    res = lawfit.fit(law, data, metric=metric)
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    res = lawfit.fit(law, data, metric=metric)
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    ref_obj, k = reference_fit(law, data, metric)
    t_ref = time.perf_counter() - t
    print(f"{name}: {k} starts | lawfit {t_first:.1f} s (incl. compile), {t_warm:.1f} s warm | "
          f"scipy reference {t_ref:.1f} s | ratio (ref / lawfit incl. compile) {t_ref / t_first:.1f}x | "
          f"objective lawfit {res.objective:.6g} vs reference {ref_obj:.6g}")


if __name__ == "__main__":
    bench("CPT Eq. 4, D_cpt (8 runs)", CPTLaw(), make_runs(SETTING_A_CPT, seed=2), metric="val")
    bench("D-CPT L3, domain (270 rows)", DCPTLaw(target="domain"), make_table())
