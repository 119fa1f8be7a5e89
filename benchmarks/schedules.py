"""Speed of lawfit.schedules against baselines measured in the same process.

* ``to_array`` of the MPL cosine_72000 spec vs the plain-numpy formula (``lawfit.datasets.mpl_lr``)
  and vs ``optax.warmup_cosine_decay_schedule`` evaluated the same way (jit over the step array).
* One jitted scalar call inside an optax update (``optax.adamw(learning_rate=schedule)``): lawfit
  WSD vs optax's warmup-cosine, 1,000 updates in a ``lax.scan``.

Run: ``.venv/bin/python benchmarks/schedules.py``. Compilation is excluded (warm-up call first);
best of 5.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lawfit import schedules as sch
from lawfit.datasets import mpl_lr

jax.config.update("jax_enable_x64", True)


def best(fn, n=5):
    fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> None:
    T = 72000
    ours = sch.from_spec(sch.mpl_spec("cosine_72000"))
    ref = optax.warmup_cosine_decay_schedule(0.0, 3e-4, 2160, T, 3e-5)
    steps = jnp.arange(T)
    t_np = best(lambda: mpl_lr("cosine_72000"))
    t_ours = best(lambda: np.asarray(ours(steps)))
    jref = jax.jit(ref)
    t_optax = best(lambda: np.asarray(jref(steps)))
    t_to_array = best(lambda: sch.to_array(ours, T))
    print(f"per-step array, T={T}:")
    print(f"  numpy formula (mpl_lr)       {t_np * 1e3:8.2f} ms  1.00x")
    print(f"  lawfit schedule (jitted)     {t_ours * 1e3:8.2f} ms  {t_ours / t_np:5.2f}x")
    print(f"  lawfit to_array (incl. copy) {t_to_array * 1e3:8.2f} ms  {t_to_array / t_np:5.2f}x")
    print(f"  optax warmup_cosine (jitted) {t_optax * 1e3:8.2f} ms  {t_optax / t_np:5.2f}x")

    def train(schedule):
        opt = optax.adamw(learning_rate=schedule)
        params = jnp.ones(1000)

        @jax.jit
        def run(params):
            state = opt.init(params)

            def body(carry, _):
                p, s = carry
                u, s = opt.update(p, s, p)
                return (optax.apply_updates(p, u), s), None

            (p, _), _ = jax.lax.scan(body, (params, state), None, length=1000)
            return p

        return lambda: run(params).block_until_ready()

    wsd = sch.wsd(3e-4, 1000, warmup_steps=100, decay_fraction=0.2, decay_type="1-sqrt")
    t_opt = best(train(optax.warmup_cosine_decay_schedule(0.0, 3e-4, 100, 1000)))
    t_wsd = best(train(wsd))
    print("1,000 adamw updates in a scan (1,000 parameters):")
    print(f"  optax warmup_cosine schedule {t_opt * 1e3:8.2f} ms  1.00x")
    print(f"  lawfit wsd schedule          {t_wsd * 1e3:8.2f} ms  {t_wsd / t_opt:5.2f}x")


if __name__ == "__main__":
    main()
