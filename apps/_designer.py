"""The schedule designer: a form generated from each family's example spec (``lawfit.schedules``)
whose values become a JSON-able spec; nothing is computed here."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

SKIP = ("tabulated", "join")  # need arrays / nested schedules: not a form


def families() -> list[str]:
    from lawfit import schedules

    return [f for f in schedules.families() if f not in SKIP]


def _widget(family: str, name: str, value: Any, defaults: dict[str, Any], prefix: str) -> Any:
    from lawfit import schedules

    key = f"{prefix}_{family}_{name}"
    value = defaults.get(name, value)
    if name == "decay_type":
        opts = list(schedules.DECAY_TYPES)
        return st.selectbox(name, opts, index=opts.index(value) if value in opts else 0, key=key)
    if isinstance(value, bool):
        return st.checkbox(name, value=value, key=key)
    if isinstance(value, int):
        return int(st.number_input(name, value=int(value), step=1, key=key))
    if isinstance(value, float):
        return float(st.number_input(name, value=float(value), format="%.4g", key=key))
    if isinstance(value, list | dict):
        text = st.text_input(f"{name} (JSON)", json.dumps(value), key=key)
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"schedule option {name!r}: {text!r} is not valid JSON ({e})") from None
    return st.text_input(name, str(value), key=key)


def design(defaults: dict[str, Any], prefix: str = "sd", ncols: int = 4) -> dict[str, Any]:
    """Widgets for one family chosen by the user; returns its spec ``{"family": ..., ...}``.

    ``defaults`` overrides the family example (e.g. the peak LR, warmup and horizon of the data).
    """
    from lawfit import schedules

    fams = families()
    family = st.selectbox("Schedule family", fams,
                          index=fams.index("wsd") if "wsd" in fams else 0, key=f"{prefix}_family")
    info = schedules.family_info(family)
    st.caption(info.summary)
    example = dict(info.example)
    if "warmup_steps" in example:
        example.setdefault("warmup_convention", defaults.get("warmup_convention", "t/W"))
    spec: dict[str, Any] = {"family": family}
    cols = st.columns(ncols)
    for i, (name, value) in enumerate(example.items()):
        with cols[i % ncols]:
            if name == "warmup_convention":
                opts = list(schedules.WARMUP_CONVENTIONS)
                v = defaults.get(name, value)
                spec[name] = st.selectbox(name, opts, index=opts.index(v) if v in opts else 0,
                                          key=f"{prefix}_{family}_{name}")
            else:
                spec[name] = _widget(family, name, value, defaults, prefix)
    extra = st.text_input("More options (JSON)", "{}", key=f"{prefix}_{family}_extra",
                          help="any other keyword of the factory, e.g. {\"end_ratio\": 0.1}")
    try:
        more = json.loads(extra or "{}")
    except json.JSONDecodeError as e:
        raise ValueError(f"more options: {extra!r} is not valid JSON ({e})") from None
    if not isinstance(more, dict):
        raise ValueError(f"more options must be a JSON object, got {extra!r}")
    spec.update(more)
    return spec


def data_defaults(runs) -> dict[str, Any]:
    """Peak LR, warmup and horizon read from the longest run with an LR array."""
    with_lr = [r for r in runs if r.lr is not None]
    if not with_lr:
        return {}
    r = max(with_lr, key=lambda r: r.total_steps)
    out: dict[str, Any] = {"total_steps": int(r.total_steps), "peak_value": float(r.lr.max())}
    if r.warmup_steps:
        out["warmup_steps"] = int(r.warmup_steps)
    if r.meta.get("source", "").startswith("mpl/curves/"):
        out["warmup_convention"] = "linspace"
    return out
