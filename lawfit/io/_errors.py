"""Import errors: every problem with a user file is one of these, naming the file, the line or
column, the problem and the fix.

``lawfit.io.ImportError`` deliberately shadows the builtin name inside ``lawfit.io`` (use it as
``lawfit.io.ImportError`` or ``from lawfit.io import ImportError as LogImportError``). It subclasses
:class:`ValueError`, so ``except ValueError`` catches it too. It is *not* the builtin
:class:`ImportError`; a missing optional package raises :class:`MissingExtraError`, which is both.
"""

from __future__ import annotations

import builtins
import os
import sys
import warnings
from os import PathLike
from typing import Any

__all__ = [
    "ImportError",
    "ParseError",
    "UnsupportedFormatError",
    "UnsafeFormatError",
    "MissingLRError",
    "DuplicateStepError",
    "MissingExtraError",
    "InferenceWarning",
    "TruncationWarning",
    "note",
]


class ImportError(ValueError):  # noqa: A001 - the documented public name
    """A training log could not be imported.

    Attributes:
        path: the file (or directory) at fault, as a string, or None for in-memory input.
        line: 1-based line (or row/record) number, when known.
        column: the column name or 1-based column number, when known.
        problem: what is wrong; ``hint``: how to fix it.

    The message reads ``<path>:<line>: column <column>: <problem> (<hint>)``.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | PathLike | None = None,
        line: int | None = None,
        column: str | int | None = None,
        hint: str = "",
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.problem = problem
        self.hint = hint
        where = self.path if self.path is not None else "<input>"
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f": column {column!r}" if isinstance(column, str) else f": column {column}"
        msg = f"{where}: {problem}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)

    def __reduce__(self):  # picklable across processes (pytest-xdist, multiprocessing)
        return (
            _rebuild,
            (type(self), self.problem, self.path, self.line, self.column, self.hint),
        )


def _rebuild(cls, problem, path, line, column, hint):
    return cls(problem, path=path, line=line, column=column, hint=hint)


class ParseError(ImportError):
    """Malformed content: bad delimiter, text in a numeric column, truncated record, bad
    encoding, negative or non-integer step."""


class UnsupportedFormatError(ImportError):
    """The format could not be detected or is not supported (pass ``format=`` explicitly)."""


class UnsafeFormatError(UnsupportedFormatError):
    """A format that can execute code when loaded (pickle, ``.pkl``/``.pickle``/``.joblib``/
    ``.npy`` with objects, ``.pt``) is refused; the message names a safe alternative."""


class MissingLRError(ImportError):
    """The run's per-step learning rate cannot be rebuilt from the log without inventing values;
    pass a ``schedule`` spec, allow extrapolation, or ``require_lr=False``."""


class DuplicateStepError(ImportError):
    """A metric has repeated steps (a resumed run) and no ``duplicates`` policy was chosen."""


class MissingExtraError(ImportError, builtins.ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, what: str) -> None:
        ImportError.__init__(
            self,
            f"{what} needs the optional package {package!r}",
            hint=f"pip install 'lawfit[{extra}]'",
        )
        self.name = package
        self.extra = extra
        self.what = what

    def __reduce__(self):
        return (MissingExtraError, (self.name, self.extra, self.what))


class InferenceWarning(UserWarning):
    """An importer inferred something the log does not state (an LR before its first logged
    step, a resumed run, metadata columns...); what and from what is in ``run.meta["inferred"]``."""


class TruncationWarning(UserWarning):
    """A log ends mid-record or mid-line (a killed job): the partial tail was not read; the run's
    ``meta["truncated"]`` says where."""


def note(meta: dict, raw: Any, key: str, item: Any, *, what: str) -> None:
    """Record ``item`` in ``meta[key]`` (appended when a dict, set when a string) and warn.

    ``key="truncated"`` warns :class:`TruncationWarning`, any other key
    :class:`InferenceWarning`; the message names the file and the run.
    """
    if isinstance(item, dict):
        meta.setdefault(key, []).append(item)
        detail = item.get("from") or item.get("detail") or ""
    else:
        meta[key] = item
        detail = str(item)
    where = getattr(raw, "path", None) or "<input>"
    run = getattr(raw, "run_id", None)
    category = TruncationWarning if key == "truncated" else InferenceWarning
    text = f"{where}: run {run!r}: {what}" + (f": {detail}" if detail else "")
    warnings.warn(text + f" (recorded in run.meta[{key!r}])", category, stacklevel=_caller_level())


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside ``lawfit/io`` (the user's call)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level
