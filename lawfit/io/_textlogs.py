"""Stdout logs of Megatron-LM, nanotron, torchtitan, nanoGPT, build-nanogpt and modded-nanogpt
(regex readers, a last resort).

Prefer the framework's structured logs (TensorBoard, W&B): stdout rounds values to the printed
precision and often omits the LR. ANSI colour codes are stripped first; lines that do not match
the framework's pattern are ignored (progress bars, warnings...). A matched line whose loss or LR
field is not a number raises :class:`ParseError` with the line number. One file is one run.

=============  ==========================================================================
framework      matched lines (keys kept as logged, so the alias table applies)
=============  ==========================================================================
megatron       ``iteration N/ T | key: value | ...`` (``lm loss``, ``learning rate``, ...);
               ``validation loss at iteration N | lm loss value: x`` -> ``lm loss validation``
nanotron       ``iteration: N / T | key: value | ...`` (``lm_loss``, ``lr``; ``1.2K`` suffixes)
torchtitan     ``step: N  loss: x  grad_norm: g  ...`` (no LR printed)
nanogpt        ``iter N: loss x, time t ms, mfu m%``; ``step N: train loss x, val loss y``
               -> ``train/loss`` (periodic estimate) and ``val/loss`` (no LR printed)
build-nanogpt  stdout ``step N | loss: x | lr l | norm: g | dt: ...ms | tok/sec: ...``,
               ``validation loss: y`` (given the step of the next ``step`` line) and its
               ``log.txt`` (``N train x`` / ``N val y`` / ``N hella a``)
modded-nanogpt ``step:N/T train_loss:x ...`` and ``step:N/T val_loss:y ...`` (no LR printed)
generic        last resort: lines with ``step|iter|iteration N`` followed by ``key: number``
               pairs, one key holding ``loss`` (``step 10, loss: 3.2, lr: 1e-4``); keys as printed
=============  ==========================================================================

Steps. Megatron's ``iteration N/ T`` and modded-nanogpt's ``step:N/T`` count *completed*
iterations (1..T), so the point printed at iteration N is lawfit step ``N - 1`` and the run has the
declared ``T`` steps (``meta["step_offset"] = -1``, ``meta["declared_total_steps"] = T``); a value
printed before any update (modded-nanogpt ``step:0``) is kept in ``meta["initial_values"]``.
nanoGPT, build-nanogpt, nanotron and torchtitan steps are kept as printed.

Truncation. A file that does not end with a line break was cut (a killed job): its last line is
not read, never half-parsed, and the cut is reported (:class:`~lawfit.io.TruncationWarning`,
``meta["truncated"]``). A step going back (a restarted job appending to the same log) is resolved
by :func:`lawfit.io.read`'s ``duplicates`` policy with the line numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lawfit.io._build import RawRun
from lawfit.io._errors import ParseError, note

__all__ = ["TEXT_FORMATS", "detect_text_format", "read_text_log"]

TEXT_FORMATS = (
    "megatron",
    "nanotron",
    "torchtitan",
    "nanogpt",
    "build-nanogpt",
    "modded-nanogpt",
    "generic",
)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# one way to match each number (no nested quantifiers over the same characters): linear time
_NUM = r"[-+]?(?:(?:\d+(?:,\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|NaN|Inf)"
_MEGATRON = re.compile(r"\biteration\s+(\d+)\s*/\s*(\d+)\s*\|(.*)$")
_MEGATRON_VAL = re.compile(r"validation loss at iteration\s+(\d+)[^|\d]*\|(.*)$")
_NANOTRON = re.compile(r"\biteration:\s*(\d+)\s*/\s*(\d+)\s*\|(.*)$")
_TITAN = re.compile(r"\bstep:\s*(\d+)\s+loss:\s*(" + _NUM + r")(.*)$")
_NANOGPT_ITER = re.compile(r"^\s*iter\s+(\d+):\s*loss\s+(" + _NUM + r")(.*)$")
_NANOGPT_EVAL = re.compile(
    r"^\s*step\s+(\d+):\s*train loss\s+(" + _NUM + r"),\s*val loss\s+(" + _NUM + r")"
)
_BUILD = re.compile(r"^\s*step\s+(\d+)\s*\|\s*loss:\s*(" + _NUM + r")(.*)$")
_BUILD_VAL = re.compile(r"^\s*validation loss:\s*(" + _NUM + r")\s*$")
_BUILD_FILE = re.compile(r"^\s*(\d+)\s+(train|val|hella)\s+(" + _NUM + r")\s*$")
_MODDED = re.compile(r"\bstep:(\d+)/(\d+)\s+(.*)$")
_MODDED_KV = re.compile(r"(\w+):(" + _NUM + r")(?:ms)?(?=\s|$)")
# last resort: "<step|iter|iteration> N ... <key>: <number> ..." lines with a loss key
_GENERIC_STEP = re.compile(
    r"\b(step|iter|iteration|it|epoch)\b\s*[:=#\[]?\s*(\d+)(?:\s*/\s*(\d+))?", re.I
)
_GENERIC_KV = re.compile(  # keys of at most 3 words of 40 characters: linear on any line
    r"(?<![A-Za-z0-9_/.-])([A-Za-z][A-Za-z0-9_/.-]{0,40}(?: [A-Za-z][A-Za-z0-9_/.-]{0,40}){0,2})"
    r"(?:[ \t]*[:=][ \t]*|[ \t]+)\[?(" + _NUM + r")(?![\w.])"
)
_SUFFIX = {"K": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12}
_STRICT = {"lm loss", "learning rate", "lm_loss", "lr", "loss", "lm loss validation"}


def _number(text: str) -> float | None:
    t = text.strip().rstrip("%").replace(",", "")
    if t and t[-1] in _SUFFIX and len(t) > 1:
        try:
            return float(t[:-1]) * _SUFFIX[t[-1]]
        except ValueError:
            return None
    try:
        return float(t)
    except ValueError:
        return None


def detect_text_format(text: str) -> str | None:
    for line in text.splitlines()[:5000]:
        line = _ANSI.sub("", line)
        if len(line) > 100_000:
            continue
        if _BUILD.search(line):
            return "build-nanogpt"
        if _MODDED.search(line) and re.search(r"\b(train_loss|val_loss):", line):
            return "modded-nanogpt"
        if _BUILD_FILE.search(line):
            return "build-nanogpt"
        if _MEGATRON.search(line) and "iteration:" not in line:
            return "megatron"
        if _NANOTRON.search(line):
            return "nanotron"
        if _TITAN.search(line):
            return "torchtitan"
        if _NANOGPT_ITER.search(line) or _NANOGPT_EVAL.search(line):
            return "nanogpt"
    generic = 0
    for line in text.splitlines()[:5000]:
        if len(line) <= 100_000 and _generic_fields(_ANSI.sub("", line)) is not None:
            generic += 1
            if generic >= 2:
                return "generic"
    return None


def _generic_fields(line: str):
    """(step, [(key, value text)]) of a "step N ... loss: x" line, else None."""
    m = _GENERIC_STEP.search(line)
    if not m:
        return None
    fields = [(k.strip(), v) for k, v in _GENERIC_KV.findall(line[m.end() :])]
    if not any("loss" in k.lower() for k, _ in fields):
        return None
    return m, fields


def _pipe_fields(body: str) -> list[tuple[str, str]]:
    out = []
    for part in body.split("|"):
        if ":" in part:
            k, v = part.split(":", 1)
            out.append((k.strip(), v.strip()))
    return out


class _Points:
    """What a text reader collects: ``{key: (steps, values, lines)}`` and the run's meta."""

    def __init__(self, path: Path, meta: dict) -> None:
        self.path, self.meta = path, meta
        self.points: dict[str, tuple[list[int], list[float], list[int]]] = {}
        self.pending_val: list[tuple[str, int]] = []  # build-nanogpt: validation before its step

    def integer(self, digits: str, lineno: int, column: str) -> int:
        """A regex ``\\d+`` group as an int64: the length test comes first, since CPython's
        int() refuses strings over 4,300 digits."""
        if len(digits) > 19 or int(digits) >= 2**63:
            raise ParseError(
                f"{column} {digits[:40]} ({len(digits)} digits) is too large for an int64 step",
                path=self.path,
                line=lineno,
                column=column,
            )
        return int(digits)

    def add(self, key: str, step: int, raw_value: str, lineno: int, strict: bool) -> None:
        x = _number(raw_value)
        if x is None:
            if strict:
                raise ParseError(
                    f"{key!r} value {raw_value[:40]!r} is not a number",
                    path=self.path,
                    line=lineno,
                    column=key,
                )
            return
        if step < 0:  # printed before any update (modded-nanogpt step:0)
            self.meta.setdefault("initial_values", {})[key] = x
            return
        s, v, ln = self.points.setdefault(key, ([], [], []))
        s.append(step)
        v.append(x)
        ln.append(lineno)

    def declared(self, total: int) -> None:
        before = self.meta.setdefault("declared_total_steps", total)
        if before != total:  # a run extended on resume: the longest declared length holds
            self.meta["declared_total_steps"] = max(before, total)
            self.meta.setdefault("declared_totals", [before]).append(total)


# one parser per framework: (collector, line, line number) -> whether the line was a log line


def _megatron(c: _Points, line: str, n: int) -> bool:
    m = _MEGATRON.search(line)
    if m and "iteration:" not in line:
        it = c.integer(m.group(1), n, "step")
        c.declared(c.integer(m.group(2), n, "train_iters"))
        for k, v in _pipe_fields(m.group(3)):
            c.add(k, it - 1, v, n, k in _STRICT)
        return True
    m = _MEGATRON_VAL.search(line)
    if m:
        it = c.integer(m.group(1), n, "step")
        for k, v in _pipe_fields(m.group(2)):
            key = "lm loss validation" if k == "lm loss value" else f"validation {k}"
            c.add(key, it - 1, v, n, key in _STRICT)
        return True
    return False


def _modded(c: _Points, line: str, n: int) -> bool:
    m = _MODDED.search(line)
    if not m:
        return False
    it = c.integer(m.group(1), n, "step")
    c.declared(c.integer(m.group(2), n, "train_steps"))
    for k, v in _MODDED_KV.findall(m.group(3)):
        c.add(k, it - 1, v, n, k in ("train_loss", "val_loss"))
    return True


def _build(c: _Points, line: str, n: int) -> bool:
    m = _BUILD.search(line)
    if m:
        step = c.integer(m.group(1), n, "step")
        c.add("loss", step, m.group(2), n, True)
        for k, v in re.findall(r"([A-Za-z/_]+):?\s+(" + _NUM + r")", m.group(3)):
            c.add(k.rstrip(":"), step, v, n, k.rstrip(":") == "lr")
        for value, ln in c.pending_val:
            c.add("val_loss", step, value, ln, True)
        c.pending_val.clear()
        return True
    m = _BUILD_VAL.search(line)
    if m:
        c.pending_val.append((m.group(1), n))
        return False
    m = _BUILD_FILE.search(line)
    if m:
        key = {"train": "loss", "val": "val_loss", "hella": "hella_acc"}[m.group(2)]
        c.add(key, c.integer(m.group(1), n, "step"), m.group(3), n, True)
        return True
    return False


def _nanotron(c: _Points, line: str, n: int) -> bool:
    m = _NANOTRON.search(line)
    if not m:
        return False
    step = c.integer(m.group(1), n, "step")
    for k, v in _pipe_fields(m.group(3)):
        c.add(k, step, v, n, k in _STRICT)
    return True


def _titan(c: _Points, line: str, n: int) -> bool:
    m = _TITAN.search(line)
    if not m:
        return False
    step = c.integer(m.group(1), n, "step")
    c.add("loss", step, m.group(2), n, True)
    for k, v in re.findall(r"(\w+):\s*(" + _NUM + r")", m.group(3)):
        c.add(k, step, v, n, False)
    return True


def _generic(c: _Points, line: str, n: int) -> bool:
    found = _generic_fields(line)
    if not found:
        return False
    m, fields = found
    step = c.integer(m.group(2), n, "step")
    if m.group(1).lower() == "epoch":
        c.meta["step_unit"] = "epoch"
    for k, v in fields:
        c.add(k, step, v, n, "loss" in k.lower())
    return True


def _nanogpt(c: _Points, line: str, n: int) -> bool:
    m = _NANOGPT_ITER.search(line)
    if m:
        step = c.integer(m.group(1), n, "step")
        c.add("loss", step, m.group(2), n, True)
        t = re.search(r"time\s+(" + _NUM + r")\s*ms", m.group(3))
        if t:
            c.add("time_ms", step, t.group(1), n, False)
        u = re.search(r"mfu\s+(" + _NUM + r")%", m.group(3))
        if u:
            c.add("mfu", step, u.group(1), n, False)
        return True
    m = _NANOGPT_EVAL.search(line)
    if m:
        step = c.integer(m.group(1), n, "step")
        c.add("train/loss", step, m.group(2), n, True)
        c.add("val/loss", step, m.group(3), n, True)
        return True
    return False


_PARSERS = {
    "megatron": _megatron,
    "nanotron": _nanotron,
    "torchtitan": _titan,
    "nanogpt": _nanogpt,
    "build-nanogpt": _build,
    "modded-nanogpt": _modded,
    "generic": _generic,
}


def _complete_lines(text: str, raw: RawRun) -> list[str]:
    """The lines of ``text``; a last line without a line break (a killed job) is left out and
    reported."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and lines[-1].strip():
        cut = lines.pop()
        n = len(lines) + 1
        note(
            raw.meta,
            raw,
            "truncated",
            {
                "line": n,
                "text": cut[:80],
                "detail": f"line {n} ends without a line break ({cut[:40]!r}...): not read",
            },
            what="the log is cut mid-line",
        )
    return lines


def read_text_log(text: str, path: Path, fmt: str, run_id: str) -> RawRun:
    if fmt not in TEXT_FORMATS:
        raise ValueError(f"text log format must be one of {TEXT_FORMATS}, got {fmt!r}")
    meta: dict = {"source": str(path), "text_log": fmt}
    raw = RawRun(run_id, path=str(path), meta=meta)
    c = _Points(path, meta)
    parse = _PARSERS[fmt]
    matched = 0
    for lineno, line in enumerate(_complete_lines(text, raw), start=1):
        if len(line) <= 100_000:
            matched += parse(c, _ANSI.sub("", line.rstrip("\r")), lineno)
    if not matched:
        raise ParseError(
            f"no {fmt} log lines found",
            path=path,
            hint=f"pass format=... if this is not a {fmt} log",
        )
    if c.pending_val:  # validation printed after the last step line: not placed on a step
        meta["unplaced_val_loss"] = [_number(v) for v, _ in c.pending_val]
    if "declared_total_steps" in meta:
        meta["step_offset"] = -1
    if "declared_totals" in meta:
        note(
            meta,
            raw,
            "inferred",
            {
                "what": f"the run length {meta['declared_total_steps']}",
                "from": f"the declared total changes in the log ({meta['declared_totals']}): "
                "the largest is taken (a run extended on resume, or two runs in one file?)",
            },
            what="the run length",
        )
    meta["matched_lines"] = matched
    for k, (s, v, ln) in c.points.items():
        raw.metrics[k] = (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64))
        raw.lines[k] = np.asarray(ln, dtype=np.int64)
    return raw
