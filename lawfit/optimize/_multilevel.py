"""The objective of :func:`~lawfit.optimize.optimize_schedule` and its block variables.

``ScheduleLoss`` maps the per-step log-decrements ``u >= 0`` to the schedule
``lr = [warmup, min_lr + (eta_max - min_lr) * exp(-cumsum(u))]`` and returns the weighted
budget loss (exact per-step law, :mod:`lawfit.optimize._final_loss`) with its gradient in ``u``;
``Blocks`` are the coarse variables of a multilevel solve (per block: a spread shared evenly by
its steps and a jump at its first step) with the chain rule back to ``u``.

Example:
    >>> import numpy as np
    >>> b = Blocks.of(6, 2)
    >>> b.to_steps(np.array([3.0, 6.0, 1.0, 0.0])).tolist()
    [2.0, 1.0, 1.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lawfit.optimize._final_loss import final_loss_and_grad

__all__: list[str] = []


@dataclasses.dataclass(frozen=True)
class ScheduleLoss:
    """The weighted budget loss (+ the area penalty) as a function of the per-step ``u``."""

    params: dict[str, float]
    warm: np.ndarray
    peak: float
    min_lr: float
    convention: str
    budgets: tuple[int, ...]
    weights: np.ndarray  # normalised to sum 1

    def lr(self, u: np.ndarray) -> np.ndarray:
        post = self.min_lr + (self.peak - self.min_lr) * np.exp(-np.cumsum(u))
        return np.concatenate([self.warm, post])

    def evaluate(self, u: np.ndarray, lam: float = 0.0, rho: float = 1.0,
                 max_area: float = np.inf):
        """``(objective + penalty, d/du, losses per budget, area)``."""
        w, n = self.warm.size, u.size
        lr = self.lr(u)
        g_lr = np.zeros(n)
        losses = np.empty(len(self.budgets))
        for i, (b, wt) in enumerate(zip(self.budgets, self.weights, strict=True)):
            losses[i], g = final_loss_and_grad(self.params, lr[:b], w, self.peak, self.convention)
            g_lr[:b - w] += wt * g[w:]
        value = float(self.weights @ losses)
        area = float(lr.sum())
        if np.isfinite(max_area):  # augmented Lagrangian of the scaled constraint h <= 0
            h = (area - max_area) / (self.peak * n)
            active = max(0.0, h + lam / rho)
            value += 0.5 * rho * active**2 - 0.5 * lam**2 / rho
            g_lr += rho * active / (self.peak * n)
        grad_u = -np.cumsum((g_lr * (lr[w:] - self.min_lr))[::-1])[::-1]
        return value, grad_u, losses, area


@dataclasses.dataclass(frozen=True)
class Blocks:
    """Block variables ``z = [spread (nb), jump (nb)]`` of a per-step ``u``: each block's
    ``spread`` is shared evenly by its steps, its ``jump`` added at its first step."""

    edges: np.ndarray

    @classmethod
    def of(cls, n: int, n_blocks: int) -> Blocks:
        return cls(np.linspace(0, n, n_blocks + 1).round().astype(np.int64))

    @property
    def length(self) -> np.ndarray:
        return np.diff(self.edges)

    def to_steps(self, z: np.ndarray) -> np.ndarray:
        nb = self.length.size
        u = np.repeat(z[:nb] / self.length, self.length)
        u[self.edges[:-1]] += z[nb:]
        return u

    def grad(self, grad_u: np.ndarray) -> np.ndarray:
        """Chain rule of :meth:`to_steps`."""
        return np.concatenate([np.add.reduceat(grad_u, self.edges[:-1]) / self.length,
                               grad_u[self.edges[:-1]]])

    def from_steps(self, u: np.ndarray) -> np.ndarray:
        """Block variables with the same block sums as ``u`` (a projection, exact for block ``u``)."""
        first = u[self.edges[:-1]]
        rest = np.add.reduceat(u, self.edges[:-1]) - first
        per_step = np.where(self.length > 1, rest / np.maximum(self.length - 1, 1), 0.0)
        return np.concatenate([per_step * self.length, np.maximum(first - per_step, 0.0)])
