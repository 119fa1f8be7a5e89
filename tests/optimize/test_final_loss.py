"""The numpy final-loss forms used by the schedule searches against the JAX form and autodiff:
values of plateau + tail schedules, the hand-derived gradient, and family grids scored on their
decay window only."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lawfit.optimize import (
    MPL_PAPER_PARAMS,
    MPL_REPO_PARAMS,
    family_lr,
    mpl_final_loss,
    search_family,
)
from lawfit.optimize._final_loss import final_loss_and_grad, final_losses, final_losses_of
from lawfit.optimize._predict import final_loss_fn

PEAK = 3e-4
CASES = [(3000, 300, 1000), (3000, 0, 500), (3000, 300, 0), (3000, 0, 0), (500, 10, 489)]


def _reference(params, lr, w, conv):
    jp = {k: jnp.asarray(v) for k, v in params.items()}
    with jax.enable_x64(True):
        f = lambda x: final_loss_fn(jp, x, w, PEAK, conv)  # noqa: E731
        x = jnp.asarray(lr, dtype=jnp.float64)
        return float(f(x)), np.asarray(jax.grad(f)(x))


@pytest.mark.parametrize("conv", ["paper", "repo", "tissue"])
@pytest.mark.parametrize("total,w,m", CASES)
def test_values_and_gradient_match_jax(conv, total, w, m):
    rng = np.random.default_rng(total + w + m)
    params = MPL_REPO_PARAMS["400M"] if conv == "repo" else MPL_PAPER_PARAMS["100M"]
    warm = np.linspace(0, PEAK, w)
    tails = np.sort(rng.uniform(0, PEAK, (3, total - w - m)), axis=1)[:, ::-1].copy()
    if tails.shape[1]:
        tails[0, -5:] = 0.0  # a tail that reaches lr = 0 (x = 0 by definition)
    values = final_losses(params, warm, m, tails, PEAK, conv)
    for tail, value in zip(tails, values, strict=True):
        lr = np.concatenate([warm, np.full(m, PEAK), tail])
        ref, ref_grad = _reference(params, lr, w, conv)
        assert value == pytest.approx(ref, abs=1e-13)
        v, grad = final_loss_and_grad(params, lr, w, PEAK, conv)
        assert v == pytest.approx(ref, abs=1e-13)
        np.testing.assert_allclose(grad[w:], ref_grad[w:], rtol=1e-10,
                                   atol=1e-12 * np.abs(ref_grad).max())
        post = lr[w:]
        assert final_losses_of(params, warm, post[None], PEAK, conv)[0] == pytest.approx(ref, abs=1e-13)


def test_family_grid_rows_are_the_exact_law():
    """Every refined row (scored on its decay window only) equals the full per-step law, with a
    warmup whose last step is below the peak (the repo convention's step-W decrement)."""
    p, total, w = MPL_REPO_PARAMS["25M"], 5000, 250
    fam = search_family(p, total, warmup_steps=w, peak_lr=PEAK, convention="repo", warmup="linear")
    for row in fam.table:
        exact = mpl_final_loss(p, family_lr(row, "linear"), w, peak_lr=PEAK, convention="repo")
        assert row["final_loss"] == pytest.approx(exact, abs=1e-12)
