import numpy as np
import pytest

from lawfit.datasets import MPL_RUNS, MPL_TRAIN, mpl_lr, mpl_runs
from lawfit.runs import Run, RunSet
from tests.conftest import shared_path


def test_run_validates_and_is_immutable():
    run = Run("a", lr=np.full(10, 1e-3), metrics={"loss": ([1, 5], [3.0, 2.0])}, meta={"N": 5})
    assert run.total_steps == 10
    assert run.observed("loss").steps.dtype == np.int64
    with pytest.raises(ValueError):
        run.lr[0] = 1.0  # read-only
    with pytest.raises(ValueError, match="strictly increasing"):
        Run("b", metrics={"loss": ([5, 5], [1.0, 2.0])})
    with pytest.raises(ValueError, match="negative step"):
        Run("b", metrics={"loss": ([-1, 5], [1.0, 2.0])})
    with pytest.raises(ValueError, match=r"lr\[2\]"):
        Run("b", lr=[1e-3, 1e-3, float("nan")])
    with pytest.raises(ValueError, match="no metric 'val_loss'"):
        run.observed("val_loss")


def test_runset_selection():
    runs = RunSet([Run(f"r{i}", meta={"N": i % 2}) for i in range(4)])
    assert runs.select(["r2", "r0"]).ids == ("r2", "r0")
    assert runs.select(N=1).ids == ("r1", "r3")
    assert runs.select(where=lambda r: r.run_id > "r1").ids == ("r2", "r3")
    with pytest.raises(ValueError, match="duplicate run_id"):
        RunSet([Run("x"), Run("x")])
    with pytest.raises(KeyError, match="no run 'zz'"):
        runs["zz"]


@pytest.mark.parametrize("size", ["25M", "100M", "400M"])
def test_mpl_curves_match_logged_lr(size):
    runs = mpl_runs(size)
    assert runs.ids == MPL_RUNS
    folder = {"25M": "csv_25", "100M": "csv_100", "400M": "csv_400"}[size]
    for run in runs:
        path = shared_path("data", "mpl", "curves", folder, f"{run.run_id}.csv")
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        steps = table[:, 0].astype(int)
        np.testing.assert_allclose(run.lr[steps], table[:, 1], rtol=2e-15, atol=0)
    assert runs.select(MPL_TRAIN).ids == MPL_TRAIN


def test_mpl_lr_matches_shared_per_step_arrays():
    path = shared_path("data", "mpl", "mpl_lr_schedules_per_step.csv")
    import pandas as pd

    table = pd.read_csv(path)
    for name, grp in table.groupby("run"):
        ref = grp.sort_values("step")["lr"].to_numpy()
        np.testing.assert_allclose(mpl_lr(name), ref, rtol=5e-10, atol=0)
