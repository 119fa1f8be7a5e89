"""Waits that move: run a slow call (a fit, an optimization) in a worker thread while the page
shows its phase, a progress bar and the elapsed seconds, updated several times a second.

The work itself never touches Streamlit: it reports through a :class:`Progress` object (a phase
name and a fraction, thread-safe), which the script thread draws. A call without its own
progress reports still shows its named phase and a ticking clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx


class Progress:
    """Thread-safe phase + fraction reported by the work, read by the page."""

    def __init__(self, phase: str) -> None:
        self._lock = threading.Lock()
        self._phase, self._fraction = phase, None

    def phase(self, name: str, fraction: float | None = None) -> None:
        with self._lock:
            self._phase, self._fraction = name, fraction

    def fraction(self, value: float) -> None:
        with self._lock:
            self._fraction = min(max(float(value), 0.0), 1.0)

    def read(self) -> tuple[str, float | None]:
        with self._lock:
            return self._phase, self._fraction


def run_with_progress(work: Callable[[Progress], Any], *, label: str, phase: str,
                      done: str = "Finished", tick: float = 0.25) -> Any:
    """``work(progress)`` in a worker thread while a status box shows ``label``, the current
    phase (first ``phase``), a bar (the reported fraction, or the elapsed time on a moving scale
    when the work reports none) and the elapsed seconds. Returns what ``work`` returned; re-raises
    its exception. The status box ends "complete" (labelled ``done`` and the time taken) or
    "error"."""
    progress = Progress(phase)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work(progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the script thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="lawfit-app-work")
    ctx = get_script_run_ctx()
    if ctx is not None:  # cached functions inside the work need the session's context
        add_script_run_ctx(thread, ctx)
    t0 = time.monotonic()
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text=phase)
        thread.start()
        while thread.is_alive():
            thread.join(tick)
            name, frac = progress.read()
            elapsed = time.monotonic() - t0
            shown = frac if frac is not None else elapsed / (elapsed + 10.0)  # moves, never full
            bar.progress(shown, text=f"{name} · {elapsed:.1f} s")
        elapsed = time.monotonic() - t0
        if "error" in box:
            status.update(label=f"{label.rstrip('…')} failed after {elapsed:.1f} s",
                          state="error", expanded=True)
            raise box["error"]
        bar.progress(1.0, text=f"done in {elapsed:.1f} s")
        status.update(label=f"{done} in {elapsed:.1f} s", state="complete", expanded=False)
    return box.get("value")
