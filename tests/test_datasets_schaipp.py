"""lawfit.datasets.schaipp_runs against the authors' data as converted independently in
../shared/data/schaipp (``logs.csv``: the tidy long table of the same JSON files, repeats averaged;
``runs.csv``: the per-run config and summary)."""

import numpy as np
import pandas as pd
import pytest

from lawfit.datasets import SCHAIPP_FILES, schaipp_runs
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def tables():
    root = shared_path("data", "schaipp")
    return pd.read_csv(root / "logs.csv"), pd.read_csv(root / "runs.csv").set_index("file")


def test_every_run_matches_the_tidy_tables(tables):
    logs, info = tables
    runs = schaipp_runs(source=shared_path("data"))
    assert len(runs) == len(SCHAIPP_FILES) == len(info) == 76
    by_file = dict(iter(logs.groupby("file")))
    for name, run in zip(SCHAIPP_FILES, runs, strict=True):
        row = info.loc[name]
        T = int(row["iterations"])
        assert run.lr.size == T and run.meta["N"] == row["parameters"], name
        assert run.meta["tokens_per_step"] == row["tokens_per_step"], name
        log = by_file[name][by_file[name]["iter"] < T]
        for metric in ("val_loss", "train_loss"):
            ref = log[log[metric].notna()].sort_values("iter")
            obs = run.metrics[metric]
            np.testing.assert_array_equal(obs.steps, ref["iter"].to_numpy(), err_msg=name)
            np.testing.assert_allclose(obs.values, ref[metric].to_numpy(), rtol=1e-12, err_msg=name)
        lr = log[log["train_lr"].notna() & (log["iter"] > 0)]
        np.testing.assert_allclose(run.lr[lr["iter"].to_numpy()], lr["train_lr"].to_numpy(),
                                   rtol=1e-12, err_msg=name)
        assert run.lr[0] == 0.0 and run.meta["first_logged_step"] == row["first_logged_iter"], name


def test_cooldown_files_hold_the_peak_until_the_cooldown(tables):
    _, info = tables
    name = next(f for f in SCHAIPP_FILES if f.startswith("ann0.2_openwebtext2") and "iter12500" in f)
    run = schaipp_runs([name], source=shared_path("data"))[0]
    row = info.loc[name]
    start = int(row["iterations"] * (1 - row["wsd_fract_decay"]))  # 10000
    assert row["first_logged_iter"] == start  # its val loss at the branch point; LR logged after it
    np.testing.assert_array_equal(run.lr[300:start + 1], row["lr"])
    np.testing.assert_allclose(run.lr[:301], np.linspace(0, row["lr"], 301), rtol=1e-12)
    assert run.metrics["val_loss"].steps[0] == start  # the branch's first evaluation


def test_unknown_file():
    with pytest.raises(ValueError, match="unknown Schaipp et al. file"):
        schaipp_runs(["nope.json"])
