"""Per-session state, content-keyed caches and error display for the lawfit explorer.

No maths here: everything numeric comes from ``lawfit``. This module only moves runs between
the library and the page (serialisation for ``st.cache_data``), keeps each browser session's data
apart, and turns exceptions into readable messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import streamlit as st
from _proxy_jobs import stop_session_jobs

from lawfit.runs import Run, RunSet

#: Largest upload accepted, per file, in MB (the server limit is set in apps/.streamlit/config.toml).
MAX_UPLOAD_MB = 50
#: File types offered by the uploader: everything lawfit.io reads, and never pickles.
UPLOAD_TYPES = [
    "csv", "tsv", "parquet", "json", "jsonl", "txt", "log", "out",
]  # fmt: skip
UPLOAD_TYPES_ALL = None  # folders (TensorBoard, MLflow) need every file name; see upload_types()
BUNDLED_SIZES = ("25M", "100M", "400M")
PROXY_SIZES = ("w32", "w48", "w64")


# -- library pieces that may not be installed yet ---------------------------------------------
def have(module: str, *names: str) -> bool:
    """True when ``lawfit.<module>`` imports and has every attribute in ``names``."""
    try:
        mod = importlib.import_module(f"lawfit.{module}")
    except ImportError:
        return False
    return all(hasattr(mod, n) for n in names)


def require(module: str, *names: str, what: str) -> bool:
    """Like :func:`have`, but shows an info box saying ``what`` is not available when missing."""
    if have(module, *names):
        return True
    st.info(f"{what} needs `lawfit.{module}` ({', '.join(names)}), which is not available in "
            "this installation yet.")
    return False


# -- readable errors ------------------------------------------------------------------------
def describe(exc: BaseException) -> str:
    """One readable line for an exception: the message of a ValueError/KeyError as is, the type
    name in front of anything else. Never a traceback."""
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    if isinstance(exc, ValueError | KeyError | FileNotFoundError):
        return msg or type(exc).__name__
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


@contextlib.contextmanager
def guard(context: str) -> Iterator[None]:
    """Show any exception raised in the block as ``st.error("<context>: <message>")`` and carry
    on with the rest of the page (the app keeps working)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - everything becomes a message, nothing a traceback
        if type(exc).__name__ in ("RerunException", "StopException"):
            raise
        st.error(f"{context}: {describe(exc)}")


# -- RunSet <-> plain data (for st.cache_data, which pickles its return values) ---------------
def pack(runs: RunSet) -> list[dict[str, Any]]:
    """A RunSet as a list of plain dicts of numpy arrays (lossless, picklable)."""
    return [
        {
            "run_id": r.run_id,
            "lr": None if r.lr is None else np.array(r.lr),
            "metrics": {k: (np.array(v.steps), np.array(v.values)) for k, v in r.metrics.items()},
            "meta": dict(r.meta),
            "lr_source": r.lr_source,
        }
        for r in runs
    ]


def unpack(packed: list[dict[str, Any]]) -> RunSet:
    return RunSet(Run(**d) for d in packed)


def digest(runs: RunSet) -> str:
    """A content hash of runs (ids, LR arrays, observations, metadata)."""
    h = hashlib.sha256()
    for r in runs:
        h.update(r.run_id.encode())
        h.update(b"lr:" + (b"none" if r.lr is None else r.lr.tobytes()))
        for k, v in sorted(r.metrics.items()):
            h.update(k.encode() + v.steps.tobytes() + v.values.tobytes())
        h.update(json.dumps(dict(r.meta), sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


# -- per-session folder and end-of-session cleanup -------------------------------------------
class _SessionToken:
    """Lives in ``st.session_state``; when Streamlit drops the session, its finalizer removes
    the session's temporary folder and stops the session's training processes."""


def _cleanup(folder: str, session_key: str) -> None:
    stop_session_jobs(session_key)
    shutil.rmtree(folder, ignore_errors=True)


def session_key() -> str:
    """A random id of this browser session (never shared between sessions)."""
    init_session()
    return st.session_state["_session_key"]


def session_dir() -> Path:
    """This session's private temporary folder (removed when the session ends)."""
    init_session()
    return Path(st.session_state["_session_dir"])


def init_session() -> None:
    """Create the session's private state once: datasets, fits, folder and cleanup token."""
    ss = st.session_state
    if "_session_token" in ss:
        return
    folder = tempfile.mkdtemp(prefix="lawfit-app-")
    key = Path(folder).name
    token = _SessionToken()
    weakref.finalize(token, _cleanup, folder, key)
    ss["_session_dir"] = folder
    ss["_session_key"] = key
    ss["_session_token"] = token
    ss.setdefault("datasets", {})  # name -> packed runs (this session only)
    ss.setdefault("fits", {})  # name -> fit record


# -- datasets of this session ---------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def _bundled(size: str, _progress: Any = None) -> list[dict[str, Any]]:
    from lawfit.datasets import mpl_runs

    return pack(mpl_runs(size, progress=_progress if _progress is not None else False))


def load_bundled(size: str, progress: Any = None) -> RunSet:
    """The MPL curves of one size (cached; lawfit.datasets downloads them on first use, calling
    ``progress(done, total)`` per file while it does)."""
    return unpack(_bundled(size, progress))


def load_proxy(size: str) -> RunSet:
    """lawfit's own bundled proxy curves of one model width (``lawfit.datasets.proxy_runs``)."""
    return unpack(_proxy(size))


@st.cache_data(max_entries=3, show_spinner=False)
def _proxy(size: str) -> list[dict[str, Any]]:
    from lawfit.datasets import proxy_runs

    return pack(proxy_runs(size))


def add_dataset(name: str, runs: RunSet) -> None:
    if len(runs) == 0:
        raise ValueError(f"dataset {name!r} contains no runs")
    init_session()
    st.session_state["datasets"][name] = pack(runs)


def remove_dataset(name: str) -> None:
    st.session_state["datasets"].pop(name, None)


def dataset_names() -> list[str]:
    init_session()
    return list(st.session_state["datasets"])


def dataset(name: str) -> RunSet:
    return unpack(st.session_state["datasets"][name])


def _session_runs() -> list[tuple[str, Run]]:
    init_session()
    out: list[tuple[str, Run]] = []
    seen: set[str] = set()
    for name, packed in st.session_state["datasets"].items():
        for r in unpack(packed):
            if r.run_id in seen:
                r = r.replace(run_id=f"{name}/{r.run_id}")
            seen.add(r.run_id)
            out.append((name, r))
    return out


def all_runs() -> RunSet:
    """Every run of this session's datasets; ids that clash between datasets get the dataset
    name as a prefix (``<dataset>/<run_id>``), so nothing is silently dropped."""
    return RunSet(r for _, r in _session_runs())


def run_datasets() -> dict[str, str]:
    """``{run_id: dataset name}`` of every run of :func:`all_runs` (same ids)."""
    return {r.run_id: name for name, r in _session_runs()}


def ensure_default_data() -> None:
    """Load the bundled proxy curves (w64) once per session when the session has no data yet
    (``lawfit app --data`` points the app at another file through the LAWFIT_APP_DATA variable)."""
    init_session()
    ss = st.session_state
    if ss.get("_defaults_loaded"):
        return
    ss["_defaults_loaded"] = True
    import os

    path = os.environ.get("LAWFIT_APP_DATA")
    if path:
        with guard(f"could not read --data {path}"):
            add_dataset(Path(path).name, read_paths((path,)))
            return
    add_dataset("bundled proxy w64", unpack(_proxy("w64")))


# -- uploads: through lawfit.io only, inside the session folder ------------------------------
def safe_relative(name: str) -> PurePosixPath:
    """An uploaded file's name as a safe relative path (folder uploads keep their sub-folders);
    absolute paths and ``..`` are refused."""
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or any(part in ("..", "") for part in p.parts) or not p.parts:
        raise ValueError(f"upload {name!r}: unsafe file name (absolute or containing '..')")
    return p


#: Leading bytes of binary files that are sometimes renamed to a text extension by mistake.
_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (or an Excel .xlsx workbook)",
    b"\x1f\x8b": "a gzip archive", b"\xd0\xcf\x11\xe0": "an old Excel / Office file",
}  # fmt: skip
_TEXT_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".txt", ".log", ".out")


def check_not_binary(name: str, data: bytes) -> None:
    """Refuse a binary file (image, archive, PDF) uploaded under a text extension, naming what it
    is, instead of letting the text parser report an encoding problem."""
    if PurePosixPath(name).suffix.lower() not in _TEXT_SUFFIXES:
        return
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ValueError(f"upload {name!r} is {what}, not a text log; upload the "
                             f"{PurePosixPath(name).suffix} file exported by your tracker")


@st.cache_data(max_entries=32, show_spinner=False)
def _parse_upload(files: tuple[tuple[str, bytes], ...], options_json: str,
                  _folder: str) -> list[dict[str, Any]]:
    import lawfit.io

    h = hashlib.sha256(b"".join(n.encode() + b for n, b in files)).hexdigest()[:16]
    work = Path(_folder) / f"upload-{h}"
    names = [safe_relative(n) for n, _ in files]
    try:
        for name, (_, data) in zip(names, files, strict=True):
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            nested = sorted({n.parts[0] for n in names if len(n.parts) > 1})
            flat = [work / n for n in names if len(n.parts) == 1]
            targets = [str(work / d) for d in nested] + [str(p) for p in flat]
            return pack(lawfit.io.read(targets if len(targets) > 1 else targets[0],
                                       **json.loads(options_json)))
        except Exception as exc:  # noqa: BLE001 - name the uploaded file, not the temp path
            raise ValueError(describe(exc).replace(f"{work}/", "").replace(str(work), "upload")) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_upload(files: list[tuple[str, bytes]], options: dict[str, Any] | None = None) -> RunSet:
    """Parse uploaded ``(name, bytes)`` files with :func:`lawfit.io.read` and its ``options``
    (cached by content). The files are written to this session's folder only for the read."""
    if not files:
        raise ValueError("no files uploaded")
    for name, data in files:
        if len(data) > MAX_UPLOAD_MB * 2**20:
            raise ValueError(f"upload {name!r} is {len(data) / 2**20:.1f} MB; the limit is "
                             f"{MAX_UPLOAD_MB} MB per file")
        if PurePosixPath(name).suffix.lower() in (".pkl", ".pickle", ".joblib", ".npy", ".pt"):
            raise ValueError(f"upload {name!r}: pickled/binary Python objects are never loaded; "
                             "export the table as CSV, Parquet or JSONL instead")
        check_not_binary(name, data)
    return unpack(_parse_upload(tuple(sorted(files)), json.dumps(options or {}, sort_keys=True),
                                str(session_dir())))


def read_paths(paths: tuple[str, ...]) -> RunSet:
    """Read server-side paths given on the command line (``lawfit app --data``), never from the UI."""
    import lawfit.io

    return lawfit.io.read(list(paths) if len(paths) > 1 else paths[0])


def export_csv(runs: RunSet, folder: Path | None = None) -> bytes:
    """The runs as the canonical CSV table written by :func:`lawfit.io.write` (through a file in
    this session's folder, or ``folder`` when called outside the script thread)."""
    import lawfit.io

    target = Path(folder or session_dir()) / f"export-{digest(runs)}.csv"
    try:
        lawfit.io.write(runs, target)
        return target.read_bytes()
    finally:
        target.unlink(missing_ok=True)
