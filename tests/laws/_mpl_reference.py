"""Straightforward numpy references for the Multi-Power Law tests (independent of lawfit's
tiled/blocked implementation): the per-step sums of LAWS.md 4.2 written out directly, and the
metrics of LAWS.md 10."""

import numpy as np


def mpl_reference(p, lr, steps, convention, warmup):
    """L̂ at ``steps`` by the plain per-step formula of LAWS.md 4.2 (a), (b) or (c)."""
    lr = np.asarray(lr, dtype=np.float64)
    out = []
    for s in np.asarray(steps):
        if convention == "repo":
            area = lr[: s + 1].sum()
            j = np.arange(1, s + 1)
            prev = lr[j - 1]
        else:
            w = warmup
            eta0 = lr[: w + 1].max()
            sw = lr[:w].sum() if convention == "paper" else w * eta0
            area = sw + lr[w : s + 1].sum()
            j = np.arange(w, s + 1)
            prev = np.where(j == w, eta0, lr[np.maximum(j - 1, 0)])
        d = prev - lr[j]
        s_k = np.array([lr[k : s + 1].sum() for k in j]) if j.size < 64 else _tail_sums(lr, j, s)
        pos = lr[j] > 0
        z = np.where(pos, np.where(pos, lr[j], 1.0) ** (-p["gamma"]) * s_k, 0.0)
        # η_k = 0: the limit of η^(-γ) S is +inf when S > 0 (G = 1) and 0 when S = 0 (G = 0)
        g = np.where(pos, 1.0 - (p["C"] * z + 1.0) ** (-p["beta"]), (s_k > 0).astype(float))
        out.append(p["L0"] + p["A"] * area ** (-p["alpha"]) - p["B"] * np.sum(d * g))
    return np.array(out)


def _tail_sums(lr, j, s):
    tail = np.cumsum(lr[: s + 1][::-1])[::-1]  # tail[k] = Σ_{τ=k..s} lr[τ]
    return tail[j]


def split_metrics(y, pred, run_index):
    """Mean over curves of R², MAE, RMSE, PredE, WorstE (LAWS.md 10)."""
    rows = []
    for r in np.unique(run_index):
        m = run_index == r
        yy, pp = np.asarray(y)[m], np.asarray(pred)[m]
        rows.append(
            [
                1 - np.sum((yy - pp) ** 2) / np.sum((yy - yy.mean()) ** 2),
                np.mean(np.abs(yy - pp)),
                np.sqrt(np.mean((yy - pp) ** 2)),
                np.mean(np.abs(yy - pp) / yy),
                np.max(np.abs(yy - pp) / yy),
            ]
        )
    return dict(zip(["r2", "mae", "rmse", "prede", "worste"], np.mean(rows, axis=0), strict=True))
