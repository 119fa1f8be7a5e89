"""Data layout and JAX kernels of the Multi-Power Law (private; see :mod:`lawfit.laws._mpl`).

The loss-drop term of the MPL is a sum over *decrements* of the learning rate,

    LD(s) = Σ_{k <= s, d_k != 0} d_k * G( η_k^(-γ) * S_k(s) ),    S_k(s) = Σ_{τ=k..s} lr[τ],

so its cost is (evaluation points) x (steps where the LR changes): constant phases contribute
nothing and are never materialised. Everything that does not depend on the parameters (the
decrements d_k, η_k = lr[k], the prefix sums P[s] and P[k-1] in float64, the steps) is computed
once in numpy by :func:`build_layout`. The pairs (point, decrement) of each run are cut into
fixed-size *tiles* of ``TILE_P`` points x ``TILE_K`` decrements of the same run; only tiles with at
least one pair k <= s exist (the triangle), so runs of different lengths and schedules share one
padded, masked layout. Tiles are evaluated in groups of ``tiles_per_group`` (a plain vmap when all
fit in one group, otherwise ``lax.map`` over groups with a rematerialised body, which bounds
memory for the 72K-step cosine runs under ``grad`` and ``vmap``).

Block aggregation (``block_size > 1``, LAWS.md 4.7): consecutive nonzero decrements of a run are
grouped in blocks of ``block_size`` that never straddle an evaluation step; a block's decrements are
summed and η, S are taken at the block's first index. Because G is increasing, the error of a
point is bounded by ``B * Σ_blocks Σ|d| * (G(x_hi) - G(x_lo))`` with x_lo, x_hi the extreme
arguments over the block (:func:`block_bound`), which is rigorous and computed at the parameters.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

TILE_P = 32
TILE_K = 256
GROUP_ELEMS = 1 << 19  # pairs per start evaluated at once (bounds memory)

_PAD_STEP = np.float64(2**62)


def _blocks(dec_steps: np.ndarray, point_steps: np.ndarray, block_size: int) -> list[np.ndarray]:
    """Split sorted decrement steps in blocks of <= block_size that never straddle a point step.

    Returns a list of index arrays into ``dec_steps``."""
    if dec_steps.size == 0:
        return []
    if block_size <= 1:
        return [np.array([i]) for i in range(dec_steps.size)]
    seg = np.searchsorted(np.unique(point_steps), dec_steps, side="left")
    out = []
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    ends = np.r_[starts[1:], dec_steps.size]
    for a, b in zip(starts, ends):
        for c in range(a, b, block_size):
            out.append(np.arange(c, min(c + block_size, b)))
    return out


def build_layout(per_run: list[dict[str, np.ndarray]], block_size: int, with_tiles: bool) -> dict:
    """The ``x`` pytree (numpy, float64 / int32) for all points of all runs.

    ``per_run[i]`` holds, for run i: ``steps`` (its points' global steps, sorted), ``area`` (the
    power-term argument per point), ``dsum`` (Σ of decrements up to each point), ``lr`` (the full
    LR array), ``dec_steps`` (global steps of nonzero decrements, sorted) and ``dec`` (their
    values). Points of run i occupy a contiguous range of the flat point axis, in order.
    """
    area, dsum, ps, pstep = [], [], [], []
    d, dabs, eta, eta_lo, eta_hi, pk, pk_last, dstep, dstep_last = ([] for _ in range(9))
    tiles_p, tiles_d = [], []
    n_points = 0
    n_dec = 0
    for run in per_run:
        steps = run["steps"].astype(np.int64)
        lr = run["lr"]
        cs = np.cumsum(lr)
        cs_m1 = np.concatenate([[0.0], cs])  # cs_m1[k] = P[k-1]
        area.append(run["area"])
        dsum.append(run["dsum"])
        ps.append(cs[steps])
        pstep.append(steps.astype(np.float64))
        point_idx = np.arange(n_points, n_points + steps.size)
        n_points += steps.size
        if not with_tiles:
            continue
        ds, dv = run["dec_steps"].astype(np.int64), run["dec"]
        blocks = _blocks(ds, steps, block_size)
        if not blocks:
            continue
        first = np.array([ds[b[0]] for b in blocks])
        last = np.array([ds[b[-1]] for b in blocks])
        d.append(np.array([dv[b].sum() for b in blocks]))
        dabs.append(np.array([np.abs(dv[b]).sum() for b in blocks]))
        eta.append(lr[first])
        eta_lo.append(np.array([lr[ds[b]].min() for b in blocks]))
        eta_hi.append(np.array([lr[ds[b]].max() for b in blocks]))
        pk.append(cs_m1[first])
        pk_last.append(cs_m1[last])
        dstep.append(first.astype(np.float64))
        dstep_last.append(last.astype(np.float64))
        dec_idx = np.arange(n_dec, n_dec + len(blocks))
        n_dec += len(blocks)
        # tiles: point chunks x decrement chunks with at least one pair k <= s
        for a in range(0, steps.size, TILE_P):
            pc = point_idx[a : a + TILE_P]
            s_max = steps[a : a + TILE_P].max()
            for b in range(0, len(blocks), TILE_K):
                if first[b] > s_max:
                    break
                tiles_p.append(np.pad(pc, (0, TILE_P - pc.size), constant_values=-1))
                dc = dec_idx[b : b + TILE_K]
                tiles_d.append(np.pad(dc, (0, TILE_K - dc.size), constant_values=-1))

    def cat(parts, pad_value, n_pad=1):
        arr = np.concatenate(parts) if parts else np.zeros(0)
        return np.concatenate([arr.astype(np.float64), np.full(n_pad, pad_value, np.float64)])

    x: dict[str, Any] = {
        "area": np.concatenate(area).astype(np.float64),
        "dsum": np.concatenate(dsum).astype(np.float64),
    }
    if not with_tiles:
        return x
    # one dummy point (index n_points, step -1: no decrement applies) and one dummy decrement
    # (index n_dec: d = 0, eta = 1, step = +huge) make padding safe and branch-free.
    x["ps"] = cat(ps, 0.0)
    x["pstep"] = cat(pstep, -1.0)
    x["d"] = cat(d, 0.0)
    x["dabs"] = cat(dabs, 0.0)
    x["eta"] = cat(eta, 1.0)
    x["eta_lo"] = cat(eta_lo, 1.0)
    x["eta_hi"] = cat(eta_hi, 1.0)
    x["pk"] = cat(pk, 0.0)
    x["pk_last"] = cat(pk_last, 0.0)
    x["dstep"] = cat(dstep, _PAD_STEP)
    x["dstep_last"] = cat(dstep_last, _PAD_STEP)
    tp = np.array(tiles_p, dtype=np.int64).reshape(-1, TILE_P)
    td = np.array(tiles_d, dtype=np.int64).reshape(-1, TILE_K)
    tp[tp < 0] = n_points
    td[td < 0] = n_dec
    if tp.shape[0] == 0:  # no decrement anywhere: one all-padding tile keeps shapes non-empty
        tp = np.full((1, TILE_P), n_points)
        td = np.full((1, TILE_K), n_dec)
    per_group = max(1, GROUP_ELEMS // (TILE_P * TILE_K))
    n_groups = -(-tp.shape[0] // per_group)
    per_group = -(-tp.shape[0] // n_groups)  # balance groups
    n_pad = n_groups * per_group - tp.shape[0]
    tp = np.concatenate([tp, np.full((n_pad, TILE_P), n_points)])
    td = np.concatenate([td, np.full((n_pad, TILE_K), n_dec)])
    x["tile_p"] = tp.reshape(n_groups, per_group, TILE_P).astype(np.int32)
    x["tile_d"] = td.reshape(n_groups, per_group, TILE_K).astype(np.int32)
    return x


def layout_stats(x: dict) -> dict[str, int]:
    """Sizes of a layout: points, decrement blocks, tiles and padded pairs per evaluation."""
    if "tile_p" not in x:
        return {"points": int(x["area"].shape[0]), "blocks": 0, "tiles": 0, "pairs": 0}
    g, t, _ = x["tile_p"].shape
    return {
        "points": int(x["area"].shape[0]),
        "blocks": int(x["d"].shape[0]) - 1,
        "tiles": int(g * t),
        "pairs": int(g * t * TILE_P * TILE_K),
    }


# ---------------------------------------------------------------------------------------------
# JAX kernels
# ---------------------------------------------------------------------------------------------


def _map_tiles(fn, x):
    """Σ over tiles of ``fn(tile_p, tile_d) -> [TILE_P]``, scattered onto the points."""
    tp, td = x["tile_p"], x["tile_d"]
    n_points = x["area"].shape[0]
    group = jax.vmap(fn)
    if tp.shape[0] == 1:
        out = group(tp[0], td[0])[None]
    else:
        out = jax.lax.map(jax.checkpoint(lambda a: group(*a)), (tp, td))
    flat = jax.ops.segment_sum(out.reshape(-1), tp.reshape(-1), num_segments=n_points + 1)
    return flat[:n_points]


def g_power(z, c, beta):
    """G(z) = 1 - (1 + C z)^(-β), for z >= 0."""
    return -jnp.expm1(-beta * jnp.log1p(c * z))


def g_exp(z, c):
    """G(z) = 1 - exp(-C z) (the MEL ablation)."""
    return -jnp.expm1(-c * z)


def _argument(variant, params, eta, s_sum, steps_after):
    """The argument z of G and whether it is well defined (eta > 0)."""
    if variant == "full":
        pos = eta > 0
        eta_safe = jnp.where(pos, eta, 1.0)
        return eta_safe ** (-params["gamma"]) * s_sum, pos
    if variant == "spl":
        return steps_after, None
    return s_sum, None  # no_gamma, mel: gamma = 0


def _g(variant, params, z):
    if variant == "mel":
        return g_exp(z, params["C"])
    return g_power(z, params["C"], params["beta"])


def _g_of(variant, params, eta, s_sum, steps_after, valid):
    z, pos = _argument(variant, params, eta, s_sum, steps_after)
    z = jnp.where(valid, z, 1.0)  # safe value before G (no NaN gradients through where)
    g = _g(variant, params, z)
    if pos is not None:
        # eta = 0: z = 0^(-γ) * S; its limit is +inf (G = 1) when S > 0 and 0 (G = 0) when S = 0
        g = jnp.where(pos, g, jnp.where(s_sum > 0, 1.0, 0.0))
    return g


def loss_drop(variant: str, params: dict, x: dict):
    """Σ_k d_k G(z_k(s)) per point (without the factor B)."""

    def tile(tp, td):
        ps, pst = x["ps"][tp], x["pstep"][tp]
        pk, dst = x["pk"][td], x["dstep"][td]
        valid = dst[None, :] <= pst[:, None]
        s_sum = ps[:, None] - pk[None, :]
        after = pst[:, None] - dst[None, :] + 1.0
        g = _g_of(variant, params, x["eta"][td][None, :], s_sum, after, valid)
        return jnp.sum(jnp.where(valid, x["d"][td][None, :] * g, 0.0), axis=1)

    return _map_tiles(tile, x)


def block_bound(variant: str, params: dict, x: dict):
    """Rigorous bound on |Σ_k d_k G(z_k) - block approximation| per point (without B)."""

    def tile(tp, td):
        ps, pst = x["ps"][tp], x["pstep"][tp]
        dst = x["dstep"][td]
        valid = dst[None, :] <= pst[:, None]
        s_first = ps[:, None] - x["pk"][td][None, :]
        s_last = ps[:, None] - x["pk_last"][td][None, :]
        after_first = pst[:, None] - dst[None, :] + 1.0
        after_last = pst[:, None] - x["dstep_last"][td][None, :] + 1.0
        g_hi = _g_of(variant, params, x["eta_lo"][td][None, :], s_first, after_first, valid)
        g_lo = _g_of(variant, params, x["eta_hi"][td][None, :], s_last, after_last, valid)
        return jnp.sum(jnp.where(valid, x["dabs"][td][None, :] * (g_hi - g_lo), 0.0), axis=1)

    return _map_tiles(tile, x)
