"""Fuzz suite: thousands of malformed inputs; each loads correctly or raises lawfit.io.ImportError
(or a documented subclass) naming the file and, for local problems, the line or column. Nothing
else escapes, nothing hangs, and the source is never modified."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lawfit import io
from lawfit.runs import Run, RunSet

# Random exploration locally; a fixed example sequence under CI (CI=true), so a landing run is
# reproducible. A failure found locally becomes a deterministic regression test (test_io_readers).
SETTINGS = dict(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("CI", "").lower() in ("1", "true", "yes"),
)

# problems that concern a whole file or run, not a place in it
WHOLE_FILE = (
    "the file is empty",
    "no JSON records",
    "log lines found",
    "not a readable Parquet",
    "cannot tell",
    "unknown file type",
    "no MLflow runs",
    "no curve to import",
    "no training-log lines",
)

TOKENS = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "-7",
    "1e400",
    "-1e400",
    "abc",
    "",
    "-0",
    "0",
    "1.5",
    "99999999999999999999999999",
    "1e-320",
    "0x10",
    "1,5",
    "true",
    "null",
    "None",
    '"',
    "''",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    "é",
    "\u2028",
    " ",
    "{",
    "[]",
    "3.0.1",
    "--1",
    "+2",
    "1_000",
    "1" * 5000,  # regex backtracking bait: parsing must stay linear
    "1," * 3000,
    "1." * 3000,
]


def _hash(p: Path) -> str:
    h = hashlib.sha256()
    for f in [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file()):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@st.composite
def mutated(draw, base: bytes, n_max: int = 3):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, n_max))):
        kind = draw(
            st.sampled_from(
                [
                    "truncate",
                    "delete",
                    "insert",
                    "token",
                    "delim",
                    "latin1",
                    "dupline",
                    "swaplines",
                    "bytes",
                    "blank",
                ]
            )
        )
        n = len(data)
        if kind == "truncate" and n:
            data = data[: draw(st.integers(0, n))]
        elif kind == "delete" and n:
            i = draw(st.integers(0, n - 1))
            data = data[:i] + data[i + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            i = draw(st.integers(0, n))
            data = data[:i] + draw(st.sampled_from(TOKENS)).encode() + data[i:]
        elif kind == "token" and n:
            text = data.decode("utf-8", errors="replace")
            import re

            nums = [m.span() for m in re.finditer(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text)]
            if nums:
                a, b = draw(st.sampled_from(nums))
                text = text[:a] + draw(st.sampled_from(TOKENS)) + text[b:]
                data = bytearray(text.encode("utf-8"))
        elif kind == "delim":
            data = data.replace(b",", draw(st.sampled_from([b";", b"\t", b" ", b"|"])))
        elif kind == "latin1":
            i = draw(st.integers(0, n))
            data = data[:i] + "é".encode("latin-1") + data[i:]
        elif kind in ("dupline", "swaplines"):
            lines = bytes(data).split(b"\n")
            if len(lines) > 1:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if kind == "dupline":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                data = bytearray(b"\n".join(lines))
        elif kind == "bytes":
            i = draw(st.integers(0, n))
            data = data[:i] + draw(st.binary(max_size=8)) + data[i:]
        elif kind == "blank":
            data = bytearray(b"" if draw(st.booleans()) else b" \n\n")
    return bytes(data)


def check(path: Path, **options) -> None:
    before = _hash(path)
    try:
        rs = io.read(path, **options)
        assert isinstance(rs, RunSet)
        for run in rs:  # a loaded run is a valid run
            for obs in run.metrics.values():
                assert obs.steps.dtype == np.int64 and np.all(np.diff(obs.steps) > 0)
    except io.ImportError as e:
        msg = str(e)
        assert e.path is not None and Path(e.path).name in msg or str(path) in msg, msg
        local = isinstance(e, io.ParseError) and not any(w in msg for w in WHOLE_FILE)
        if local:
            assert e.line is not None or e.column is not None, msg
    assert _hash(path) == before, "the source was modified"


def _options(draw_lr: bool, duplicates: str) -> dict:
    return {"require_lr": draw_lr, "duplicates": duplicates, "lr_extrapolate": "hold"}


opts = st.builds(_options, st.booleans(), st.sampled_from(["auto", "error", "last", "mean"]))


def _in_tmp(name: str, data: bytes, fn) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        fn(p)


# -- bases -------------------------------------------------------------------------------------------


def mpl_csv(n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    rows = ["step,lr,loss"] + [
        f"{s},{float(rng.uniform(0, 1e-3))!r},{float(rng.uniform(2, 5))!r}"
        for s in range(0, 5 * n, 5)
    ]
    return ("\n".join(rows) + "\n").encode()


def canonical_csv(n: int, seed: int, suffix: str) -> bytes:
    rng = np.random.default_rng(seed)
    rs = RunSet(
        [
            Run(
                f"r{k}",
                lr=rng.uniform(0, 1, n),
                metrics={"loss": (np.arange(0, n, 2), rng.normal(size=(n + 1) // 2))},
                meta={"N": 10**9, "schedule": {"family": "constant"}},
            )
            for k in range(2)
        ]
    )
    with tempfile.TemporaryDirectory() as d:
        return io.write(rs, Path(d) / f"t{suffix}").read_bytes()


def wandb_csv(n: int) -> bytes:
    head = '"Step","a - train/loss","a - train/loss__MIN","a - train/loss__MAX","b - x - eval/loss"'
    rows = [f"{s},{4 - s / 100!r},1,2,{'' if s % 3 else 3.5}" for s in range(n)]
    return (head + "\n" + "\n".join(rows) + "\n").encode()


def jsonl(n: int) -> bytes:
    return "".join(
        json.dumps({"step": s, "loss": 4 - s / 100, "lr": 1e-3, "run_id": "a" if s % 2 else "b"})
        + "\n"
        for s in range(n)
    ).encode()


def trainer_state(n: int) -> bytes:
    hist = [
        {"epoch": s / n, "learning_rate": 1e-3, "loss": 4 - s / 10, "step": s} for s in range(1, n)
    ]
    hist.append({"eval_loss": 3.0, "epoch": 1.0, "step": n - 1})
    hist.append({"train_loss": 3.1, "train_runtime": 1.0, "step": n - 1})
    return json.dumps({"global_step": n - 1, "log_history": hist}, indent=1).encode()


def megatron(n: int) -> bytes:
    return "".join(
        f" iteration {s:6d}/ 1000 | learning rate: {1e-3:.6E} | lm loss: {4 - s / 100:.6E} | grad norm: 0.8 |\n"
        for s in range(n)
    ).encode()


# -- the properties ----------------------------------------------------------------------------------


@settings(max_examples=500, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 12), seed=st.integers(0, 3), o=opts)
def test_fuzz_wide_csv(data, n, seed, o):
    raw = data.draw(mutated(mpl_csv(n, seed)))
    _in_tmp("run.csv", raw, lambda p: check(p, **o))


@settings(max_examples=400, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 8), seed=st.integers(0, 3))
def test_fuzz_canonical_csv(data, n, seed):
    raw = data.draw(mutated(canonical_csv(n, seed, ".csv")))
    _in_tmp("table.csv", raw, check)


@settings(max_examples=200, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 8))
def test_fuzz_parquet_bytes(data, n):
    base = canonical_csv(n, 0, ".parquet")
    i = data.draw(st.integers(0, len(base)))
    raw = data.draw(st.sampled_from([base[:i], base[:i] + b"\x00" + base[i + 1 :], base[i:]]))
    _in_tmp("table.parquet", raw, check)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 10), o=opts)
def test_fuzz_wandb_csv(data, n, o):
    raw = data.draw(mutated(wandb_csv(n)))
    _in_tmp("export.csv", raw, lambda p: check(p, **o))


@settings(max_examples=400, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 10), o=opts)
def test_fuzz_jsonl(data, n, o):
    raw = data.draw(mutated(jsonl(n)))
    _in_tmp("log.jsonl", raw, lambda p: check(p, **o))


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), n=st.integers(2, 8), o=opts)
def test_fuzz_trainer_state(data, n, o):
    raw = data.draw(mutated(trainer_state(n)))
    _in_tmp("trainer_state.json", raw, lambda p: check(p, **o))


json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.text(max_size=5)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, **SETTINGS)
@given(
    entries=st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"step": json_values, "loss": json_values, "learning_rate": json_values}
            ),
            st.dictionaries(
                st.sampled_from(["step", "eval_loss", "loss", "epoch", "train_runtime"]),
                json_values,
            ),
            json_values,
        ),
        max_size=6,
    ),
    o=opts,
)
def test_fuzz_trainer_state_structure(entries, o):
    raw = json.dumps({"log_history": entries}).encode()
    _in_tmp("trainer_state.json", raw, lambda p: check(p, **o))


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 8), o=opts)
def test_fuzz_mlflow_metric_file(data, n, o):
    base = "".join(f"{1700000000000 + s} {4 - s / 10!r} {s}\n" for s in range(n)).encode()
    raw = data.draw(mutated(base))
    with tempfile.TemporaryDirectory() as d:
        run = Path(d) / "mlruns" / "0" / "abc"
        (run / "metrics").mkdir(parents=True)
        (run / "tags").mkdir()
        (run / "metrics" / "loss").write_bytes(raw)
        (run / "metrics" / "lr").write_bytes("".join(f"1 0.001 {s}\n" for s in range(n)).encode())
        check(Path(d) / "mlruns", **o)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 10), o=opts)
def test_fuzz_megatron_log(data, n, o):
    raw = data.draw(mutated(megatron(n)))
    _in_tmp("train.log", raw, lambda p: check(p, **o))


_TB_BASE: dict[int, bytes] = {}


def _tb_base(n: int) -> bytes:
    if n not in _TB_BASE:
        from iofixtures import write_tb_events

        with tempfile.TemporaryDirectory() as d:
            write_tb_events(Path(d), n=n)
            _TB_BASE[n] = next(Path(d).glob("*tfevents*")).read_bytes()
    return _TB_BASE[n]


@settings(max_examples=200, **SETTINGS)
@given(data=st.data(), n=st.integers(1, 4), o=opts)
def test_fuzz_tensorboard_bytes(data, n, o):
    base = _tb_base(n)
    i = data.draw(st.integers(0, len(base) - 1))
    flip = bytes([base[i] ^ data.draw(st.integers(1, 255))])
    raw = data.draw(st.sampled_from([base[:i], base[:i] + flip + base[i + 1 :], base + base[:i]]))
    _in_tmp("events.out.tfevents.1.host", raw, lambda p: check(p, **o))


def test_nothing_but_import_errors_on_odd_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    for p, exc in [
        (tmp_path / "missing.csv", io.UnsupportedFormatError),
        (tmp_path / "empty", io.UnsupportedFormatError),
        (tmp_path / "x.xlsx", io.UnsupportedFormatError),
    ]:
        if p.suffix == ".xlsx":
            p.write_bytes(b"PK\x03\x04")
        with pytest.raises(exc, match=p.name):
            io.read(p)


def test_pathological_text_lines_are_linear(tmp_path):
    """Lines built to trigger regex backtracking (quadratic before the fix: ~30 s for these)."""
    n = 20_000
    lines = [
        "iter 1: loss 1 time " + "1" * n,
        "step 1: train loss " + "1" * n + ", val loss x",
        "step: 1  loss: " + "1" * n + "x",
        " iteration 1/ 2 | lm loss: " + "1," * n,
        "iter 2: loss 2.0, time 1.0ms, mfu 1.0%",
    ]
    generic = ["step 1 " + "a" * n + " loss: 1", "step 2 loss " + "1 " * n, "step 3 loss: 3"]
    (tmp_path / "g.log").write_text("\n".join(generic) + "\n")
    g = io.read(tmp_path / "g.log", format="generic", require_lr=False)["g"]
    assert 3 in g.observed("loss").steps.tolist()
    (tmp_path / "p.log").write_text("\n".join(lines) + "\n")
    run = io.read(tmp_path / "p.log", format="nanogpt", require_lr=False)["p"]
    assert 2 in run.observed("loss").steps.tolist()


# -- issue 16 formats and the repeated-step rules ---------------------------------------------


def _reference_auto(steps, values):
    """Naive twin of resolve_repeats(policy="auto", chronological=True): exact copies dropped,
    then each step at or below the last kept one restarts the log from there."""
    seen: dict[int, list[float]] = {}
    reduced = []
    for s, v in zip(steps, values, strict=True):
        same = [x for x in seen.get(s, []) if x == v or (np.isnan(x) and np.isnan(v))]
        if same:
            continue
        seen.setdefault(s, []).append(v)
        reduced.append((s, v))
    kept: list[tuple[int, float]] = []
    for s, v in reduced:
        while kept and kept[-1][0] >= s:
            kept.pop()
        kept = [(a, b) for a, b in kept if a < s]
        kept.append((s, v))
    return [a for a, _ in kept], [b for _, b in kept]


@settings(max_examples=400, **SETTINGS)
@given(
    pts=st.lists(
        st.tuples(st.integers(0, 12), st.sampled_from([1.0, 2.0, 3.0, float("nan")])),
        max_size=30,
    )
)
def test_fuzz_resume_rule_matches_a_naive_twin(pts):
    steps = [s for s, _ in pts]
    values = [v for _, v in pts]
    s, v, _ = io.resolve_repeats(steps, values, "auto")
    ref_s, ref_v = _reference_auto(steps, values)
    assert s.tolist() == ref_s
    np.testing.assert_array_equal(v, np.asarray(ref_v, dtype=np.float64))
    # non-chronological sources: sorted, and each value is the mean of the distinct values logged
    s2, v2, _ = io.resolve_repeats(steps, values, "auto", chronological=False)
    assert np.all(np.diff(s2) > 0) and sorted(set(steps)) == s2.tolist()
    for step, value in zip(s2.tolist(), v2.tolist(), strict=True):
        distinct = []
        for x in (b for a, b in pts if a == step):
            if not any(x == y or (np.isnan(x) and np.isnan(y)) for y in distinct):
                distinct.append(x)
        np.testing.assert_array_equal(value, np.mean(distinct))
    # strict: anything but strictly increasing steps is an error naming the point's line
    if len(steps) > 1 and not np.all(np.diff(steps) > 0):
        with pytest.raises(io.ImportError) as e:
            io.resolve_repeats(steps, values, "error", lines=np.arange(len(steps)) + 2, path="x")
        assert e.value.line is not None


def _text_log(kind: str, n: int) -> bytes:
    if kind == "build":
        lines = ["validation loss: 10.95"] + [
            f"step {s:5d} | loss: {11 - s / 10:.6f} | lr {6e-4 * (s + 1) / 10:.4e} | norm: 1.2 | "
            f"dt: 300.00ms | tok/sec: 1000.00"
            for s in range(n)
        ]
    elif kind == "modded":
        lines = ["step:0/9 val_loss:10.8 train_time:0ms step_avg:nanms"] + [
            f"step:{s}/9 train_loss:{11 - s / 10:.4f} train_time:{s * 30}ms step_avg:30.00ms"
            for s in range(1, n + 1)
        ]
    else:
        lines = [f"step {s}, loss: {11 - s / 10}, lr: {1e-3 * (s + 1)}" for s in range(n)]
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=300, **SETTINGS)
@given(
    data=st.data(),
    kind=st.sampled_from(["build", "modded", "generic"]),
    n=st.integers(1, 9),
    o=opts,
)
def test_fuzz_new_text_logs(data, kind, n, o):
    raw = data.draw(mutated(_text_log(kind, n)))
    _in_tmp("stdout.txt", raw, lambda p: check(p, **o))


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**64), st.floats(), st.text(max_size=3)
)
_json = st.recursive(
    _json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.dictionaries(
            st.sampled_from(["iter", "_step", "loss", "lr", "train", "val", "x"]), kids, max_size=4
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=300, **SETTINGS)
@given(history=_json, config=_json, o=opts)
def test_fuzz_wandb_json_structure(history, config, o):
    doc = {"config": config, "history": history, "name": "r"}
    try:
        text = json.dumps(doc, allow_nan=True)
    except (ValueError, OverflowError):
        return
    _in_tmp("run.json", text.encode(), lambda p: check(p, **o))


@settings(max_examples=100, **SETTINGS)
@given(
    name=st.sampled_from(
        ["a.csv", "b.json", "events.out.tfevents.1", "c.log", "d", "e.jsonl", "f.parquet"]
    ),
    size=st.integers(0, 10**12),
)
def test_fuzz_lfs_pointers_are_always_named(name, size):
    text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{'ab' * 32}\nsize {size}\n"

    def go(p):
        with pytest.raises(io.UnsupportedFormatError, match="Git LFS pointer"):
            io.read(p)

    _in_tmp(name, text.encode(), go)
