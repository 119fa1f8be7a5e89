"""The one fit picker of the explorer, the fit-quality badge, and the warnings shown next to a
number.

Every page that uses a fit calls :func:`pick_fit`: it shows the session's *current* fit (the
newest one, unless the user picked another), names it on the page, and shows its quality badge.
A new fit (:func:`_fitcache.remember`) becomes the current fit on every page at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import _fitcache
import streamlit as st

CURRENT = "fit_result"  # session key: the name of the current fit


def fit_badge(fit: Any) -> tuple[str, str]:
    """``(level, text)`` of a fit's quality: level ``"ok"``, ``"doubtful"`` or ``"bad"``, from the
    engine's own verdict ``fit.status`` and its coded ``fit.warnings`` (docs/fitting.md, "Fit
    quality"). The one place the explorer judges a fit.

    >>> from types import SimpleNamespace as NS
    >>> fit_badge(NS(status="ok", warnings=()))
    ('ok', 'Converged')
    >>> fit_badge(NS(status="doubtful", warnings=("[at_bound] C at its upper bound",)))
    ('doubtful', 'Doubtful fit: [at_bound] C at its upper bound')
    >>> fit_badge(NS(status="unusable", warnings=("[not_identified] C = 94 +/- inf",)))[0]
    'doubtful'
    >>> fit_badge(NS(status="not_converged", warnings=()))[0]
    'bad'
    """
    reasons = "; ".join(str(w) for w in fit.warnings)
    if fit.status == "ok":
        return "ok", "Converged"
    if fit.status == "doubtful":
        return "doubtful", "Doubtful fit: " + reasons
    if fit.status == "unusable":  # a warning about the fit, not a failure of the page
        return "doubtful", "Unusable fit: do not trust its predictions: " + reasons
    return "bad", "Not converged: do not trust these parameters or predictions" + (
        f" ({reasons})" if reasons else "")


def show_badge(fit: Any, detail: str = "") -> None:
    """The badge of :func:`fit_badge` as a green / orange / red box (``detail`` appended)."""
    level, text = fit_badge(fit)
    show = {"ok": st.success, "doubtful": st.warning, "bad": st.error}[level]
    show(text + (f" · {detail}" if detail else ""))


def pick_fit(key: str, *, label: str = "Fit", only: Callable[[dict], bool] | None = None,
             empty: str = "No fit yet: fit a law on the **Fit** page (or load a saved fit there)."):
    """The current fit of the session with a picker to choose another; ``None`` (and an info box
    saying what to do) when there is none. ``only`` keeps fits whose stored dict passes it.

    The picker always opens on the current fit (the newest after every new fit): its widget value
    is reset from the session's current fit before it is drawn, and a pick becomes the current fit
    of every page.
    """
    fits = {n: d for n, d in _fitcache.session_fits().items() if only is None or only(d)}
    if not fits:
        st.info(empty)
        return None
    names = list(fits)
    current = st.session_state.get(CURRENT)
    if current not in fits:
        current = names[-1]
    st.session_state[key] = current  # before the widget: the newest/current fit is the one shown

    def _chosen() -> None:
        st.session_state[CURRENT] = st.session_state[key]

    st.selectbox(label, names, key=key, on_change=_chosen,
                 help="the newest fit is chosen after every fit; pick an older one to compare")
    return _fitcache.get_fit(current)


def show_warnings(messages: Iterable[str]) -> None:
    """Each message once, as a warning box where the number it concerns is shown."""
    for m in dict.fromkeys(messages):
        st.warning(m)
