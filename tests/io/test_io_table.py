"""The canonical table: exact write -> read round trips (CSV and Parquet), atomic writes."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lawfit import io
from lawfit.runs import Run, RunSet

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
anyfloat = st.floats(allow_nan=True, allow_infinity=True, width=64)
name = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s not in ("lr", "__run__") and s.strip() == s and s != "")
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), anyfloat, st.text(max_size=8)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def runs(draw):
    n_runs = draw(st.integers(1, 3))
    ids = draw(st.lists(name, min_size=n_runs, max_size=n_runs, unique=True))
    out = []
    for rid in ids:
        total = draw(st.integers(1, 40))
        lr = None
        if draw(st.booleans()):
            lr = np.array(
                draw(st.lists(st.floats(0, 1e3, width=64), min_size=total, max_size=total))
            )
        metrics = {}
        for m in draw(st.lists(name, max_size=3, unique=True)):
            steps = sorted(draw(st.sets(st.integers(0, 60), max_size=10)))
            values = draw(st.lists(anyfloat, min_size=len(steps), max_size=len(steps)))
            metrics[m] = (np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64))
        meta = draw(st.dictionaries(st.text(max_size=8), json_value, max_size=4))
        source = draw(st.sampled_from(["array", "spec", "logged", "tabulated:linear"]))
        out.append(
            Run(
                rid,
                lr=lr,
                metrics=metrics,
                meta=meta,
                lr_source=source if lr is not None else "none",
            )
        )
    return RunSet(out)


def _same_json(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, (list, tuple)) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_same(a: RunSet, b: RunSet) -> None:
    assert a.ids == b.ids
    for x, y in zip(a, b, strict=False):
        assert x.lr_source == y.lr_source
        if x.lr is None:
            assert y.lr is None
        else:
            assert x.lr.tobytes() == y.lr.tobytes()  # bit-exact
        assert list(x.metrics) == list(y.metrics)
        for m in x.metrics:
            assert x.metrics[m].steps.tobytes() == y.metrics[m].steps.tobytes()
            xv, yv = x.metrics[m].values, y.metrics[m].values
            nan = np.isnan(xv)
            assert np.array_equal(nan, np.isnan(yv))
            assert xv[~nan].tobytes() == yv[~nan].tobytes()  # incl. -0.0, inf, subnormals
        assert _same_json(dict(x.meta), dict(y.meta)), (x.meta, y.meta)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rs=runs())
def test_round_trip_is_exact(tmp_path, suffix, rs):
    path = tmp_path / f"runs{suffix}"
    io.write(rs, path)
    assert_same(rs, io.read(path))
    assert_same(rs, RunSet.from_frame(rs.to_frame()))


def test_frame_columns_and_lr_rows():
    run = Run(
        "r",
        lr=np.array([0.0, 0.5, 1.0]),
        metrics={"loss": ([1, 5], [2.0, 1.0])},
        meta={"N": 10**12, "schedule": {"family": "constant", "value": 1.0}},
    )
    f = run.to_frame()
    assert tuple(f.columns) == io.COLUMNS
    lr_rows = f[f.metric == "lr"]
    assert lr_rows.step.tolist() == [0, 1, 2] and lr_rows.value.tolist() == [0.0, 0.5, 1.0]
    loss = f[f.metric == "loss"]
    assert loss.lr.tolist()[0] == 0.5 and math.isnan(loss.lr.tolist()[1])  # step 5 > T
    head = f[f.metric == "__run__"]
    assert len(head) == 1 and pd.isna(head.step.iloc[0])


def test_csv_is_plain_text_with_repr_floats(tmp_path):
    run = Run("r", lr=np.array([0.1]), metrics={"loss": ([0, 1, 2], [1 / 3, -0.0, float("nan")])})
    text = io.write(RunSet([run]), tmp_path / "t.csv").read_text()
    assert "0.3333333333333333" in text and "-0" in text and "nan" in text
    assert text.splitlines()[0].replace('"', "") == ",".join(io.COLUMNS)


def test_write_is_atomic(tmp_path, monkeypatch):
    good = RunSet([Run("a", lr=np.ones(3), metrics={"loss": ([0], [1.0])})])
    path = tmp_path / "runs.parquet"
    io.write(good, path)
    before = path.read_bytes()
    import pyarrow.parquet as pq

    def explode(table, where, *a, **k):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", explode)
    with pytest.raises(OSError, match="disk full"):
        io.write(good, path)
    assert path.read_bytes() == before  # old file intact
    assert os.listdir(tmp_path) == ["runs.parquet"]  # no temporary left behind


def test_write_refuses_reserved_metric_and_unknown_suffix(tmp_path):
    bad = RunSet([Run("a", metrics={"lr": ([0], [1.0])})])
    with pytest.raises(ValueError, match="reserves"):
        io.write(bad, tmp_path / "x.csv")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        io.write(RunSet([Run("a")]), tmp_path / "x.xlsx")


def test_truncated_canonical_csv_is_an_error_naming_the_line(tmp_path):
    rs = RunSet([Run("a", lr=np.linspace(0, 1, 50), metrics={"loss": ([3, 7], [2.0, 1.0])})])
    p = io.write(rs, tmp_path / "t.csv")
    lines = p.read_text().splitlines()
    (tmp_path / "cut.csv").write_text("\n".join(lines[:20]) + "\n")
    with pytest.raises(io.ParseError, match=r"cut\.csv:3: column 'step'.*'lr' rows"):
        io.read(tmp_path / "cut.csv")


def test_csv_refuses_line_breaks_in_names_parquet_keeps_them(tmp_path):
    rs = RunSet([Run("a\nb", lr=np.ones(2), metrics={"x\ry": ([0], [1.0])})])
    with pytest.raises(ValueError, match="Parquet"):
        io.write(rs, tmp_path / "x.csv")
    assert_same(rs, io.read(io.write(rs, tmp_path / "x.parquet")))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_numeric_looking_names_stay_text(tmp_path, suffix):
    rs = RunSet(
        [
            Run(rid, lr=np.ones(2), metrics={"007": ([0], [1.0]), "nan": ([1], [2.0])})
            for rid in ("00", "1e3", "nan", "True", " x ")
        ]
    )
    assert_same(rs, io.read(io.write(rs, tmp_path / f"t{suffix}")))


def test_from_frame_generic_long_table_applies_import_rules():
    frame = pd.DataFrame(
        {
            "run_id": ["a"] * 6,
            "step": [0, 1, 2, 1, 2, 3],
            "metric": ["train/loss"] * 6,
            "value": [4.0, 3.0, 2.0, 3.5, 2.5, 1.0],
            "lr": [1e-3] * 6,
        }
    )
    with pytest.raises(io.ParseError, match="goes back from 2 to 1"):
        RunSet.from_frame(frame, duplicates="error")
    run = RunSet.from_frame(frame, duplicates="mean")["a"]
    assert run.observed("loss").values.tolist() == [4.0, 3.25, 2.25, 1.0]
    assert run.lr.tolist() == [1e-3] * 4 and run.lr_source == "logged"
    assert run.meta["aliases"] == {"loss": "train/loss"}
    canon = run.to_frame()
    p_frame = RunSet.from_frame(canon)  # a canonical frame is rebuilt as is
    assert_same(RunSet([run]), p_frame)
