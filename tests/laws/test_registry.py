"""The law registry: adding a law is one new module plus one registry entry, and the CLI, the
explorer and ``from_spec`` find it from the registry alone; every registered law is run through
the shared contract suite."""

import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lawfit
from lawfit import laws
from lawfit.runs import Run, RunSet

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/laws has no __init__.py
from contract import check_law_contract  # noqa: E402

TOY_LAW = '''
"""A toy law for the registry test: L(s) = L0 + A * S1(s)^(-alpha), S1 the LR area."""
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from lawfit.laws._base import Law, LawInputs, ParamSpec


class ToyLaw(Law):
    name: ClassVar[str] = "toy"

    def param_specs(self):
        return (ParamSpec("L0", 0.0, np.inf, "log", (2.0,)),
                ParamSpec("A", 0.0, np.inf, "log", (1.0,)),
                ParamSpec("alpha", 0.01, 3.0, "logit", (0.5,)))

    def prepare(self, runs, *, metric="loss", steps=None, exclude_warmup=None, predict=False):
        from lawfit.runs import as_runset, select_points

        runs = as_runset(runs)
        area, ys, idx, st = [], [], [], []
        for i, run in enumerate(runs):
            s, y = select_points(run, metric, steps, predict=predict)
            area.append(np.cumsum(run.lr)[s])
            ys.append(y)
            idx.append(np.full(s.size, i))
            st.append(s)
        y = np.concatenate(ys)
        return LawInputs(x={"area": jnp.asarray(np.concatenate(area))}, y=jnp.asarray(y),
                         weight=jnp.ones(y.shape), run_index=np.concatenate(idx),
                         steps=np.concatenate(st), run_ids=runs.ids)

    def predict(self, params, x):
        return params["L0"] + params["A"] * x["area"] ** (-params["alpha"])
'''
TRUE = {"L0": 2.2, "A": 0.9, "alpha": 0.45}


@pytest.fixture
def toy_registered(tmp_path, monkeypatch):
    """The whole of adding a law: its module, plus one registry entry."""
    (tmp_path / "toy_law_module.py").write_text(textwrap.dedent(TOY_LAW))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(laws, "_REGISTRY", dict(laws._REGISTRY))
    monkeypatch.setattr(laws, "_CLASSES", dict(laws._CLASSES))
    laws.register("toy", "toy_law_module", "ToyLaw")
    return laws.get("toy")


def _toy_runs():
    steps = np.arange(20, 2000, 20)
    out = []
    for rid, lr in (("a", np.full(2000, 1e-3)), ("b", np.linspace(1e-3, 1e-4, 2000))):
        area = np.cumsum(lr)[steps]
        out.append(Run(rid, lr=lr, metrics={"loss": (steps, TRUE["L0"] + TRUE["A"] * area ** -TRUE["alpha"])}))
    return RunSet(out)


def test_a_registered_toy_law_is_found_everywhere(toy_registered, tmp_path):
    law = toy_registered
    assert "toy" in laws.names() and "toy" in laws.names(data="curves")
    assert "toy" not in laws.names(data="mixture_table")
    assert laws.from_spec(law.to_spec()) == law
    runs = _toy_runs()
    res = lawfit.fit(law, runs)
    for k, v in TRUE.items():
        assert res.params[k] == pytest.approx(v, rel=1e-5)
    # the CLI builds it by name from the registry alone
    path = tmp_path / "runs.parquet"
    lawfit.io.write(runs, path)
    from lawfit.cli import app

    out = CliRunner().invoke(app, ["fit", str(path), "--law", "toy", "--out", str(tmp_path / "f.json")])
    assert out.exit_code == 0, out.output
    assert lawfit.load_fit(tmp_path / "f.json").law == law


def test_the_toy_law_passes_the_contract_suite(toy_registered):
    check_law_contract(toy_registered, _toy_runs(), TRUE, recovery_rtol=1e-5)


def test_register_refuses_bad_names_and_silent_replacement(monkeypatch):
    monkeypatch.setattr(laws, "_REGISTRY", dict(laws._REGISTRY))
    with pytest.raises(ValueError, match="identifier"):
        laws.register("not a name", "m", "C")
    with pytest.raises(ValueError, match="already registered"):
        laws.register("mpl", "somewhere_else", "MultiPowerLaw")
    with pytest.raises(ValueError, match="data must be one of"):
        laws.names(data="images")


@pytest.mark.parametrize("name", laws.names())
def test_every_registered_law_runs_the_contract_suite(name):
    """Each registered law's class is passed to check_law_contract in some test module."""
    cls = type(laws.get(name)) if name not in ("dcpt",) else laws.DCPTLaw
    calls = []
    for f in Path(__file__).resolve().parent.glob("test_*.py"):
        src = f.read_text()
        if "check_law_contract(" in src and re.search(rf"\b{cls.__name__}\b", src):
            calls.append(f.name)
    assert calls, f"law {name!r} ({cls.__name__}) is registered but no test runs check_law_contract on it"
    assert cls.data in laws.DATA_KINDS
