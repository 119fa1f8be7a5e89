"""Bad input, metadata and log-format tests for lawfit.proxy (fast)."""

import json

import numpy as np
import pytest

from lawfit import proxy, schedules
from lawfit.proxy._data import build_data


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="heads=3 does not divide width=32"):
        proxy.ModelConfig(width=32, heads=3)


def test_context_longer_than_data():
    tiny_domain = {"name": "tiny", "kind": "hmm", "n_tokens": 200}
    with pytest.raises(ValueError, match="domain 'tiny'.*fewer than context"):
        build_data([tiny_domain], context=64, val_sequences=4, data_seed=0)


def test_schedule_length_mismatch(tiny):
    with pytest.raises(ValueError, match="one value per step"):
        proxy.lr_array(np.full(99, 1e-3), 100)
    spec = schedules.cosine(1e-3, total_steps=120).spec
    with pytest.raises(ValueError, match="total_steps=120.*steps=100"):
        proxy.lr_array(spec, 100)
    with pytest.raises(ValueError, match="lr\\[3\\]"):
        proxy.lr_array([1e-3, 1e-3, 1e-3, np.nan], 4)


def test_bad_mixture_and_optimizer():
    with pytest.raises(ValueError, match="sum"):
        proxy.RunConfig("r", steps=10, schedule=[1e-3] * 10, domains=("stdlib", "hmm"), mixture=(0.5, 0.6))
    with pytest.raises(ValueError, match="unknown"):
        proxy.OptimizerConfig(name="lion")
    with pytest.raises(ValueError, match="checkpoint_every"):
        proxy.RunConfig("r", steps=10, schedule=[1e-3] * 10, eval_every=4, checkpoint_every=6)


def test_param_counts_match_the_model():
    import jax

    cfg = proxy.ModelConfig(width=32, depth=3, heads=4, context=16, vocab_size=256)
    params = proxy.init_params(cfg, seed=0)
    total = sum(x.size for x in jax.tree.leaves(params))
    n, n_total = cfg.param_counts()
    assert n_total == total
    assert n == total - params["embed"].size - params["pos"].size


def test_lr_array_matches_schedule_and_optax():
    import optax

    s = schedules.wsd(1e-2, total_steps=50, decay_steps=10, warmup_steps=5, end_value=0.0)
    np.testing.assert_allclose(proxy.lr_array(s, 50), schedules.to_array(s, 50), rtol=0, atol=0)
    np.testing.assert_allclose(proxy.lr_array(s.spec, 50), schedules.to_array(s, 50), rtol=0, atol=0)
    o = optax.linear_schedule(1.0, 0.0, 10)
    np.testing.assert_allclose(proxy.lr_array(o, 4), [1.0, 0.9, 0.8, 0.7], rtol=1e-12)


def test_domains_are_deterministic_and_different():
    a1, a2 = proxy.domain_tokens("hmm", 0), proxy.domain_tokens("hmm", 0)
    b = proxy.domain_tokens("hmm_b", 0)
    assert np.array_equal(a1, a2)
    # different statistics: token supports and unigram entropies differ
    assert a1.max() < 128 and b.max() >= 128
    def entropy(x):
        p = np.bincount(x, minlength=256) / x.size
        p = p[p > 0]
        return -(p * np.log(p)).sum()
    assert abs(entropy(a1) - entropy(b)) > 0.1
    s = proxy.stdlib_corpus(10_000)
    assert s.dtype == np.uint8 and b"def " in s.tobytes()


def test_reader_tolerates_partial_last_line(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    cfg = proxy.RunConfig("r", steps=4, schedule=[1e-3, 2e-3, 3e-3, 4e-3])
    (d / "meta.json").write_text(json.dumps({"run_id": "r", "config": cfg.to_dict(), "N": 1}))
    rows = [{"run_id": "r", "step": s, "metric": "loss", "value": 5.0 - s, "lr": 1e-3} for s in range(3)]
    text = "".join(json.dumps(r) + "\n" for r in rows) + '{"run_id": "r", "step": 3, "met'
    (d / "log.jsonl").write_text(text)
    run = proxy.read_run_dir(d)
    assert run.observed("loss").steps.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(run.lr, [1e-3, 2e-3, 3e-3, 4e-3])
    assert run.lr_source == "array"
    (d / "log.jsonl").write_text('garbage\n' + text)
    with pytest.raises(ValueError, match="line 1"):
        proxy.read_run_dir(d)
