"""D-CPT from proxies, end to end (issue 5, last bar): train small models at several mixture
ratios, fit the D-CPT law (LAWS.md 7.1) for both targets, plan the ratio with usage 1 (LAWS.md
7.3) and compare with the best ratio of the sweep itself.

The setup is built so that the mixture trade-off is real:

* two synthetic corpora over the **same** byte range [32, 128) with different hidden-Markov
  statistics (states, branching, Zipf exponents, emission supports), so the model must spend its
  capacity on two conflicting conditional distributions of the same tokens;
* continual pre-training, as in D-CPT: each size is pre-trained on the general corpus, then
  continued on the mixture ``(1 - r, r)`` for every domain share r of the grid. The domain loss
  falls with r and the general loss rises with r (forgetting), both checked below.

Usage 1 picks the largest r whose general-loss degradation relative to the r = 0 run stays within
``THRESHOLD``; its sweep answer is the crossing interpolated linearly between the swept ratios on
the observed final-step losses. Both sides use the observed r = 0 general loss as L_g0 (the
reference LAWS.md leaves open), so the comparison measures the law's shape in r only.

Finding (asserted): a corpus with share 0 is never seen in CPT and its loss *drifts upward* with
D (the domain loss of the r = 0 run, the general loss of the r = 1 run). L3's data term vanishes
at share 0, so it is constant in D there and cannot describe those rows; they are excluded from
the fit of that target (they stay in the sweep, and the r = 0 run is usage 1's reference).
"""

import warnings

import numpy as np
import pytest

import lawfit
from lawfit import proxy, schedules
from lawfit.laws import DCPTLaw
from lawfit.mixtures import MixtureTable
from lawfit.optimize import dcpt_max_domain_ratio

GENERAL = {"name": "general", "kind": "hmm", "n_states": 32, "zipf": 1.2, "branching": 3,
           "support": 6, "token_range": [32, 128], "n_tokens": 400_000, "seed": 11}
DOMAIN = {"name": "domain", "kind": "hmm", "n_states": 24, "zipf": 1.5, "branching": 2,
          "support": 10, "token_range": [32, 128], "n_tokens": 400_000, "seed": 12}
RATIOS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)  # domain shares r_d
SIZES = ((16, 1), (32, 2))  # (width, depth): ~3.3K and ~25K non-embedding parameters
PT_STEPS, CPT_STEPS = 300, 300
HELD_OUT = 0.3  # the ratio left out of the fits: the grid point next to the usage-1 answer
THRESHOLD = 0.04  # usage 1: at most 4% general-loss degradation vs the r = 0 run


def train_sweep(out):
    """Pre-train each size on the general corpus, then CPT at every ratio (one vmapped batch)."""
    for width, depth in SIZES:
        model = proxy.ModelConfig(width=width, depth=depth, heads=2, context=32)
        base = proxy.RunConfig("x", steps=CPT_STEPS, schedule=None, model=model, batch_size=16,
                               eval_every=25, val_sequences=128, domains=(GENERAL, DOMAIN))
        pt = base.replace(run_id=f"pt_w{width}", steps=PT_STEPS, mixture=(1.0, 0.0),
                          schedule=schedules.cosine(3e-3, PT_STEPS, end_ratio=0.1, warmup_steps=20))
        proxy.cpt(pt, [base.replace(run_id=f"cpt_w{width}_r{r:.2f}", mixture=(1 - r, r),
                                    schedule=schedules.constant(1e-3, warmup_steps=10))
                       for r in RATIOS], out)
    return lawfit.io.read(out)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    runs = train_sweep(tmp_path_factory.mktemp("dcpt_sweep"))
    cpt = [r for r in runs if r.meta.get("phase") == "cpt"]
    return MixtureTable.from_runs(cpt, general_metric="val_loss/general",
                                  domain_metric="val_loss/domain")


@pytest.fixture(scope="module")
def fits(table):
    return fit_targets(table)


def fit_targets(table):
    """``{"joint": {target: fit}, N: {target: fit}, ...}``: the law with its size term on both
    sizes, and at each size alone (``size_term=False``, the law at fixed N). Every fit leaves out
    the held-out ratio, the first evaluation (the re-warm transient) and the rows whose modelled
    share is 0 (see the module docstring)."""
    out = {"joint": {}}
    for key, sub in [("joint", table)] + [(N, table.select(table.N == N)) for N in np.unique(table.N)]:
        out[key] = {}
        for target in ("general", "domain"):
            law = DCPTLaw(target=target, size_term=key == "joint", n_unit=1e4, d_unit=1e4)
            share = sub.r if target == "domain" else 1 - sub.r
            rows = ~np.isclose(sub.r, HELD_OUT) & (sub.D > sub.D.min()) & (share > 0)
            out[key][target] = lawfit.fit(law, sub.select(rows), metric=target)
    return out


def held_out_error(sub, fit, target):
    """Mean relative error of ``fit`` on the held-out ratio's rows of the table ``sub``, and the
    smallest mean relative distance of a neighbouring ratio's measured losses to them (same N, D):
    the error of simply copying the nearest swept ratio's curve."""
    held = rows_at(sub, HELD_OUT)
    y = sub.loss(target)[held]
    pred = np.asarray(fit.law.predict(fit.params, fit.law.inputs(sub.N[held], sub.D[held], sub.r[held])))
    i = RATIOS.index(HELD_OUT)
    gaps = [np.mean(np.abs(sub.loss(target)[rows_at(sub, nb)] / y - 1)) for nb in (RATIOS[i - 1], RATIOS[i + 1])]
    return float(np.mean(np.abs(pred / y - 1))), float(min(gaps))


def final(table, N):
    """Observed (r, general, domain) at the last token count of size N, sorted by r."""
    m = (table.N == N) & (table.D == table.D.max())
    o = np.argsort(table.r[m])
    return table.r[m][o], table.general[m][o], table.domain[m][o]


def rows_at(table, r):
    """Row indices of ratio r (without the first evaluation), ordered by (N, D)."""
    idx = np.flatnonzero(np.isclose(table.r, r) & (table.D > table.D.min()))
    return idx[np.lexsort((table.D[idx], table.N[idx]))]


def sweep_usage1(r, general, threshold):
    """Largest r whose degradation (interpolated linearly between swept ratios) <= threshold."""
    deg = (general - general[0]) / general[0]
    j = int(np.flatnonzero(deg > threshold)[0])
    return float(r[j - 1] + (r[j] - r[j - 1]) * (threshold - deg[j - 1]) / (deg[j] - deg[j - 1]))


@pytest.mark.slow
def test_trade_off_is_real_and_share_zero_drifts(table):
    for N in np.unique(table.N):
        r, g, d = final(table, N)
        assert np.all(np.diff(g) > 0), f"N={N}: general loss must rise with r, got {g}"
        assert np.all(np.diff(d) < 0), f"N={N}: domain loss must fall with r, got {d}"
        # a corpus that CPT never sees drifts upward with D: what L3 cannot describe
        for share0, col in ((0.0, table.domain), (1.0, table.general)):
            m = (table.N == N) & np.isclose(table.r, share0)
            D, y = table.D[m], col[m]
            assert y[np.argmax(D)] > y[np.argmin(D)]
    # the bigger model is better on both corpora at every ratio it saw
    small, big = (final(table, N) for N in np.unique(table.N))
    assert np.all(big[1][:-1] < small[1][:-1]) and np.all(big[2][1:] < small[2][1:])


@pytest.mark.slow
@pytest.mark.parametrize("target", ["general", "domain"])
def test_held_out_ratio_is_predicted(table, fits, target):
    """The law predicts the left-out ratio (every size and token count) better than copying the
    measured curve of the nearest swept ratio would (the law resolves the ratio grid), and within
    1% (general) / 3% (domain) mean relative error: about 3x the in-sample error of the two joint
    fits measured when the setup was designed (0.3% / 1.0%), i.e. a new ratio is predicted about
    as well as the seen ones are fitted. Checked for the joint fit and for each size alone."""
    cap = {"general": 0.01, "domain": 0.03}[target]
    for key, fit in fits.items():
        sub = table if key == "joint" else table.select(table.N == key)
        err, gap = held_out_error(sub, fit[target], target)
        print(f"{target} fit {key}: held-out error {err:.4f}, nearest-ratio error {gap:.4f}")
        assert err < gap, (key, err, gap)
        assert err < cap, (key, err)


@pytest.mark.slow
def test_usage1_predicted_ratio_matches_sweep(table, fits):
    """Usage 1 planned on the law fitted at each size vs the sweep's own answer: within one grid
    step (0.1 around the answer). That is also about the seed-to-seed spread of the sweep's answer
    itself (small size: 0.20-0.31 over 4 seeds when the setup was designed); a constant guess at
    the grid's middle (0.5) misses by more.

    The search stops at the largest domain share of the fitted general rows (0.8): beyond it the
    law extrapolates towards general share 0, where L3 is not monotone (see the planner).
    The joint fit's plan is printed, not asserted: L3 has no N x r interaction, and across these
    two sizes (8x apart) its answer for the small size was 0.08-0.13 too low on 3 of 4 seeds."""
    step = 0.1
    r_max = max(r for r in RATIOS if r < 1)
    for N in np.unique(table.N):
        r, g, _ = final(table, N)
        best = sweep_usage1(r, g, THRESHOLD)
        assert 0.1 < best < 0.6, f"N={N}: the sweep's answer {best} should be interior"
        plans = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # trend reports (the proxies' eta is often < 0)
            for key in (N, "joint"):
                plans[key] = dcpt_max_domain_ratio(fits[key]["general"], N=N, D=table.D.max(),
                                                   threshold=THRESHOLD, reference_loss=g[0],
                                                   domain_fit=fits[key]["domain"], r_max=r_max)
        plan = plans[N]
        print(f"N={N:.0f}: sweep {best:.3f}, planned {plan.ratio:.3f} (joint fit {plans['joint'].ratio:.3f})")
        assert abs(plan.ratio - best) <= step, (N, plan.ratio, best)
        assert plan.predicted["degradation"] == pytest.approx(THRESHOLD, abs=1e-9)


def test_usage1_r_max_limits_the_search():
    """``r_max`` (added for this sweep): the answer is unchanged when it lies below r_max, is
    r_max when every share up to r_max is feasible, and a bad r_max is a clear error."""
    from lawfit.fitting import FitResult

    p = dict(E=1.5, A=0.3, alpha=0.3, B=0.3, beta=0.4, eta=0.2, C=0.15, gamma=1.0, eps=0.02)
    fit = FitResult(law=DCPTLaw(target="general"), params=p)
    full = dcpt_max_domain_ratio(fit, N=1.8e9, D=1e10, threshold=0.03)
    assert 0.2 < full.ratio < 0.5
    assert dcpt_max_domain_ratio(fit, N=1.8e9, D=1e10, threshold=0.03, r_max=0.9).ratio == pytest.approx(full.ratio, abs=1e-9)
    assert dcpt_max_domain_ratio(fit, N=1.8e9, D=1e10, threshold=0.03, r_max=0.2).ratio == 0.2
    with pytest.raises(ValueError, match="r_max"):
        dcpt_max_domain_ratio(fit, N=1.8e9, D=1e10, threshold=0.03, r_max=0.0)
