"""Schedule optimization on the default user path: ``optimize_schedule`` (what ``lawfit optimize
schedule`` runs) and the explorer's Optimize button (``optimize_schedule`` + ``search_family`` of
WSD and cosine), each in a fresh process, cold and warm, against the previous implementation
measured in the same run.

Problem: the 400M repository PARAMS (LAWS.md 4.3, repo convention), T = 24,000 steps, W = 2160
(linspace warmup), peak 3e-4; minimise the predicted loss at step 23,999.

* new: this checkout (numpy objective with a hand-written adjoint, no XLA compilation; one BLAS
  thread around scipy's L-BFGS-B).
* old: ``lawfit/optimize/_schedule_opt.py`` and ``_family.py`` of commit ``8f45a7b`` (JAX
  value-and-grad per level, JIT-compiled; read from git history), run on the same machine.
* cli: ``lawfit optimize schedule`` on a fit JSON, the whole fresh process (imports included).
* optionally (``--adam-steps 10000``) the MPL repository's own procedure (LAWS.md 5.2): Adam
  (LR 5e-9) on the decrements, its paper-form objective with the repo PARAMS, in one jitted
  ``lax.scan``.

Every schedule is scored with the exact law; each path runs ``--repeats`` times (alternating, best
time kept) because the project machine is shared and wall times move with the load.

Run: ``.venv/bin/python benchmarks/optimize_schedule.py [--repeats 2] [--adam-steps 0]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

T, W, PEAK, SIZE = 24000, 2160, 3e-4, "400M"
OLD_COMMIT = "8f45a7b"
ROOT = Path(__file__).resolve().parents[1]


def _old_modules():
    """The previous ``optimize_schedule`` / ``search_family`` from git, as importable modules."""
    tmp = Path(tempfile.mkdtemp())
    for name in ("_schedule_opt", "_family"):
        src = subprocess.check_output(["git", "show", f"{OLD_COMMIT}:lawfit/optimize/{name}.py"],
                                      cwd=ROOT, text=True)
        src = src.replace("lawfit.optimize._family", "old_family").replace(
            "lawfit.optimize._schedule_opt", "old_schedule_opt")
        (tmp / f"old{name}.py").write_text(src)
    sys.path.insert(0, str(tmp))
    import old_family
    import old_schedule_opt

    return old_schedule_opt.optimize_schedule, old_family.search_family


def child(which: str) -> None:
    """One fresh process: import, cold and warm calls; prints one JSON line."""
    t0 = time.perf_counter()
    from lawfit.fitting import FitResult
    from lawfit.laws import MultiPowerLaw
    from lawfit.optimize import MPL_REPO_PARAMS, mpl_final_loss

    if which == "new":
        from lawfit.optimize import optimize_schedule, search_family
    else:
        optimize_schedule, search_family = _old_modules()
    t_import = time.perf_counter() - t0
    fit = FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS[SIZE])
    kw = dict(warmup_steps=W, peak_lr=PEAK)
    out: dict = {"import_s": t_import}
    for run in ("cold", "warm"):
        t, c = time.perf_counter(), time.process_time()
        res = optimize_schedule(fit, T, **kw)
        out[f"optimize_{run}_s"] = time.perf_counter() - t
        out[f"optimize_{run}_cpu_s"] = time.process_time() - c
        t = time.perf_counter()
        search_family(fit, T, families=("wsd", "cosine"), **kw)
        out[f"family_{run}_s"] = time.perf_counter() - t
    out["final_loss"] = mpl_final_loss(MPL_REPO_PARAMS[SIZE], res.lr, W, convention="repo")
    out["closed_form_loss"] = res.closed_form_loss
    out["n_iter"] = res.n_iter
    print(json.dumps(out))


def _fresh(which: str) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", which], cwd=ROOT, env=os.environ,
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def _cli(tmp: Path) -> float:
    """Wall time of one fresh ``lawfit optimize schedule`` process (imports included)."""
    from lawfit.fitting import FitResult
    from lawfit.laws import MultiPowerLaw
    from lawfit.optimize import MPL_REPO_PARAMS

    path = tmp / "fit.json"
    FitResult(law=MultiPowerLaw(convention="repo"), params=MPL_REPO_PARAMS[SIZE]).to_json(path)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lawfit.cli", "optimize", "schedule", str(path),
                    "--total-steps", str(T), "--warmup-steps", str(W), "--peak-lr", str(PEAK)],
                   cwd=ROOT, env=os.environ, capture_output=True, check=True)
    return time.perf_counter() - t


def adam_reference(params, total, w, peak, steps, lr=5e-9, floor=1e-10):
    """The MPL repository's procedure (LAWS.md 5.2) in one jitted scan; returns (lr, seconds)."""
    import jax
    import jax.numpy as jnp
    import optax

    from lawfit.optimize._predict import final_loss_fn

    jax.config.update("jax_enable_x64", True)
    warm = jnp.asarray(np.linspace(0.0, peak, w))
    p = {k: jnp.asarray(v) for k, v in params.items()}

    def schedule(delta):
        post = jnp.maximum(peak - jnp.cumsum(jnp.maximum(delta, 0.0)), floor)
        return jnp.concatenate([warm, post])

    def objective(delta):
        return final_loss_fn(p, schedule(delta), w, peak, "paper")

    opt = optax.adam(lr)

    @jax.jit
    def run(delta):
        def step(carry, _):
            d, state = carry
            upd, state = opt.update(jax.grad(objective)(d), state, d)
            d = jnp.clip(optax.apply_updates(d, upd), 0.0, peak)
            d = jnp.where(schedule(d)[w:] <= floor, 0.0, d)
            return (d, state), None

        (d, _), _ = jax.lax.scan(step, (delta, opt.init(delta)), None, length=steps)
        return d

    t0 = time.perf_counter()
    d = jax.block_until_ready(run(jnp.zeros(total - w)))
    return np.asarray(schedule(d)), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=("new", "old"))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--adam-steps", type=int, default=0)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    runs: dict[str, list[dict]] = {"new": [], "old": []}
    for _ in range(args.repeats):
        for which in ("new", "old"):
            runs[which].append(_fresh(which))
    best = {w: {k: min(r[k] for r in rs) for k in rs[0]} for w, rs in runs.items()}
    with tempfile.TemporaryDirectory() as tmp:
        cli = min(_cli(Path(tmp)) for _ in range(args.repeats))
    load = os.getloadavg()
    print(f"MPL {SIZE} repo PARAMS, T={T}, W={W}; fresh processes, best of {args.repeats}; "
          f"load average {load[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':34s}{'new':>10s}{'old':>10s}{'old/new':>9s}")
    for key, label in (("import_s", "import lawfit.optimize + laws"),
                       ("optimize_cold_s", "optimize_schedule, cold"),
                       ("optimize_cold_cpu_s", "  (CPU of this process)"),
                       ("optimize_warm_s", "optimize_schedule, warm"),
                       ("family_cold_s", "search_family(wsd, cosine), cold"),
                       ("family_warm_s", "search_family(wsd, cosine), warm")):
        n, o = best["new"][key], best["old"][key]
        print(f"  {label:32s}{n:9.2f}s{o:9.2f}s{o / n:8.1f}x")
    n_btn = best["new"]["optimize_cold_s"] + best["new"]["family_cold_s"]
    o_btn = best["old"]["optimize_cold_s"] + best["old"]["family_cold_s"]
    print(f"  {'explorer Optimize button, cold':32s}{n_btn:9.2f}s{o_btn:9.2f}s{o_btn / n_btn:8.1f}x")
    print(f"  {'predicted loss @ 23999 (exact)':32s}{best['new']['final_loss']:10.6f}"
          f"{best['old']['final_loss']:10.6f}")
    print(f"  {'closed form loss':32s}{best['new']['closed_form_loss']:10.6f}"
          f"{best['old']['closed_form_loss']:10.6f}")
    print(f"  lawfit optimize schedule (whole fresh CLI process, new): {cli:.2f} s")
    if args.adam_steps:
        from lawfit.optimize import MPL_REPO_PARAMS, mpl_final_loss

        lr, secs = adam_reference(MPL_REPO_PARAMS[SIZE], T, W, PEAK, args.adam_steps)
        loss = mpl_final_loss(MPL_REPO_PARAMS[SIZE], lr, W, convention="repo")
        print(f"  reference Adam ({args.adam_steps} steps): loss {loss:.6f}, {secs:.2f} s "
              f"(incl. compile); new cold is {secs / best['new']['optimize_cold_s']:.1f}x faster")


if __name__ == "__main__":
    main()
