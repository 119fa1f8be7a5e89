"""Multi-start L-BFGS: every start solved in ONE compiled program (vmapped on accelerators).

The solver is ``optax.lbfgs`` (zoom line search) run for at most ``max_iter`` iterations in a
``lax.while_loop`` on the unconstrained parameters (see :mod:`._transforms`). Each start returns
a status code inside jit (optimistix-style ``RESULTS``):

* ``CONVERGED`` (0): ``‖∇f‖_∞ <= gtol`` or the relative decrease of ``f`` stayed below ``ftol``
  for ``patience`` consecutive iterations (scipy's ``ftol`` criterion);
* ``MAX_ITER`` (1): the iteration budget ran out first;
* ``NONFINITE`` (2): the objective or the parameters became NaN/inf (the start is discarded);
* ``SCREENED`` (3): with more starts than ``keep``, every start first runs ``screen_iter``
  iterations; only the ``keep`` lowest objectives continue to convergence. The others are
  reported as screened out (or converged/non-finite if they already were). Set ``keep=None`` to
  solve every start to convergence.

Compiled programs: ONE L-BFGS loop per (law trace key, static configuration, block shape), with
the iteration budget traced, serves the screening blocks and the convergence stage (see
:func:`program`). Bounds, fixed values, data and starting points are traced too, so refitting
with other data, bounds or budgets does not recompile.

XLA options of that program (``Config.compiler_options``, ``lawfit.fit(compiler_options=...)``):
``None`` (default) uses :data:`CPU_COMPILER_OPTIONS` on the CPU backend and XLA's defaults
elsewhere. On CPU, ``xla_cpu_use_fusion_emitters=False`` (XLA's classic loop emitters instead of
the newer MLIR fusion emitters) compiles the vmapped L-BFGS + zoom line search program ~0.4-0.7 s
(CPU time) faster with the same run time and bit-identical results
(``benchmarks/fit_momentum.py``). Pass ``{}`` for XLA's defaults.

How starts share the program (``Config.vectorize``, ``lawfit.fit(vectorize=...)``): on
accelerators the starts (and the data sets of ``fit_many`` / resamples of the bootstrap) are
``jax.vmap``-ed lanes; on CPU (``None`` = by backend) they run one after another with
``jax.lax.map`` inside the same compiled call, which compiles ~1 s faster and runs ~2x faster
for the momentum law (``benchmarks/fit_momentum.py``): vectorizing a few parameters buys nothing
on CPU, and vmapped ``while_loop`` lanes all wait for the slowest one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.tree_utils as otu

from lawfit.fitting._objective import weighted_terms
from lawfit.fitting._transforms import to_natural

__all__ = ["CONVERGED", "MAX_ITER", "NONFINITE", "STATUS_NAMES", "Config", "program", "law_key",
           "CPU_COMPILER_OPTIONS", "compiler_options_key", "resolve_compiler_options", "resolve_vectorize",
           "map_leading"]

CONVERGED, MAX_ITER, NONFINITE, SCREENED = 0, 1, 2, 3
# Default XLA options of the solver program on the CPU backend (see the module docstring).
CPU_COMPILER_OPTIONS: dict[str, Any] = {"xla_cpu_use_fusion_emitters": False}
STATUS_NAMES = ("converged", "max_iterations", "nonfinite", "screened_out")


class Config(NamedTuple):
    """Static (hashable) part of a fit: what changes the compiled program."""

    names: tuple[str, ...]  # all parameter names, law order
    free: tuple[str, ...]  # free parameter names
    kinds: tuple[int, ...]  # transform kind per free parameter
    loss: str
    max_iter: int
    memory: int = 10
    patience: int = 5
    screen_iter: int = 25
    keep: int | None = 64
    linesearch_steps: int = 20
    compiler_options: tuple | None = None  # sorted (name, value) pairs; None: engine default
    vectorize: bool | None = None  # vmap starts (True) or lax.map them (False); None: by backend


def compiler_options_key(options: Mapping[str, Any] | None) -> tuple | None:
    """The hashable ``Config.compiler_options`` for a user's ``{xla_option: value}`` (or None)."""
    if options is None:
        return None
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        raise ValueError(
            f"compiler_options must be None or a mapping of XLA option names to values, e.g. "
            f"{{'xla_cpu_use_fusion_emitters': False}}; got {options!r}"
        )
    return tuple(sorted(options.items()))


def resolve_compiler_options(key: tuple | None) -> dict[str, Any]:
    """XLA options for the solver program: ``key``'s, or the default for the current backend."""
    if key is None:
        return dict(CPU_COMPILER_OPTIONS) if jax.default_backend() == "cpu" else {}
    return dict(key)


def resolve_vectorize(vectorize: bool | None) -> bool:
    """Whether the solver vmaps its starts: ``vectorize``, or (None) on every backend but CPU."""
    if vectorize is None:
        return jax.default_backend() != "cpu"
    if not isinstance(vectorize, (bool, np.bool_)):
        raise ValueError(f"vectorize must be None, True or False, got {vectorize!r}")
    return bool(vectorize)


def map_leading(fn, in_axes: tuple, vectorize: bool):
    """``fn`` mapped over the leading axis of the arguments whose ``in_axes`` entry is 0.

    ``vectorize=True``: ``jax.vmap`` (all lanes advance together; a ``while_loop`` runs until its
    slowest lane stops). ``False``: ``jax.lax.map``, one lane after another inside the same
    compiled program (a smaller program to compile, no waiting for the slowest lane: faster on
    CPU, where vectorizing a handful of parameters buys nothing).
    """
    if vectorize:
        return jax.vmap(fn, in_axes=in_axes)

    def mapped(*args):
        idx = [i for i, ax in enumerate(in_axes) if ax == 0]

        def one(sliced):
            full = list(args)
            for i, a in zip(idx, sliced, strict=True):
                full[i] = a
            return fn(*full)

        return jax.lax.map(one, [args[i] for i in idx])

    return mapped


def law_key(law: Any) -> Any:
    """Laws with equal keys share compiled programs (``Law.trace_key`` when defined)."""
    fn = getattr(law, "trace_key", None)
    return fn() if fn is not None else law


def build_params(z, fixed_vals, lo, hi, cfg: Config):
    """``{name: scalar}`` natural parameters from free unconstrained ``z`` and fixed values."""
    nat = to_natural(z, jnp.asarray(cfg.kinds, dtype=jnp.int32), lo, hi)
    out, fi, gi = {}, 0, 0
    free = set(cfg.free)
    for n in cfg.names:
        if n in free:
            out[n] = nat[fi]
            fi += 1
        else:
            out[n] = fixed_vals[gi]
            gi += 1
    return out


def make_objective(law: Any, cfg: Config):
    def objective(z, fixed_vals, lo, hi, x, y, w, delta):
        params = build_params(z, fixed_vals, lo, hi, cfg)
        pred = law.predict(params, x)
        return jnp.sum(weighted_terms(pred, y, w, cfg.loss, delta))

    return objective


def _solve_one(objective, z0, args, gtol, ftol, cfg: Config, max_iter: int):
    fun = lambda z: objective(z, *args)  # noqa: E731
    opt = optax.lbfgs(
        memory_size=cfg.memory,
        linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=cfg.linesearch_steps, initial_guess_strategy="one"),
    )
    vg = optax.value_and_grad_from_state(fun)
    # The objective is inlined only where optax needs it (value_and_grad_from_state and the line
    # search): no extra evaluation before or after the loop, which keeps compilation short.

    def step(carry):
        z, state, it, f_prev, stall, _, _ = carry
        value, grad = vg(z, state=state)
        updates, state = opt.update(grad, state, z, value=value, grad=grad, value_fn=fun)
        z_new = optax.apply_updates(z, updates)
        f_new = otu.tree_get(state, "value")  # objective and gradient at z_new
        g_new = jnp.max(jnp.abs(otu.tree_get(state, "grad")))
        # already stationary (e.g. started at the optimum): stay, a zero-gradient L-BFGS step
        # would divide by zero
        g_now = jnp.max(jnp.abs(grad))
        at_opt = (g_now <= gtol) & jnp.isfinite(value)
        z_new = jnp.where(at_opt, z, z_new)
        f_new = jnp.where(at_opt, value, f_new)
        g_new = jnp.where(at_opt, g_now, g_new)
        small = (f_prev - f_new) <= ftol * jnp.maximum(jnp.abs(f_new), 1e-300)
        stall = jnp.where(small, stall + 1, 0)
        return z_new, state, it + 1, f_new, stall, f_new, g_new

    def cont(carry):
        z, _, it, _, stall, f, gmax = carry
        finite = jnp.isfinite(f) & jnp.all(jnp.isfinite(z))
        done = (gmax <= gtol) | (stall >= cfg.patience)
        return (it == 0) | ((it < max_iter) & finite & ~done)

    inf = jnp.asarray(jnp.inf, z0.dtype)
    init = (z0, opt.init(z0), jnp.asarray(0), inf, jnp.asarray(0), inf, inf)
    z, state, it, _, stall, f, gmax = jax.lax.while_loop(cont, step, init)
    finite = jnp.isfinite(f) & jnp.all(jnp.isfinite(z))
    conv = (gmax <= gtol) | (stall >= cfg.patience)
    status = jnp.where(~finite, NONFINITE, jnp.where(conv, CONVERGED, MAX_ITER))
    return z, f, gmax, it, status


@functools.lru_cache(maxsize=64)
def _lanes_program(key: Any, cfg: Config, law_holder: _Holder, batched: tuple | None):
    """ONE compiled program: ``n_iter`` (traced) L-BFGS iterations on a ``[L, F]`` block of
    starts (``[B, L, F]`` with ``batched``). Screening and convergence reuse it."""
    objective = make_objective(law_holder.law, cfg)
    vec = resolve_vectorize(cfg.vectorize)

    def lanes(z0, n_iter, fixed_vals, lo, hi, x, y, w, delta, gtol, ftol):
        args = (fixed_vals, lo, hi, x, y, w, delta)
        one = lambda zz: _solve_one(objective, zz, args, gtol, ftol, cfg, n_iter)  # noqa: E731
        return map_leading(one, (0,), vec)(z0)

    if batched is not None:  # a leading batch axis on the arguments marked 0
        z_ax, *rest = batched
        lanes = map_leading(lanes, (z_ax, None, *rest, None, None, None), vec)
    return jax.jit(lanes, compiler_options=resolve_compiler_options(cfg.compiler_options) or None)


def _static(cfg: Config) -> Config:
    """The part of ``cfg`` that changes the compiled program (budgets are traced)."""
    return cfg._replace(max_iter=0, screen_iter=0, keep=None)


def program(law: Any, cfg: Config, *, batched: tuple | None = None):
    """The multi-start solver for ``law`` and ``cfg``.

    Signature of the returned function: ``(z0[K,F], fixed[G], lo[F], hi[F], x, y[P], w[P], delta,
    gtol, ftol) -> (z[K,F], f[K], gmax[K], iterations[K], status[K])`` (numpy arrays).
    ``batched`` is an ``in_axes`` tuple for ``(z0, fixed, lo, hi, x, y, w)`` (0 = leading batch
    axis, None = shared): one vmapped program over data sets (``fit_many``) or resampling
    weights (bootstrap).

    Compilation: every stage runs the same compiled program (:func:`_lanes_program`, cached per
    law trace key, static configuration and block shape). Without screening, the ``K`` starts
    form one block. With screening (``K > keep``) the starts run ``screen_iter`` iterations in
    blocks of ``keep`` lanes (the last block padded with copies of the last start, dropped
    afterwards), then the ``keep`` best continue from where they stopped for the remaining budget
    in one more call of the SAME program: one compiled L-BFGS loop instead of two.
    """
    key = law_key(law)
    lanes = _lanes_program(key, _static(cfg), _Holder(law, key), batched)
    ax = 0 if batched is None else 1  # the starts axis of z0

    def call(z, n_iter, rest):
        return tuple(np.asarray(a) for a in jax.device_get(lanes(z, np.int32(n_iter), *rest)))

    def solve(z0, *rest):
        z0 = np.asarray(z0)
        k = z0.shape[ax]
        if cfg.keep is None or k <= cfg.keep or cfg.screen_iter >= cfg.max_iter:
            return call(z0, cfg.max_iter, rest)
        block = cfg.keep
        pad = (-k) % block
        if pad:
            z0 = np.concatenate([z0, np.repeat(np.take(z0, [-1], axis=ax), pad, axis=ax)], axis=ax)
        parts = [call(np.take(z0, np.arange(i, i + block), axis=ax), cfg.screen_iter, rest)
                 for i in range(0, k + pad, block)]
        z1, f1, g1, it1, st1 = (np.take(np.concatenate([p[j] for p in parts], axis=ax), np.arange(k), axis=ax)
                                for j in range(5))
        rank = np.where(np.isfinite(f1), f1, np.inf)
        idx = np.argsort(rank, axis=-1, kind="stable")[..., : cfg.keep]
        zsel = np.take_along_axis(z1, idx[..., None], axis=ax)
        z2, f2, g2, it2, st2 = call(zsel, cfg.max_iter - cfg.screen_iter, rest)
        st1 = np.where(st1 == MAX_ITER, SCREENED, st1)
        prev = np.take_along_axis(st1, idx, axis=-1)
        st2 = np.where((prev == CONVERGED) & (st2 == MAX_ITER), MAX_ITER, st2)
        z, f, g, it, st = z1.copy(), f1.copy(), g1.copy(), it1.copy(), st1.copy()
        np.put_along_axis(z, idx[..., None], z2, axis=ax)
        np.put_along_axis(f, idx, f2, axis=-1)
        np.put_along_axis(g, idx, g2, axis=-1)
        np.put_along_axis(it, idx, np.take_along_axis(it1, idx, axis=-1) + it2, axis=-1)
        np.put_along_axis(st, idx, st2, axis=-1)
        return z, f, g, it, st

    return solve


class _Holder:
    """Carries a law into the cache without making it part of the key."""

    def __init__(self, law: Any, key: Any) -> None:
        self.law, self.key = law, key

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Holder) and other.key == self.key


def as_numpy(tree):
    return jax.tree_util.tree_map(np.asarray, tree)
