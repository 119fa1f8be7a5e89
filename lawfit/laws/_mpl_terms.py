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
TILE_K = 128
GROUP_ELEMS = 1 << 19  # pairs per start evaluated at once (bounds memory)

_PAD_STEP = np.float64(2**62)


def _blocks(dec_steps: np.ndarray, point_steps: np.ndarray, block_size: int,
            near_exact: bool = False) -> np.ndarray:
    """Split sorted decrement steps in blocks of <= block_size that never straddle a point step.
    With ``near_exact`` the block sizes grow geometrically backwards from each point step
    (1, 1, 2, 4, ..., block_size): the decrements just before a point, where G's argument varies
    most across a block, are (nearly) exact.

    Returns the block boundaries (indices into ``dec_steps``): block j is
    ``[bounds[j], bounds[j + 1])``."""
    n = dec_steps.size
    if n == 0 or block_size <= 1:
        return np.arange(n + 1)
    seg = np.searchsorted(np.unique(point_steps), dec_steps, side="left")
    seg_starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    if near_exact:
        seg_ends = np.r_[seg_starts[1:], n]
        sizes = [1, 1]
        while sizes[-1] < block_size:
            sizes.append(min(2 * sizes[-1], block_size))
        reach = np.cumsum(sizes + [block_size] * (-(-int(np.max(seg_ends - seg_starts)) // block_size)))
        out = [np.zeros(1, np.int64)]
        for a, b in zip(seg_starts, seg_ends, strict=True):
            out.append(np.r_[(b - reach[reach < b - a])[::-1], b])
        return np.unique(np.concatenate(out))
    lens = np.r_[seg_starts[1:], n] - seg_starts
    n_blocks = -(-lens // block_size)
    within = np.arange(n_blocks.sum()) - np.repeat(np.cumsum(n_blocks) - n_blocks, n_blocks)
    return np.r_[np.repeat(seg_starts, n_blocks) + within * block_size, n]


FAR_ETA_RATIO = 1.25  # a coarse group never spans LRs further apart than this ratio


def _coarsen(bounds, ds, dv, lr, factor):
    """Merge up to ``factor`` consecutive blocks while their LRs stay within FAR_ETA_RATIO and
    their decrements keep one sign (so G's argument varies little inside a coarse group)."""
    st = bounds[:-1]
    e = lr[ds]
    lo_b, hi_b = np.minimum.reduceat(e, st), np.maximum.reduceat(e, st)
    sg_b = np.sign(np.add.reduceat(dv, st))
    out, count, lo, hi, sign = [0], 0, np.inf, 0.0, 0.0
    for j in range(st.size):
        n_lo, n_hi = min(lo, lo_b[j]), max(hi, hi_b[j])
        ok = count and count < factor and sg_b[j] == sign and n_lo > 0 and n_hi <= FAR_ETA_RATIO * n_lo
        if count and not ok:
            out.append(int(st[j]))
            count, n_lo, n_hi = 0, lo_b[j], hi_b[j]
        count += 1
        lo, hi, sign = n_lo, n_hi, sg_b[j]
    out.append(int(bounds[-1]))
    return np.asarray(out)


class _Blocks:
    """Per-block arrays of one run (see :func:`build_layout`); blocks partition the decrements
    ``ds`` (steps) / ``dv`` (values) in order, block j being ``[bounds[j], bounds[j + 1])``."""

    def __init__(self, bounds, ds, dv, lr, cs_m1, anchor):
        st, en = bounds[:-1], bounds[1:]
        lens = en - st
        rstep = ds[st if anchor == "first" else st + lens // 2]
        self.first = ds[st].astype(np.int64)
        self.last = ds[en - 1].astype(np.int64)
        e = lr[ds]
        self.arrays = {
            "d": np.add.reduceat(dv, st),
            "dabs": np.add.reduceat(np.abs(dv), st),
            "eta": lr[rstep],
            "eta_lo": np.minimum.reduceat(e, st),
            "eta_hi": np.maximum.reduceat(e, st),
            "pk": cs_m1[rstep],
            "pk_first": cs_m1[self.first],
            "pk_last": cs_m1[self.last],
            "dstep": rstep.astype(np.float64),
            "dstep_first": self.first.astype(np.float64),
            "dstep_last": self.last.astype(np.float64),
        }
        # members (for the second-order bound): block index, d_k, log(η_k/η_c), P[k-1] - P[c-1],
        # k - c, with c the block's representative step
        owner = np.repeat(np.arange(st.size), lens)
        rep = rstep[owner]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.log(e / lr[rep])
        self.members = {
            "m_block": owner,
            "m_d": dv,
            "m_u": np.where(np.isfinite(u), u, np.nan),
            "m_dp": cs_m1[ds] - cs_m1[rep],
            "m_dk": (ds - rep).astype(np.float64),
        }

    def __len__(self):
        return self.first.size


_BLOCK_KEYS = (
    "d",
    "dabs",
    "eta",
    "eta_lo",
    "eta_hi",
    "pk",
    "pk_first",
    "pk_last",
    "dstep",
    "dstep_first",
    "dstep_last",
)
_MEMBER_KEYS = ("m_block", "m_d", "m_u", "m_dp", "m_dk")
_BLOCK_PAD = {
    "eta": 1.0,
    "eta_lo": 1.0,
    "eta_hi": 1.0,
    "dstep": _PAD_STEP,
    "dstep_first": _PAD_STEP,
    "dstep_last": _PAD_STEP,
}


def build_layout(
    per_run: list[dict[str, np.ndarray]],
    block_size: int,
    with_tiles: bool,
    *,
    anchor: str = "first",
    far_factor: int = 1,
    far_steps: int = 2048,
    near_exact: bool = False,
) -> dict:
    """The ``x`` pytree (numpy, float64 / int32) for all points of all runs.

    ``per_run[i]`` holds, for run i: ``steps`` (its points' global steps, sorted), ``area`` (the
    power-term argument per point), ``dsum`` (Σ of decrements up to each point), ``lr`` (the full
    LR array), ``dec_steps`` (global steps of nonzero decrements, sorted) and ``dec`` (their
    values). Points of run i occupy a contiguous range of the flat point axis, in order.

    ``block_size`` > 1 aggregates decrements (never across a point step); ``anchor`` picks the
    member whose η and S represent the block (``"first"`` as in LAWS.md 4.7, or ``"center"``).
    ``far_factor`` > 1 adds a coarse level: groups of ``far_factor`` blocks, used for a chunk of
    points only where the group ends more than ``far_steps`` steps before the chunk's first point.
    ``near_exact``: blocks grow geometrically backwards from each point (see :func:`_blocks`).
    """
    area, dsum, ps, pstep = [], [], [], []
    cols: dict[str, list] = {k: [] for k in _BLOCK_KEYS + _MEMBER_KEYS}
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
        fine_bounds = _blocks(ds, steps, block_size, near_exact)
        if fine_bounds.size <= 1:
            continue
        fine = _Blocks(fine_bounds, ds, dv, lr, cs_m1, anchor)
        levels = [fine]
        if far_factor > 1:
            coarse = _Blocks(_coarsen(fine_bounds, ds, dv, lr, far_factor), ds, dv, lr, cs_m1, anchor)
            # number of fine blocks inside the first i coarse groups
            coarse.n_fine_before = np.searchsorted(
                fine.first, np.r_[coarse.first, np.iinfo(np.int64).max], side="left"
            )
            levels.append(coarse)
        offsets = []
        for lev in levels:
            offsets.append(n_dec)
            for k in _BLOCK_KEYS:
                cols[k].append(lev.arrays[k])
            for k in _MEMBER_KEYS:
                cols[k].append(lev.members[k] + (n_dec if k == "m_block" else 0))
            n_dec += len(lev)
        # tiles: for each chunk of points, the decrement blocks it needs, in TILE_K pieces
        for a in range(0, steps.size, TILE_P):
            pc = np.pad(point_idx[a : a + TILE_P], (0, TILE_P - min(TILE_P, steps.size - a)),
                        constant_values=-1)
            s_min, s_max = steps[a : a + TILE_P].min(), steps[a : a + TILE_P].max()
            n_fine = int(np.searchsorted(fine.first, s_max, side="right"))
            needed = []
            start_fine = 0
            if far_factor > 1:
                coarse = levels[1]
                n_coarse = int(np.searchsorted(coarse.last, s_min - far_steps, side="left"))
                needed.append(offsets[1] + np.arange(n_coarse))
                start_fine = min(int(coarse.n_fine_before[n_coarse]), n_fine)
            needed.append(offsets[0] + np.arange(start_fine, n_fine))
            needed = np.concatenate(needed)
            n_tiles = -(-needed.size // TILE_K)
            if n_tiles == 0:
                continue
            dc = np.full(n_tiles * TILE_K, -1, dtype=np.int64)
            dc[: needed.size] = needed
            tiles_d.append(dc.reshape(n_tiles, TILE_K))
            tiles_p.append(np.broadcast_to(pc, (n_tiles, TILE_P)))

    x: dict[str, Any] = {
        "area": np.concatenate(area).astype(np.float64),
        "dsum": np.concatenate(dsum).astype(np.float64),
    }
    if not with_tiles:
        return x
    # one dummy point (index n_points, step -1: no decrement applies) and one dummy decrement
    # (index n_dec: d = 0, eta = 1, step = +huge) make padding safe and branch-free.
    x["ps"] = np.concatenate(ps + [[0.0]]).astype(np.float64)
    x["pstep"] = np.concatenate(pstep + [[-1.0]]).astype(np.float64)
    for k in _BLOCK_KEYS:
        x[k] = np.concatenate(cols[k] + [[_BLOCK_PAD.get(k, 0.0)]]).astype(np.float64)
    if block_size > 1 or far_factor > 1:  # members feed the error bound of aggregated blocks
        for k in _MEMBER_KEYS:  # one padding member (of the dummy decrement, d = 0)
            x[k] = np.concatenate(cols[k] + [[n_dec if k == "m_block" else 0.0]])
        x["m_block"] = x["m_block"].astype(np.int32)
    tp = np.concatenate(tiles_p).astype(np.int64) if tiles_p else np.zeros((0, TILE_P), np.int64)
    td = np.concatenate(tiles_d).astype(np.int64) if tiles_d else np.zeros((0, TILE_K), np.int64)
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


def _block_moments(variant: str, params: dict, x: dict):
    """Per block (members k, representative c), the parameter-dependent sums that give the first
    two moments of z_k - z_c in closed form. With e_k = (η_k/η_c)^(-γ) and ΔP_k = P[k-1] - P[c-1],
    z_k - z_c = η_c^(-γ) ((e_k - 1) S_c - e_k ΔP_k), so

        Σ d_k (z_k - z_c)     = η_c^(-γ) (S_c m1 - m2)
        Σ |d_k| (z_k - z_c)²  = η_c^(-2γ) (S_c² q1 - 2 S_c q2 + q3)

    with m1 = Σ d (e-1), m2 = Σ d e ΔP, q1 = Σ|d| (e-1)², q2 = Σ|d| (e-1) e ΔP, q3 = Σ|d| e² ΔP².
    For ``"spl"`` (z = steps after): z_k - z_c = c - k, returned as (Σ d (k-c), Σ|d| (k-c)²)."""
    n = x["d"].shape[0]
    seg = lambda v: jax.ops.segment_sum(v, x["m_block"], num_segments=n)  # noqa: E731
    d, dp = x["m_d"], x["m_dp"]
    ad = jnp.abs(d)
    if variant == "spl":
        return seg(d * x["m_dk"]), seg(ad * x["m_dk"] ** 2)
    gamma = params["gamma"] if variant == "full" else 0.0
    e = jnp.exp(-gamma * x["m_u"])  # NaN for members with η = 0: their block falls back
    em1 = jnp.expm1(-gamma * x["m_u"])
    return (seg(d * em1), seg(d * e * dp), seg(ad * em1 * em1), seg(ad * em1 * e * dp),
            seg(ad * e * e * dp * dp))


def _g_slopes(variant, params, z_c, z_lo):
    """|G'(z_c)| and sup |G''| on [z_lo, ∞) (|G''| decreases in z for both G)."""
    c = params["C"]
    if variant == "mel":
        return c * jnp.exp(-c * z_c), c * c * jnp.exp(-c * z_lo)
    beta = params["beta"]
    return (beta * c * jnp.exp((-beta - 1.0) * jnp.log1p(c * z_c)),
            beta * (beta + 1.0) * c * c * jnp.exp((-beta - 2.0) * jnp.log1p(c * z_lo)))


def block_bound(variant: str, params: dict, x: dict):
    """Rigorous bound on |Σ_k d_k G(z_k) - block approximation| per point (without B).

    Per block (members k, representative c, approximation D G(z_c) with D = Σ d_k), the smaller
    of two rigorous bounds:

    * first order: Σ|d_k| (G(z_hi) - G(z_lo)), z_lo, z_hi the extreme arguments over the block
      (G is increasing);
    * second order (Taylor at z_c): |G'(z_c)| |Σ_k d_k (z_k - z_c)| + ½ sup|G''| Σ|d_k| (z_k - z_c)²,
      with both sums exact (:func:`_block_moments`) and the second-order sum Σ|d_k| (z_k - z_c)²
      in place of Σ|d_k| (z_hi - z_lo)².
      For blocks represented by their middle member the first-order terms nearly cancel, so this
      is far tighter than the first-order bound on smooth schedules.
    """
    mom = _block_moments(variant, params, x)
    gamma = params["gamma"] if variant == "full" else 0.0

    def tile(tp, td):
        ps, pst = x["ps"][tp], x["pstep"][tp]
        valid = x["dstep"][td][None, :] <= pst[:, None]
        s_first = ps[:, None] - x["pk_first"][td][None, :]
        s_last = ps[:, None] - x["pk_last"][td][None, :]
        after_first = pst[:, None] - x["dstep_first"][td][None, :] + 1.0
        after_last = pst[:, None] - x["dstep_last"][td][None, :] + 1.0
        g_hi = _g_of(variant, params, x["eta_lo"][td][None, :], s_first, after_first, valid)
        g_lo = _g_of(variant, params, x["eta_hi"][td][None, :], s_last, after_last, valid)
        dabs = x["dabs"][td][None, :]
        first = dabs * (g_hi - g_lo)
        # second order
        eta_c = x["eta"][td][None, :]
        s_c = ps[:, None] - x["pk"][td][None, :]
        after_c = pst[:, None] - x["dstep"][td][None, :] + 1.0
        z_c, _ = _argument(variant, params, eta_c, s_c, after_c)
        z_lo, _ = _argument(variant, params, x["eta_hi"][td][None, :], s_last, after_last)
        z_hi, _ = _argument(variant, params, x["eta_lo"][td][None, :], s_first, after_first)
        m = [v[td][None, :] for v in mom]
        if variant == "spl":
            lin, quad = m[0], m[1]
        else:
            scale = jnp.where(eta_c > 0, eta_c, 1.0) ** (-gamma)
            lin = scale * (s_c * m[0] - m[1])
            quad = scale**2 * (s_c * s_c * m[2] - 2.0 * s_c * m[3] + m[4])
            # never below the exact-arithmetic floor of zero; never above the range bound
            quad = jnp.clip(quad, 0.0, dabs * (z_hi - z_lo) ** 2)
        g1, g2 = _g_slopes(variant, params, jnp.where(valid, z_c, 1.0), jnp.where(valid, z_lo, 1.0))
        second = g1 * jnp.abs(lin) + 0.5 * g2 * quad
        ok = valid & jnp.isfinite(second) & (eta_c > 0) & (x["eta_hi"][td][None, :] > 0)
        best = jnp.where(ok, jnp.minimum(first, jnp.where(ok, second, 0.0)), first)
        return jnp.sum(jnp.where(valid, best, 0.0), axis=1)

    return _map_tiles(tile, x)


# ---------------------------------------------------------------------------------------------
# shape buckets
# ---------------------------------------------------------------------------------------------


def bucket(n: int, per_octave: int = 1) -> int:
    """``n`` rounded up to the next of ``per_octave`` sizes per power of two (1: the next power of
    two; 4: 1, 1.25, 1.5, 1.75 x a power of two), so data sets of similar size share compiled
    programs."""
    n = max(int(n), 1)
    shift = max(n.bit_length() - 1 - (per_octave.bit_length() - 1), 0)
    if (n & (n - 1)) == 0:  # a power of two
        return n
    step = 1 << shift
    return -(-n // step) * step


def pad_layout(x: dict, n_points: int) -> dict:
    """``x`` with its point axis padded to ``n_points`` and its decrement and member axes to the
    next power of two (padding there costs memory only), its tile axis to :func:`bucket` with 4
    sizes per octave (tiles are the compute). Padding points (area 1, step -1) and decrements
    (d = 0) are never paired with anything, so values at the real points are unchanged."""
    x = dict(x)
    p = x["area"].shape[0]
    extra = n_points - p
    x["area"] = np.r_[x["area"], np.ones(extra)]
    x["dsum"] = np.r_[x["dsum"], np.zeros(extra)]
    if "tile_p" not in x:
        return x
    x["ps"] = np.r_[x["ps"], np.zeros(extra)]
    x["pstep"] = np.r_[x["pstep"], np.full(extra, -1.0)]
    n_dec = x["d"].shape[0] - 1  # the dummy decrement's index
    k = bucket(n_dec + 1) - (n_dec + 1)
    for key in _BLOCK_KEYS:
        x[key] = np.r_[x[key], np.full(k, _BLOCK_PAD.get(key, 0.0))]
    if "m_block" in x:
        m = bucket(x["m_block"].shape[0]) - x["m_block"].shape[0]
        x["m_block"] = np.r_[x["m_block"], np.full(m, n_dec)].astype(np.int32)
        for key in _MEMBER_KEYS[1:]:
            x[key] = np.r_[x[key], np.zeros(m)]
    g, t, _ = x["tile_p"].shape
    t2 = bucket(t, 4) if g == 1 else t
    g2 = bucket(g, 4) if g > 1 else 1
    tp = np.full((g2, t2, TILE_P), p, dtype=np.int32)
    td = np.full((g2, t2, TILE_K), n_dec, dtype=np.int32)
    tp[:g, :t] = x["tile_p"]
    td[:g, :t] = x["tile_d"]
    x["tile_p"], x["tile_d"] = tp, td
    return x
