"""Background processes of the explorer (proxy trainings): start, poll, cancel, bound, reap.

Training never runs in a page's script thread: each job is a child process (its own process
group) writing a run directory. The registry is one object per server (``st.cache_resource``);
each job belongs to one browser session and is stopped when that session ends (finalizer in
``_state``), when it exceeds its wall-time limit, or when the server exits. A watchdog thread
enforces the limits even if no page is polling.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st


@dataclass
class Job:
    job_id: str
    session: str
    argv: list[str]
    run_dir: Path
    max_wall_s: float
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    stopped_reason: str | None = None

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def stop(self, reason: str) -> None:
        if self.proc.poll() is None:
            self.stopped_reason = reason
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with _suppress():
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def log_tail(self, n: int = 2000) -> str:
        p = self.run_dir / "_app_stderr.log"
        try:
            return p.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is ProcessLookupError


_REGISTRIES: list[JobRegistry] = []  # every registry created in this process


class JobRegistry:
    """Thread-safe registry of jobs of every session of this server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="lawfit-jobs")
        self._watchdog.start()
        atexit.register(self.stop_all)
        _REGISTRIES.append(self)

    def start(self, session: str, job_id: str, argv: list[str], run_dir: Path,
              max_wall_s: float) -> Job:
        run_dir.mkdir(parents=True, exist_ok=True)
        err = open(run_dir / "_app_stderr.log", "wb")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        err.close()
        job = Job(job_id, session, argv, run_dir, max_wall_s, proc)
        with self._lock:
            self._jobs[f"{session}:{job_id}"] = job
        return job

    def jobs(self, session: str) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.session == session]

    def get(self, session: str, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(f"{session}:{job_id}")

    def stop_session(self, session: str) -> None:
        for job in self.jobs(session):
            job.stop("session ended")
        with self._lock:
            for k in [k for k, j in self._jobs.items() if j.session == session]:
                del self._jobs[k]

    def stop_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop("server stopped")

    def _watch(self) -> None:
        while True:
            time.sleep(1.0)
            with self._lock:
                jobs = list(self._jobs.values())
            alive = _active_sessions()
            for job in jobs:
                if not job.running:
                    continue
                if time.monotonic() - job.started > job.max_wall_s:
                    job.stop(f"wall-time limit of {job.max_wall_s:.0f} s reached")
                elif alive is not None and job.session not in alive:
                    job.stop("session ended")


def _active_sessions() -> set[str] | None:
    """Session keys (``_session_key``) of sessions still connected, or None if unknown."""
    try:
        from streamlit.runtime import Runtime

        rt = Runtime.instance()
        keys = set()
        for info in rt._session_mgr.list_active_sessions():
            state = info.session.session_state
            if "_session_key" in state:
                keys.add(state["_session_key"])
        return keys
    except Exception:  # noqa: BLE001 - no runtime (AppTest, bare mode): rely on finalizers
        return None


@st.cache_resource
def registry() -> JobRegistry:
    return JobRegistry()


def stop_session_jobs(session: str) -> None:
    """Stop every job of ``session`` (called by the session's finalizer; never creates a
    registry, so it is safe at interpreter exit)."""
    for reg in list(_REGISTRIES):
        try:
            reg.stop_session(session)
        except Exception:  # noqa: BLE001 - finalizer context: never raise
            pass
