"""Benchmark: the full multi-start Multi-Power Law fit on the 400M train curves (official split),
lawfit vs a straightforward reference in the same script.

* lawfit: ``lawfit.fit(MultiPowerLaw(convention="paper"), train)`` (the default path: the fit
  picks its block layout from the data, ``res.layout``) -- all starts of the law's data-dependent
  grid in one compiled L-BFGS program on the block layout (cost O(points x LR changes)); wall
  time of a cold call (including JAX compilation) and of a warm one.
* reference: numpy + scipy L-BFGS-B on the exact per-step sum (every step j <= s of every point,
  an O(points x steps) matrix per curve), analytic gradient, one start (the best start of
  lawfit's grid, so the reference is not handicapped by its initialisation).

Both parameter sets are scored on the six test curves with the exact law (``lawfit.evaluate``).
It also prints the block layout's rigorous error bound at the fitted parameters.

Run: ``.venv/bin/python benchmarks/fit_mpl.py [--size 400M] [--convention paper] [--ref-maxiter N]``
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
import scipy.optimize

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.laws import MultiPowerLaw

NAMES = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
DELTA = 1e-3


class ReferenceObjective:
    """Summed Huber(δ=1e-3) of log residuals with the plain per-step MPL sum and its gradient.

    θ = (L0, A, α, log B, log C, β, γ). Paper or repo convention, numpy float64."""

    def __init__(self, runs, convention):
        self.curves = []
        for run in runs:
            lr, w = run.lr, int(run.warmup_steps or 0)
            obs = run.observed("loss")
            s = obs.steps if convention == "repo" else obs.steps[obs.steps >= w]
            y = obs.values[-s.size :] if convention != "repo" else obs.values
            cs = np.cumsum(lr)
            if convention == "repo":
                j = np.arange(1, lr.size)
                prev = lr[j - 1]
            else:
                j = np.arange(w, lr.size)
                prev = np.where(j == w, lr[: w + 1].max(), lr[np.maximum(j - 1, 0)])
            j_max = s.max()
            keep = j <= j_max
            j, prev = j[keep], prev[keep]
            d = prev - lr[j]
            s_mat = cs[s][:, None] - (cs[j - 1] if j[0] > 0 else np.r_[0.0, cs[j[1:] - 1]])[None, :]
            mask = j[None, :] <= s[:, None]
            s_mat = np.where(mask, s_mat, 0.0)
            self.curves.append(dict(y=y, area=cs[s], d=d, log_eta=np.log(lr[j]), S=s_mat, mask=mask))

    def __call__(self, theta):
        l0, a, alpha, log_b, log_c, beta, gamma = theta
        b, c = np.exp(log_b), np.exp(log_c)
        f, g = 0.0, np.zeros(7)
        for cv in self.curves:
            ep = np.exp(-gamma * cv["log_eta"])  # η^-γ
            z = ep[None, :] * cv["S"]
            u = 1.0 + c * z
            lu = np.log(u)
            pw = np.exp(-beta * lu)  # (1 + C z)^-β
            dm = np.where(cv["mask"], cv["d"][None, :], 0.0)
            ld = np.sum(dm * (1.0 - pw), axis=1)
            dg_dc = beta * pw / u * z
            d_c = np.sum(dm * dg_dc, axis=1) * c
            d_beta = np.sum(dm * pw * lu, axis=1)
            d_gamma = np.sum(dm * dg_dc * (-cv["log_eta"][None, :]), axis=1) * c
            ua = cv["area"] ** (-alpha)
            pred = l0 + a * ua - b * ld
            if np.any(pred <= 0):
                return 1e10, np.zeros(7)
            r = np.log(pred) - np.log(cv["y"])
            ar = np.abs(r)
            f += np.sum(np.where(ar <= DELTA, 0.5 * r * r, DELTA * (ar - 0.5 * DELTA)))
            w = np.clip(r, -DELTA, DELTA) / pred
            g += [
                np.sum(w),
                np.sum(w * ua),
                np.sum(w * (-a * ua * np.log(cv["area"]))),
                np.sum(w * (-b * ld)),
                np.sum(w * (-b * d_c)),
                np.sum(w * (-b * d_beta)),
                np.sum(w * (-b * d_gamma)),
            ]
        return f, g


def reference_fit(runs, convention, start, maxiter):
    obj = ReferenceObjective(runs, convention)
    x0 = [start["L0"], start["A"], start["alpha"], np.log(start["B"]), np.log(start["C"]),
          start["beta"], start["gamma"]]  # fmt: skip
    bounds = [(0.0, 10.0), (1e-8, 10.0), (0.01, 3.0), (None, None), (None, None), (0.01, 0.999), (0.01, 0.999)]
    res = scipy.optimize.minimize(obj, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                  options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10})  # fmt: skip
    th = res.x
    params = dict(L0=th[0], A=th[1], alpha=th[2], B=np.exp(th[3]), C=np.exp(th[4]), beta=th[5], gamma=th[6])
    return params, res


def main() -> None:
    jax.config.update("jax_enable_x64", True)  # direct law.predict calls below (fit is x64 anyway)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="400M")
    ap.add_argument("--convention", default="paper", choices=["paper", "repo"])
    ap.add_argument("--keep", type=int, default=2, help="starts kept after screening (0: all)")
    ap.add_argument("--ref-maxiter", type=int, default=1000)
    args = ap.parse_args()
    runs = mpl_runs(args.size)
    train, test = runs.select(MPL_TRAIN), runs.select(MPL_TEST)
    law = MultiPowerLaw(convention=args.convention)
    keep = None if args.keep == 0 else args.keep

    t0, c0 = time.perf_counter(), time.process_time()
    res = lawfit.fit(law, train, stderr=False, keep=keep)
    t_cold, c_cold = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    lawfit.fit(law, train, stderr=False, keep=keep)
    t_warm = time.perf_counter() - t0
    exact = res  # the default law predicts and evaluates with the exact sum
    law = MultiPowerLaw(**res.layout["law"])  # the block layout the fit chose
    m_ours = lawfit.evaluate(exact, test)["mean"]
    n_starts = res.starts.init.shape[0]

    best_start = dict(zip(res.starts.names, res.starts.init[int(np.nanargmin(res.starts.objective))], strict=True))
    best_start = {**res.params, **best_start}
    t0, c0 = time.perf_counter(), time.process_time()
    ref_params, ref = reference_fit(train, args.convention, best_start, args.ref_maxiter)
    t_ref, c_ref = time.perf_counter() - t0, time.process_time() - c0
    m_ref = lawfit.evaluate(exact.replace(params=ref_params), test)["mean"]

    ref_obj = ReferenceObjective(train, args.convention)
    th = lambda p: [p["L0"], p["A"], p["alpha"], np.log(p["B"]), np.log(p["C"]), p["beta"], p["gamma"]]  # noqa: E731
    f_ours, f_ref = ref_obj(th(res.params))[0], ref_obj(th(ref_params))[0]

    binp = law.prepare(runs)
    einp = law.with_mode("exact").prepare(runs)
    err = np.abs(np.asarray(law.predict(res.params, binp.x)) - np.asarray(law.predict(res.params, einp.x)))
    bound = np.asarray(law.error_bound(res.params, binp.x))
    stats = law.layout_stats(law.prepare(train))

    print(f"MPL fit, {args.size} train curves, convention {args.convention!r}")
    print(f"  lawfit   : {n_starts} starts (keep {keep}), cold {t_cold:6.2f} s wall ({c_cold:.2f} s CPU, "
          f"incl. compilation), warm {t_warm:6.2f} s; {res.message}")
    print(f"             layout {stats}")
    print(f"  reference: scipy L-BFGS-B, exact per-step sum, 1 start, {t_ref:6.2f} s wall ({c_ref:.2f} s "
          f"CPU), {ref.nit} iterations, {ref.message}")
    print(f"  ratio reference / lawfit: cold {t_ref / t_cold:.1f}x, warm {t_ref / t_warm:.1f}x (wall)")
    print(f"  train objective (exact)  : lawfit {f_ours:.6e}   reference {f_ref:.6e}")
    for name, m in (("lawfit", m_ours), ("reference", m_ref)):
        print(f"  test {name:9s}: R2 {m['r2']:.5f}  MAE {m['mae']:.5f}  RMSE {m['rmse']:.5f}  "
              f"PredE {m['prede']:.5f}  WorstE {m['worste']:.5f}")
    print(f"  block layout at the fit, all 9 curves: max |block - exact| = {err.max():.2e}, "
          f"rigorous bound max = {bound.max():.2e} (bound holds: {bool(np.all(err <= bound + 1e-12))})")
    print("  params lawfit   :", {k: round(v, 5) for k, v in res.params.items()})
    print("  params reference:", {k: round(float(v), 5) for k, v in ref_params.items()})


if __name__ == "__main__":
    main()
