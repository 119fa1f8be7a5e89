"""Schedule-Free SGD (optax.contrib) against the paper's recurrence written out by hand, and the
per-step gradient norms the trainer logs against a direct computation."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lawfit import proxy, schedules
from lawfit.proxy._optim import eval_params, make_optimizer


def _sf_sgd_reference(grad, x0, lrs, beta):
    """SCHEDULES.md 17.1 with weights lr_max^2 (weight_lr_power = 2):
    y = (1-b) z + b x; z -= lr grad(y); c = w_t / sum w; x = (1-c) x + c z."""
    z = x = np.array(x0, dtype=np.float64)
    wsum, lr_max, ys = 0.0, 0.0, []
    for lr in lrs:
        y = (1 - beta) * z + beta * x
        ys.append(y)
        z = z - lr * grad(y)
        lr_max = max(lr_max, lr)
        w = lr_max**2
        wsum += w
        c = w / wsum
        x = (1 - c) * x + c * z
    return np.array(ys), x


@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_schedule_free_sgd_matches_the_hand_written_recurrence(beta):
    A = np.diag([1.0, 3.0, 0.2])
    b = np.array([1.0, -2.0, 0.5])

    def grad(v):
        return A @ v - b

    lrs = [0.05, 0.1, 0.2, 0.2, 0.15, 0.1, 0.1, 0.05]  # warmup, then decay: lr_max matters
    ys_ref, x_ref = _sf_sgd_reference(grad, np.zeros(3), lrs, beta)
    cfg = proxy.OptimizerConfig(name="schedule_free_sgd", b1=beta, clip_norm=None)
    with jax.enable_x64(True):
        params = jnp.zeros(3)
        state = make_optimizer(cfg, jnp.float64(0.0)).init(params)
        ys = []
        for lr in lrs:  # the trainer rebuilds the transformation with each step's LR
            ys.append(np.asarray(params))
            g = jnp.asarray(grad(np.asarray(params)))
            upd, state = make_optimizer(cfg, jnp.float64(lr)).update(g, state, params)
            params = optax.apply_updates(params, upd)
        x = np.asarray(eval_params(cfg, state, params))
    np.testing.assert_allclose(np.array(ys), ys_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x, x_ref, rtol=1e-12, atol=1e-14)


def test_schedule_free_sgd_config_checks():
    with pytest.raises(ValueError, match="b1 must be > 0 for schedule_free_sgd"):
        proxy.OptimizerConfig(name="schedule_free_sgd", b1=0.0)


def test_schedule_free_sgd_trains_and_logs_at_x_and_y(tmp_path, tiny):
    cfg = proxy.RunConfig("sfsgd", steps=40, schedule=schedules.constant(0.5, warmup_steps=5),
                          optimizer=proxy.OptimizerConfig(name="schedule_free_sgd"), **tiny)
    proxy.train(cfg, tmp_path)
    run = proxy.read_run_dir(tmp_path / "sfsgd")
    assert {"train_loss_y", "val_loss", "val_loss_y", "grad_norm"} <= set(run.metric_names)
    assert run.meta["optimizer"] == "schedule_free_sgd" and run.meta["train_metric"] == "train_loss_y"
    x, y = run.observed("val_loss").values, run.observed("val_loss_y").values
    assert np.all(np.abs(x - y) > 1e-5) and x[-1] < x[0]


def test_logged_grad_norm_is_the_global_norm_of_the_batch_gradient(tmp_path, tiny):
    """With lr = 0 the parameters stay at their initialisation, so the gradient norm of every
    logged step can be recomputed from the model, the step's batch and optax.global_norm."""
    from lawfit.proxy._data import build_data, sample_batch
    from lawfit.proxy._model import init_params, lm_loss
    from lawfit.proxy._train import _data_key

    T = 20
    cfg = proxy.RunConfig("g", steps=T, schedule=np.zeros(T), seed=3, **tiny)
    proxy.train(cfg, tmp_path)
    obs = proxy.read_run_dir(tmp_path / "g").observed("grad_norm")
    assert obs.steps.tolist() == list(range(T))
    with jax.enable_x64(False):
        data = build_data(cfg.domains, cfg.model.context, cfg.val_sequences, cfg.data_seed)
        params = init_params(cfg.model, cfg.seed)
        w = jnp.asarray([cfg.mixture], dtype=jnp.float32)[0]
        for t in (0, 7, T - 1):
            batch = sample_batch(jax.random.fold_in(_data_key(cfg.seed), t), w,
                                 jnp.asarray(data.train), jnp.asarray(data.offsets),
                                 jnp.asarray(data.sizes), cfg.batch_size, cfg.model.context)
            g = jax.grad(lm_loss)(params, batch, cfg.model)
            ref = float(np.sqrt(sum(np.sum(np.asarray(x, np.float64) ** 2)
                                    for x in jax.tree.leaves(g))))
            assert obs.values[t] == pytest.approx(ref, rel=1e-4)
