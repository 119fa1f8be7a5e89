"""The Ray sweep backend against a local Ray instance (optional extra, in the test group)."""

import pytest

from lawfit import proxy, schedules


@pytest.mark.slow
def test_ray_sweep_matches_local(tmp_path, tiny):
    ray = pytest.importorskip("ray")
    cfgs = [proxy.RunConfig(f"r{i}", steps=20, schedule=schedules.constant(1e-3 * (i + 1)), seed=i, **tiny)
            for i in range(2)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = proxy.sweep(cfgs, tmp_path / "ray", backend="ray", max_batch=1)
    finally:
        ray.shutdown()
    assert [r["run_id"] for r in res] == ["r0", "r1"]
    assert all(r["status"] == "completed" for r in res)
    local = proxy.sweep(cfgs, tmp_path / "local", max_batch=1)
    for a, b in zip(res, local, strict=True):
        assert a["final_val_loss"] == b["final_val_loss"]
    ray_runs = proxy.read_runs(tmp_path / "ray")
    local_runs = proxy.read_runs(tmp_path / "local")
    for rid in ("r0", "r1"):
        assert ray_runs[rid].observed("loss").values.tolist() == local_runs[rid].observed("loss").values.tolist()
