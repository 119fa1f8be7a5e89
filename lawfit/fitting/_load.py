"""``load_fit``: rebuild a :class:`FitResult` from JSON, checked against the artifact's schema.

The artifact is what :meth:`FitResult.to_dict` writes (``"format": "lawfit.FitResult/1"``).
Required: ``format`` (a supported version), ``law`` (``{"name", "options"}`` of a registered
law) and ``params`` (a number for **every** parameter of that law, no others). Every other field
is optional (older files lack some) but, when present, must have its type: numbers are JSON
numbers or the strings ``"nan"``, ``"inf"``, ``"-inf"``; names must be parameters of the law.
Anything else raises ``ValueError("load_fit: <field>: <what is wrong>")``; a file that is not
UTF-8 JSON text (a pickle, a binary file) is refused before anything is parsed, and nothing in the
file is ever executed.

Example:
    >>> from lawfit.fitting import load_fit
    >>> load_fit({"format": "lawfit.FitResult/1", "law": {"name": "chinchilla", "options": {}},
    ...           "params": {"E": 1.7}})
    Traceback (most recent call last):
    ...
    ValueError: load_fit: params: missing parameter(s) ['A', 'B', 'alpha', 'beta'] of law 'chinchilla'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lawfit.fitting._result import FORMAT, FitResult, StartOutcomes

__all__ = ["load_fit", "SUPPORTED_FORMATS"]

SUPPORTED_FORMATS = (FORMAT,)
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _bad(field: str, problem: str) -> ValueError:
    return ValueError(f"load_fit: {field}: {problem}")


def _num(field: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise _bad(field, f"must be a number, got {v!r}")
    if isinstance(v, str):
        if v.strip().lower() not in _SPECIAL:
            raise _bad(field, f"must be a number (or 'nan', 'inf', '-inf'), got {v!r}")
        return _SPECIAL[v.strip().lower()]
    return float(v)


def _int(field: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(field, f"must be an integer, got {v!r}")
    return v


def _str(field: str, v: Any) -> str:
    if not isinstance(v, str):
        raise _bad(field, f"must be a string, got {v!r}")
    return v


def _dict(field: str, v: Any) -> dict:
    if not isinstance(v, Mapping):
        raise _bad(field, f"must be an object {{...}}, got {type(v).__name__}")
    return dict(v)


def _list(field: str, v: Any) -> list:
    if not isinstance(v, list):
        raise _bad(field, f"must be a list, got {type(v).__name__}")
    return v


def _names(field: str, v: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    out = tuple(_str(f"{field}[{i}]", n) for i, n in enumerate(_list(field, v)))
    unknown = [n for n in out if n not in allowed]
    if unknown:
        raise _bad(field, f"{unknown} are not parameters of the law (it has {list(allowed)})")
    return out


def _param_map(field: str, v: Any, allowed: tuple[str, ...]) -> dict[str, float]:
    d = _dict(field, v)
    unknown = [k for k in d if k not in allowed]
    if unknown:
        raise _bad(field, f"{unknown} are not parameters of the law (it has {list(allowed)})")
    return {k: _num(f"{field}.{k}", x) for k, x in d.items()}


def _array(field: str, v: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    def conv(x, path):
        if isinstance(x, list):
            return [conv(e, f"{path}[{i}]") for i, e in enumerate(x)]
        return _num(path, x)

    try:
        a = np.asarray(conv(v, field), dtype=np.float64)
    except ValueError as e:
        if str(e).startswith("load_fit"):
            raise
        raise _bad(field, "must be a rectangular array of numbers") from None
    if shape is not None and a.shape != shape:
        raise _bad(field, f"must have shape {shape}, got {a.shape}")
    return a


def _read(source: Any) -> dict:
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            raise ValueError(f"load_fit: no file {str(p)!r}; pass a JSON file written by FitResult.to_json")
        raw = p.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(
                f"load_fit: {str(p)!r} is not a UTF-8 JSON text file (a pickle or binary file?); "
                "lawfit never loads pickles: save fits with FitResult.to_json"
            ) from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"load_fit: {str(p)!r} is not valid JSON ({e})") from None
        where = f"{str(p)!r}"
    elif isinstance(source, Mapping):
        d, where = source, "the mapping"
    else:
        raise ValueError(
            f"load_fit: source must be a path to a JSON file or a FitResult.to_dict() mapping, got "
            f"{type(source).__name__}"
        )
    if not isinstance(d, Mapping):
        raise ValueError(f"load_fit: {where} holds a JSON {type(d).__name__}, not a fit object {{...}}")
    return dict(d)


def _format(d: dict) -> None:
    fmt = d.get("format")
    if not isinstance(fmt, str) or not fmt.startswith("lawfit.FitResult/"):
        raise ValueError(
            f"load_fit: not a lawfit fit (format={fmt!r}); pass FitResult.to_dict() output or a "
            "file written by FitResult.to_json / 'lawfit fit --out'"
        )
    if fmt not in SUPPORTED_FORMATS:
        raise ValueError(
            f"load_fit: format {fmt!r} is not supported by this lawfit (it reads "
            f"{list(SUPPORTED_FORMATS)}); upgrade lawfit to read fits written by a newer version"
        )


def _law(d: dict) -> Any:
    from lawfit.laws import from_spec

    if "law" not in d:
        raise _bad("law", "missing; a fit records its law as {'name': ..., 'options': {...}}")
    spec = _dict("law", d["law"])
    _str("law.name", spec.get("name"))
    if spec.get("options") is not None:
        _dict("law.options", spec["options"])
    try:
        return from_spec(spec)
    except (TypeError, ValueError) as e:
        raise _bad("law", str(e)) from None


def _starts(v: Any, names: tuple[str, ...]) -> StartOutcomes:
    d = _dict("starts", v)
    missing = [k for k in ("names", "init", "final", "objective", "status", "iterations", "grad_max")
               if k not in d]
    if missing:
        raise _bad("starts", f"missing field(s) {missing}")
    free = _names("starts.names", d["names"], names)
    k = len(_list("starts.objective", d["objective"]))
    init = _array("starts.init", d["init"], (k, len(free)) if free else None)
    final = _array("starts.final", d["final"], (k, len(free)) if free else None)
    status = _array("starts.status", d["status"], (k,))
    iters = _array("starts.iterations", d["iterations"], (k,))
    return StartOutcomes(free, init.reshape(k, len(free)), final.reshape(k, len(free)),
                         _array("starts.objective", d["objective"], (k,)), status.astype(np.int64),
                         iters.astype(np.int64), _array("starts.grad_max", d["grad_max"], (k,)))


def _pair(field: str, v: Any, convert: Any, shape: str) -> tuple[Any, Any]:
    """A two-element list, each converted by ``convert`` (``shape`` names it in the error)."""
    x = _list(field, v)
    if len(x) != 2:
        raise _bad(field, f"must be {shape}, got {x!r}")
    return convert(f"{field}[0]", x[0]), convert(f"{field}[1]", x[1])


def _horizon(v: Any) -> dict[str, Any] | None:
    if not v:
        return None
    d = _dict("fitted_horizon", v)

    def steps(field, x):
        return _pair(field, x, _int, "a [first, last] step pair")

    return {
        "steps": steps("fitted_horizon.steps", d.get("steps")),
        "runs": {str(k): steps(f"fitted_horizon.runs.{k}", x)
                 for k, x in _dict("fitted_horizon.runs", d.get("runs") or {}).items()},
    }


def _lr_range(field: str, v: Any) -> tuple[float, float]:
    return _pair(field, v, _num, "[min, max]")


def _optional(d: dict, key: str, check: Any, default: Any) -> Any:
    v = d.get(key)
    return default if v is None else check(key, v)


def load_fit(source: Mapping[str, Any] | str | Path) -> FitResult:
    """Rebuild a :class:`FitResult` from :meth:`FitResult.to_dict` output or a JSON file path,
    checked against the schema of the module docstring (a ``ValueError`` names the field).

    Example:
        >>> import lawfit, numpy as np
        >>> from lawfit.laws import MomentumLaw
        >>> from lawfit.runs import Run
        >>> steps = np.arange(10, 400, 10)
        >>> run = Run("r", lr=np.full(400, 1e-3), metrics={"loss": (steps, 3.0 + 2.0 * (steps * 1e-3) ** -0.3)})
        >>> res = lawfit.fit(MomentumLaw(lam=0.999), run, fixed={"C": 0.0})
        >>> again = lawfit.load_fit(res.to_dict())
        >>> bool(np.array_equal(again.predict(run), res.predict(run)))
        True
    """
    from lawfit.fitting._objective import LOSSES
    from lawfit.fitting._quality import STATUSES

    d = _read(source)
    _format(d)
    law = _law(d)
    names = tuple(law.param_names)
    if "params" not in d:
        raise _bad("params", f"missing; a fit records a value for every parameter {list(names)}")
    params = _param_map("params", d["params"], names)
    missing = [n for n in names if n not in params]
    if missing:
        raise _bad("params", f"missing parameter(s) {missing} of law {law.name!r}")
    params = {n: params[n] for n in names}
    fixed = _optional(d, "fixed", lambda f, v: _param_map(f, v, names), {})
    bounds = {}
    for k, v in _optional(d, "bounds", _dict, {}).items():
        if k not in names:
            raise _bad("bounds", f"{k!r} is not a parameter of the law (it has {list(names)})")
        pair = _list(f"bounds.{k}", v)
        if len(pair) != 2:
            raise _bad(f"bounds.{k}", f"must be a [lower, upper] pair, got {v!r}")
        bounds[k] = (_num(f"bounds.{k}[0]", pair[0]), _num(f"bounds.{k}[1]", pair[1]))
    cov_names = _optional(d, "covariance_names", lambda f, v: _names(f, v, names), ())
    F = len(cov_names)
    cov = _optional(d, "covariance", lambda f, v: _array(f, v, (F, F)), None)
    status = _optional(d, "status", _str, "")
    if status and status not in STATUSES:
        raise _bad("status", f"must be one of {list(STATUSES)}, got {status!r}")
    success = d.get("success", False)
    if not isinstance(success, bool):
        raise _bad("success", f"must be true or false, got {success!r}")
    loss = _optional(d, "loss", _str, "huber_log")
    if loss not in LOSSES:
        raise _bad("loss", f"must be one of {list(LOSSES)}, got {loss!r}")
    exclude_warmup = d.get("exclude_warmup")
    if exclude_warmup is not None and not isinstance(exclude_warmup, bool):
        raise _bad("exclude_warmup", f"must be true, false or null, got {exclude_warmup!r}")
    draws = _optional(d, "draws", _dict, None)
    if draws is not None:
        unknown = [k for k in draws if k not in names]
        if unknown:
            raise _bad("draws", f"{unknown} are not parameters of the law (it has {list(names)})")
        draws = {k: _array(f"draws.{k}", v) for k, v in draws.items()}
        if len({a.shape for a in draws.values()}) > 1 or any(a.ndim != 1 for a in draws.values()):
            raise _bad("draws", "every parameter needs a 1-D list of the same number of draws")
    str_list = lambda f, v: tuple(_str(f"{f}[{i}]", x) for i, x in enumerate(_list(f, v)))  # noqa: E731
    return FitResult(
        law=law,
        params=params,
        fixed=fixed,
        bounds=bounds,
        stderr=_optional(d, "stderr", lambda f, v: _param_map(f, v, names), None),
        covariance=cov,
        covariance_names=cov_names,
        objective=_num("objective", d.get("objective", "nan")),
        success=success,
        status=status,
        quality=_optional(d, "quality", _dict, None),
        message=_optional(d, "message", _str, ""),
        starts=_optional(d, "starts", lambda f, v: _starts(v, names), None),
        n_converged=_optional(d, "n_converged", _int, 0),
        at_bounds=_optional(d, "at_bounds", lambda f, v: _names(f, v, names), ()),
        metric=_optional(d, "metric", _str, "loss"),
        loss=loss,
        delta=_num("delta", d.get("delta", 1e-3)),
        exclude_warmup=exclude_warmup,
        n_points=_optional(d, "n_points", _int, 0),
        run_ids=_optional(d, "run_ids", str_list, ()),
        stats={k: _num(f"stats.{k}", v) for k, v in _optional(d, "stats", _dict, {}).items()},
        selection=_optional(d, "selection", _dict, None),
        draws=draws,
        bootstrap_info=_optional(d, "bootstrap_info", _dict, None),
        versions={str(k): str(v) for k, v in _optional(d, "versions", _dict, {}).items()},
        nonidentifiable=_optional(d, "nonidentifiable", lambda f, v: _names(f, v, names), ()),
        warnings=_optional(d, "warnings", str_list, ()),
        fitted_horizon=_horizon(d.get("fitted_horizon")),
        layout=_optional(d, "layout", _dict, None),
        fitted_lr=_optional(d, "fitted_lr", _lr_range, None),
        model_error=_optional(d, "model_error", _dict, None),
    )
