"""Multi-Power Law: conventions, variants, cost scaling, block-mode error bound, autodiff safety
and bad input. References are plain per-step numpy sums (tests/laws/_mpl_reference.py) or
closed forms."""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _mpl_reference import mpl_reference  # noqa: E402

from lawfit.datasets import MPL_WARMUP, mpl_runs
from lawfit.laws import MultiPowerLaw, from_spec, get
from lawfit.laws._mpl import PAPER_TABLE7, REPO_PARAMS
from lawfit.runs import Run, RunSet

P = dict(L0=3.0, A=0.5, alpha=0.5, B=400.0, C=2.0, beta=0.6, gamma=0.6)


def _synthetic_lr(kind, total=1200, warmup=100, peak=1e-3):
    t = np.arange(total, dtype=np.float64)
    lr = np.full(total, peak)
    lr[:warmup] = np.linspace(0, peak, warmup)
    post = t >= warmup
    if kind == "cosine":
        lr[post] = 1e-4 + 0.5 * (peak - 1e-4) * (1 + np.cos(np.pi * (t[post] - warmup) / (total - warmup)))
    elif kind == "step":
        lr[t >= 600] = 0.3 * peak
        lr[t >= 900] = 0.1 * peak
    elif kind == "to_zero":
        lr[t >= 800] = peak * np.maximum(0.0, 1 - (t[t >= 800] - 800) / 300)
    elif kind == "cyclic":
        lr[post] = peak * (0.55 + 0.45 * np.cos(2 * np.pi * (t[post] - warmup) / 400))
    return lr


def _run(kind, steps=None, **kw):
    lr = _synthetic_lr(kind, **kw)
    steps = np.arange(120, lr.size, 37) if steps is None else np.asarray(steps)
    return Run(kind, lr=lr, metrics={"loss": (steps, np.full(steps.size, 3.0))}, meta={"warmup_steps": 100})


KINDS = ("constant", "cosine", "step", "to_zero", "cyclic")


def test_registry_options_roundtrip():
    law = get("mpl", convention="repo", variant="mel", mode="block", block_size=8)
    assert isinstance(law, MultiPowerLaw)
    assert from_spec(law.to_spec()) == law
    assert law.options()["convention"] == "repo"
    assert MultiPowerLaw().param_names == ("L0", "A", "alpha", "B", "C", "beta", "gamma")
    assert MultiPowerLaw(variant="lldl").param_names == ("L0", "A", "alpha", "B")
    for spec in MultiPowerLaw().param_specs():
        lo, hi = spec.lower, spec.upper
        assert all(lo < v < hi for v in spec.init), spec


@pytest.mark.parametrize("convention", ["paper", "repo", "tissue"])
def test_all_conventions_match_reference_on_synthetic_schedules(convention):
    law = MultiPowerLaw(convention=convention)
    runs = RunSet([_run(k) for k in KINDS])
    inp = law.prepare(runs)
    got = np.asarray(jax.jit(law.predict)(P, inp.x))
    for i, run in enumerate(runs):
        m = inp.run_index == i
        ref = mpl_reference(P, run.lr, inp.steps[m], convention, 100)
        np.testing.assert_allclose(got[m], ref, rtol=1e-11, err_msg=run.run_id)


def _g_ref(variant, p, lr, j, s, s_k):
    if variant == "no_gamma":
        return 1 - (p["C"] * s_k + 1) ** (-p["beta"])
    if variant == "mel":
        return 1 - np.exp(-p["C"] * s_k)
    if variant == "spl":
        return 1 - (p["C"] * (s - j + 1) + 1) ** (-p["beta"])
    raise AssertionError(variant)


@pytest.mark.parametrize("variant", ["no_gamma", "mel", "spl", "lldl", "opl"])
def test_variants_match_their_formulas(variant):
    law = MultiPowerLaw(convention="paper", variant=variant)
    p = {k: P[k] for k in law.param_names}
    if variant == "mel":
        p["C"] = 50.0
    if variant == "spl":
        p["C"] = 0.05
    runs = RunSet([_run(k) for k in ("cosine", "step")])
    inp = law.prepare(runs)
    got = np.asarray(law.predict(p, inp.x))
    for i, run in enumerate(runs):
        lr, w = run.lr, 100
        for s, g in zip(inp.steps[inp.run_index == i], got[inp.run_index == i], strict=True):
            area = lr[: s + 1].sum()
            j = np.arange(w, s + 1)
            prev = np.where(j == w, lr[: w + 1].max(), lr[j - 1])
            d = prev - lr[j]
            if variant == "opl":
                ld = 0.0
            elif variant == "lldl":
                ld = p["B"] * (lr[: w + 1].max() - lr[s])
            else:
                s_k = np.cumsum(lr[: s + 1][::-1])[::-1][j]
                ld = p["B"] * np.sum(d * _g_ref(variant, p, lr, j, s, s_k))
            want = p["L0"] + p["A"] * area ** (-p["alpha"]) - ld
            assert g == pytest.approx(want, rel=1e-11)


def test_no_gamma_equals_full_at_gamma_zero():
    runs = RunSet([_run("cosine")])
    full, nog = MultiPowerLaw(), MultiPowerLaw(variant="no_gamma")
    a = full.predict({**P, "gamma": 0.0}, full.prepare(runs).x)
    b = nog.predict({k: P[k] for k in nog.param_names}, nog.prepare(runs).x)
    np.testing.assert_allclose(a, b, rtol=1e-13)


def test_cost_scales_with_lr_changes_not_run_length():
    """Constant phases cost nothing: a constant run has no tiles at all, a two-stage run one
    decrement, and the pair count of a cosine run is about points x changes / 2."""
    law = MultiPowerLaw("paper")
    runs = mpl_runs("25M")
    const = law.layout_stats(law.prepare(runs.select(["constant_72000"])))
    assert const["blocks"] == 0
    two = law.layout_stats(law.prepare(runs.select(["wsdcon_3"])))
    assert two["blocks"] == 1
    cos = law.prepare(runs.select(["cosine_24000"]))
    st = law.layout_stats(cos)
    n_pts, n_dec = st["points"], st["blocks"]
    assert n_dec == np.count_nonzero(np.diff(runs["cosine_24000"].lr[MPL_WARMUP - 1 : cos.steps.max() + 1]))
    assert n_pts * n_dec / 2 <= st["pairs"] <= 1.6 * n_pts * n_dec / 2
    # repo convention adds exactly the W - 1 warmup increments
    rep = MultiPowerLaw("repo").layout_stats(MultiPowerLaw("repo").prepare(runs.select(["wsdcon_3"])))
    assert rep["blocks"] == 1 + (MPL_WARMUP - 1)


@pytest.mark.parametrize(
    "opts",
    [dict(block_size=16), dict(block_size=16, block_anchor="center"), MultiPowerLaw.for_fitting().options(),
     dict(MultiPowerLaw.for_fitting().options(), near_exact=True)],
)
@pytest.mark.parametrize("convention", ["paper", "repo"])
def test_block_mode_error_within_rigorous_bound(convention, opts):
    opts = {k: v for k, v in opts.items() if k not in ("convention", "variant", "mode")}
    runs = mpl_runs("400M")
    params = PAPER_TABLE7["400M"] if convention == "paper" else REPO_PARAMS["400M"]
    exact = MultiPowerLaw(convention)
    block = MultiPowerLaw(convention, mode="block", **opts)
    ref = np.asarray(exact.predict(params, exact.prepare(runs).x))
    binp = block.prepare(runs)
    got = np.asarray(block.predict(params, binp.x))
    bound = np.asarray(block.error_bound(params, binp.x))
    err = np.abs(got - ref)
    assert np.all(err <= bound + 1e-12)
    assert err.max() < 1e-3
    assert np.all(np.asarray(exact.error_bound(params, exact.prepare(runs).x)) == 0)


def test_block_first_anchor_reproduces_laws_4_7():
    """LAWS.md 4.7: 16-step blocks at the first index, 400M refit parameters (11.3)."""
    p = dict(L0=2.5196799, A=0.65919433, alpha=0.415781, B=770.73188, C=0.48222419, beta=0.27272812,
             gamma=0.65992345)  # fmt: skip
    runs = mpl_runs("400M", ["cosine_24000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000"])
    exact, block = MultiPowerLaw("paper"), MultiPowerLaw("paper", mode="block", block_size=16)
    ei, bi = exact.prepare(runs), block.prepare(runs)
    err = np.abs(np.asarray(exact.predict(p, ei.x)) - np.asarray(block.predict(p, bi.x)))
    per_run = [err[ei.run_index == i].max() for i in range(4)]
    np.testing.assert_allclose(per_run, [8e-5, 3e-5, 4.0e-4, 2.6e-4], rtol=0.1)


def test_predict_jit_vmap_grad_finite_including_lr_to_zero():
    law = MultiPowerLaw("paper")
    runs = RunSet([_run(k) for k in KINDS])
    x = law.prepare(runs).x
    stack = {k: jnp.asarray([v, v * 1.1]) for k, v in P.items()}
    stack["beta"] = jnp.asarray([0.6, 0.3])
    eager = np.stack([np.asarray(law.predict({k: v[i] for k, v in stack.items()}, x)) for i in range(2)])
    vm = np.asarray(jax.jit(jax.vmap(law.predict, in_axes=(0, None)))(stack, x))
    np.testing.assert_allclose(vm, eager, rtol=1e-12)
    grad = jax.grad(lambda p: jnp.sum(jnp.log(law.predict(p, x))))(P)
    assert all(np.isfinite(float(v)) for v in grad.values())
    assert all(float(v) != 0 for v in grad.values())


def test_lr_decaying_to_zero_uses_the_limit():
    """A decrement to η = 0 with no later LR adds nothing (G(0·∞) -> G(0) = 0 as S -> 0)."""
    lr = np.r_[np.full(50, 1e-3), np.zeros(50)]
    run = Run("z", lr=lr, meta={"warmup_steps": 0})
    law = MultiPowerLaw("paper")
    inp = law.prepare(run, steps=[49, 50, 99], predict=True)
    out = np.asarray(law.predict(P, inp.x))
    assert np.all(np.isfinite(out))
    base = P["L0"] + P["A"] * lr.sum() ** (-P["alpha"])
    np.testing.assert_allclose(out[1:], base, rtol=1e-14)


def test_paper_excludes_warmup_and_repo_keeps_it():
    lr = _synthetic_lr("cosine")
    steps = np.array([10, 50, 150, 400])
    run = Run("r", lr=lr, metrics={"loss": (steps, [5.0, 4.0, 3.5, 3.2])}, meta={"warmup_steps": 100})
    assert MultiPowerLaw("paper").prepare(run).steps.tolist() == [150, 400]
    assert MultiPowerLaw("repo").prepare(run).steps.tolist() == [10, 50, 150, 400]
    assert MultiPowerLaw("repo").prepare(run, exclude_warmup=True).steps.tolist() == [150, 400]
    with pytest.raises(ValueError, match="inside the 100-step warmup"):
        MultiPowerLaw("tissue").prepare(run, exclude_warmup=False)


def test_bad_input_raises_with_names():
    law = MultiPowerLaw()
    with pytest.raises(ValueError, match="convention"):
        MultiPowerLaw(convention="mpl_paper")
    with pytest.raises(ValueError, match="block_size"):
        MultiPowerLaw(mode="block", block_size=0)
    nolr = Run("nolr", metrics={"loss": ([1, 2], [3.0, 2.9])})
    with pytest.raises(ValueError, match="'nolr' has no learning-rate array"):
        law.prepare(nolr)
    short = Run("short", lr=np.full(10, 1e-3), metrics={"loss": ([5, 12], [3.0, 2.9])})
    with pytest.raises(ValueError, match=r"'short'.*\[12\].*outside the LR array"):
        law.prepare(short)
    neg = Run("neg", lr=np.full(10, 1e-3), metrics={"loss": ([5, 6], [3.0, -1.0])})
    with pytest.raises(ValueError, match=r"'neg'.*-1\.0 at step 6"):
        law.prepare(neg)
    zero = Run("zero", lr=np.r_[0.0, np.full(9, 1e-3)], metrics={"loss": ([0, 5], [3.0, 2.9])})
    with pytest.raises(ValueError, match=r"'zero'.*area is 0 at steps \[0\]"):
        MultiPowerLaw("repo").prepare(zero)
    with pytest.raises(ValueError, match="runs must be"):
        law.prepare(42)


def test_step_selection_forms():
    law = MultiPowerLaw("paper")
    run = _run("cosine", steps=np.arange(120, 1200, 100))
    assert law.prepare(run, steps=slice(300, 700)).steps.tolist() == [320, 420, 520, 620]
    assert law.prepare(run, steps=range(300, 700)).steps.tolist() == [320, 420, 520, 620]
    assert law.prepare(run, steps={"cosine": [120, 1020]}).steps.tolist() == [120, 1020]
    pred = law.prepare(run, steps=slice(1190, None), predict=True)
    assert pred.steps.tolist() == list(range(1190, 1200))
    assert np.isnan(np.asarray(pred.y)).sum() == 10
    hit = law.prepare(run, steps=[220, 221], predict=True)
    assert np.asarray(hit.y)[0] == 3.0 and np.isnan(np.asarray(hit.y)[1])


def test_grouped_tiles_match_single_group(monkeypatch):
    """The memory-bounded path (lax.map over rematerialised tile groups) gives the same values and
    gradients as the single vmapped group."""
    from lawfit.laws import _mpl_terms

    law = MultiPowerLaw("repo")
    runs = RunSet([_run(k) for k in KINDS])
    one = law.prepare(runs).x
    monkeypatch.setattr(_mpl_terms, "GROUP_ELEMS", _mpl_terms.TILE_P * _mpl_terms.TILE_K * 3)
    many = law.prepare(runs).x
    assert one["tile_p"].shape[0] == 1 and many["tile_p"].shape[0] > 1

    def total(p, x):
        return jnp.sum(jnp.log(law.predict(p, x)))

    np.testing.assert_allclose(law.predict(P, many), law.predict(P, one), rtol=1e-13)
    g1 = jax.jit(jax.grad(total))(P, one)
    g2 = jax.jit(jax.grad(total))(P, many)
    for k in P:
        np.testing.assert_allclose(float(g2[k]), float(g1[k]), rtol=1e-10, err_msg=k)


def test_shape_buckets_share_programs_and_change_nothing():
    """Padding to shape buckets: the three sizes' train sets get identical shapes (one compiled
    fitting program), and predictions / bounds at the real points are unchanged."""
    from lawfit.datasets import MPL_TRAIN
    from lawfit.laws._mpl import FIT_BLOCK

    law = MultiPowerLaw("paper", mode="block", **FIT_BLOCK)
    shapes = set()
    for size in ("25M", "100M", "400M"):
        inp = law.prepare(mpl_runs(size).select(MPL_TRAIN))
        pad = law.pad_inputs(inp)
        shapes.add(tuple(sorted((k, v.shape) for k, v in pad.x.items())) + (pad.y.shape,))
        n = inp.y.shape[0]
        assert np.all(np.asarray(pad.weight)[n:] == 0) and np.all(np.asarray(pad.weight)[:n] == 1)
        p = PAPER_TABLE7[size]
        np.testing.assert_array_equal(np.asarray(law.predict(p, pad.x))[:n], np.asarray(law.predict(p, inp.x)))
        np.testing.assert_array_equal(np.asarray(law.error_bound(p, pad.x))[:n],
                                      np.asarray(law.error_bound(p, inp.x)))
    assert len(shapes) == 1
