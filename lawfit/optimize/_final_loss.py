"""The Multi-Power-Law loss at the end of a schedule, in numpy: values of many candidate
schedules at once, and one schedule's value with its gradient.

The same O(T) suffix-sum form as :func:`lawfit.optimize.mpl_final_loss` (LAWS.md 4.1, 4.2, 4.7)::

    L̂(T-1) = L0 + A * area^(-alpha) - B * Σ_j d_j * G(x_j),   G(x) = 1 - (C * x + 1)^(-beta)
    x_j     = lr[j]^(-gamma) * S_j,   S_j = Σ_{τ=j..T-1} lr[τ]   (x_j = 0 where lr[j] = 0)

It is written in numpy, with the gradient derived by hand (below), because the searches call it a
few hundred times on one 24k-step schedule: an XLA program for it costs 1.5-3 s to compile on a
2-core CPU, more than every evaluation of a search together (a few ms each). The tests check
both functions against the JAX form (:func:`lawfit.optimize._predict.final_loss_fn`, ``jax.grad``).

Gradient with respect to ``lr[t]`` (``t`` in the decrement range ``J``; ``G' = dG/dx``)::

    dL/dlr[t] = -alpha * A * area^(-alpha-1)                        (t counted in the area)
                - B * (G_{t+1} - G_t                                (d_{t+1} and d_t)
                       - gamma * d_t * G'_t * x_t / lr[t]           (lr[t]^(-gamma) in x_t)
                       + Σ_{j<=t} d_j * G'_j * lr[j]^(-gamma))      (lr[t] in every S_{j<=t})

A schedule that stays at the peak for ``m`` steps after the warmup has no decrement there (only
the repo convention's step ``W`` carries ``lr[W-1] - eta_max``), so :func:`final_losses` takes the
schedule as ``(warmup, m, tail)`` and only spends work on the warmup (repo) and on the tail.

Example:
    >>> import numpy as np
    >>> from lawfit.optimize import MPL_REPO_PARAMS
    >>> warm = np.linspace(0, 3e-4, 2160)
    >>> v = final_losses(MPL_REPO_PARAMS["400M"], warm, 21840, np.zeros((1, 0)), 3e-4, "repo")
    >>> round(float(v[0]), 5)   # the constant schedule (mpl_final_loss gives the same)
    2.81684
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__: list[str] = []


def _unpack(params: Mapping[str, float]):
    return (float(params[k]) for k in ("L0", "A", "alpha", "B", "C", "beta", "gamma"))


def _suffix_sum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]


def _neg_power(lr: np.ndarray, gamma: float) -> np.ndarray:
    """``lr^(-gamma)``, 0 where ``lr == 0`` (those steps have ``S = 0``: x = 0 by the law)."""
    if np.all(lr > 0):
        return lr**-gamma
    with np.errstate(divide="ignore"):
        return np.where(lr > 0, lr**-gamma, 0.0)


def _g(x: np.ndarray, beta: float, c: float) -> np.ndarray:
    return 1.0 - (c * x + 1.0) ** -beta


def final_losses(params: Mapping[str, float], warm: np.ndarray, m: int, tail: np.ndarray,
                 peak: float, convention: str) -> np.ndarray:
    """L̂ at the last step of the schedules ``[warm, peak x m, tail[k]]`` (``tail``: ``[K, D]``).

    ``convention`` is ``"paper"``, ``"repo"`` or ``"tissue"`` (already normalised).
    """
    L0, A, alpha, B, C, beta, gamma = _unpack(params)
    tail = np.atleast_2d(np.asarray(tail, dtype=np.float64))
    w = warm.size
    tail_sum = tail.sum(axis=1)
    plateau = m * peak
    if convention == "tissue":
        area = w * peak + plateau + tail_sum
    else:
        area = warm.sum() + plateau + tail_sum
    # tail decrements; the step before the tail is at the peak (plateau, or the paper/tissue W-1)
    before = peak if (m > 0 or convention != "repo") else (warm[-1] if w else np.nan)
    drop = 0.0
    if tail.shape[1]:
        prev = np.concatenate([np.full((tail.shape[0], 1), before), tail[:, :-1]], axis=1)
        if convention == "repo" and m == 0 and w == 0:
            prev[:, 0] = tail[:, 0]  # step 0 has no decrement
        g = _g(_neg_power(tail, gamma) * _suffix_sum(tail), beta, C)
        drop = np.sum((prev - tail) * g, axis=1)
    if convention == "repo" and w:
        after = plateau + tail_sum  # Σ lr after the warmup
        if m > 0:  # step W: the decrement warm[W-1] -> peak of the plateau
            drop = drop + (warm[-1] - peak) * _g(peak**-gamma * after, beta, C)
        if w > 1:
            rest = _suffix_sum(warm)[1:]  # Σ_{τ=j..W-1} warm, j = 1..W-1
            x = _neg_power(warm[1:], gamma)[None, :] * (rest[None, :] + after[:, None])
            drop = drop + _g(x, beta, C) @ (warm[:-1] - warm[1:])
    return L0 + A * area**-alpha - B * drop


def final_loss_and_grad(params: Mapping[str, float], lr: np.ndarray, warmup_steps: int,
                        peak: float, convention: str) -> tuple[float, np.ndarray]:
    """``(L̂(T-1), dL̂/dlr)`` of one per-step schedule ``lr`` (length T, warmup included)."""
    L0, A, alpha, B, C, beta, gamma = _unpack(params)
    w, size = int(warmup_steps), lr.size
    j0 = 1 if convention == "repo" else w
    cur = lr[j0:]
    prev = lr[j0 - 1:-1] if convention == "repo" else np.concatenate([[peak], lr[w:-1]])
    d = prev - cur
    lg = _neg_power(cur, gamma)
    x = lg * _suffix_sum(cur)
    z = C * x + 1.0
    zb = z**-beta
    g, dg = 1.0 - zb, beta * C * zb / z  # G and G'
    counted = slice(w, None) if convention == "tissue" else slice(None)
    area = lr[counted].sum() + (w * peak if convention == "tissue" else 0.0)
    value = L0 + A * area**-alpha - B * np.sum(d * g)
    safe = np.where(cur > 0, cur, 1.0)
    grad = np.zeros(size)
    grad[j0:] = -B * (-g + np.cumsum(d * dg * lg) - gamma * d * dg * x / safe)
    if convention == "repo":
        grad[j0 - 1:-1] -= B * g
    else:
        grad[w:-1] -= B * g[1:]
    grad[counted] -= alpha * A * area ** (-alpha - 1.0)
    return float(value), grad


def final_losses_of(params: Mapping[str, float], warm: np.ndarray, post: np.ndarray, peak: float,
                    convention: str) -> np.ndarray:
    """:func:`final_losses` of post-warmup schedules ``post`` (``[K, T - W]``), skipping their
    common plateau at the peak."""
    post = np.atleast_2d(post)
    below = post < peak
    m = int(np.min(np.where(below.any(axis=1), below.argmax(axis=1), post.shape[1])))
    return final_losses(params, warm, m, post[:, m:], peak, convention)
