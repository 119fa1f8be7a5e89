"""Read several logs one by one: every file that imports, and every failure with its message.

:func:`read` stops at the first bad file, which suits scripts. An upload page or a folder of
mixed logs needs the opposite: import what can be imported and list each failure.

Example:
    >>> import os, tempfile
    >>> from lawfit import io
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "a.csv"), "w").write("step,lr,loss\\n0,1e-3,4.0\\n1,1e-3,3.5\\n")
    >>> _ = open(os.path.join(d, "b.csv"), "w").write("step,lr,loss\\n0,1e-3,oops\\n")
    >>> report = io.read_each([os.path.join(d, "a.csv"), os.path.join(d, "b.csv")])
    >>> report.runs.ids, [os.path.basename(p) for p in report.failures]
    (('a',), ['b.csv'])
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lawfit.io._errors import ImportError, InferenceWarning, TruncationWarning
from lawfit.io._read import read
from lawfit.runs import Run, RunSet

__all__ = ["ImportReport", "read_each"]


@dataclass
class ImportReport:
    """``runs``: every run that imported; ``failures``: ``{path: error}`` for each path that did
    not (the error names the file, line and column); ``notes``: the importers' warnings (what was
    inferred, what was truncated), in order."""

    runs: RunSet
    failures: dict[str, ImportError] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_each(
    paths: Sequence[str | os.PathLike],
    format: str | None = None,  # noqa: A002 - the documented keyword of read()
    **options: Any,
) -> ImportReport:
    """:func:`lawfit.io.read` on each path separately, with the same options."""
    runs: list[Run] = []
    origin: dict[str, str] = {}
    failures: dict[str, ImportError] = {}
    notes: list[str] = []
    for p in paths:
        key = str(p)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InferenceWarning)
            warnings.simplefilter("always", TruncationWarning)
            try:
                got = read(p, format=format, **options)
            except ImportError as e:
                failures[key] = e
                continue
            finally:
                notes.extend(
                    str(w.message)
                    for w in caught
                    if issubclass(w.category, (InferenceWarning, TruncationWarning))
                )
        clash = [r.run_id for r in got if r.run_id in origin]
        if clash:
            failures[key] = ImportError(
                f"run id {clash[0]!r} is already imported from {origin[clash[0]]}",
                path=key,
                hint="rename one of the files, or read it with run_id=...",
            )
            continue
        for r in got:
            origin[r.run_id] = key
            runs.append(r)
    return ImportReport(RunSet(runs), failures, notes)
