"""TensorBoard event files (``events.out.tfevents.*``), every scalar kept (``lawfit[tensorboard]``).

Each event file is read record by record (TFRecord framing, TensorBoard's ``Event`` protobuf), so
no 10,000-point reservoir sampling happens (unlike ``EventAccumulator``'s default
``size_guidance``). A truncated last record (a killed job, or a file still being written) ends
that file and is reported: a :class:`~lawfit.io.TruncationWarning` and ``meta["truncated"]``
(file, record number), the file names also in ``meta["truncated_event_files"]``. A Git LFS pointer
in place of an event file is named as such by :func:`lawfit.io.read`. Both kinds
of scalars are read:

* classic ``simple_value`` summaries (TF1, ``tensorboardX``, PyTorch's default);
* new-style tensor scalars (TF2 summaries, ``add_scalar(..., new_style=True)``): tensor values
  whose plugin is ``scalars`` (or any size-1 numeric tensor with the scalar data class).

Megatron's ``<tag> vs samples`` copies (x = consumed samples, not steps) become the metric
``consumed samples`` at the iteration steps (see :func:`_samples_axis`).

A directory with event files is one run (several files = restarts, read in file-name order);
sub-directories with their own event files are separate runs named by their relative path.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from lawfit.io._build import RawRun
from lawfit.io._errors import MissingExtraError, ParseError, note

__all__ = ["is_event_file", "find_event_dirs", "read_event_dir"]


def is_event_file(p: Path) -> bool:
    return p.is_file() and "tfevents" in p.name


def find_event_dirs(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    dirs = sorted({f.parent for f in root.rglob("*tfevents*") if f.is_file()})
    return dirs


def _protos():
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
        from tensorboard.util import tensor_util
    except ImportError:
        raise MissingExtraError(
            "tensorboard", "tensorboard", "reading TensorBoard event files"
        ) from None
    return event_pb2, masked_crc32c, tensor_util


# TensorFlow DataType enum -> numpy dtype, for size-1 scalar tensors
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 19: np.float16, 14: np.float32}


def _tensor_scalar(t, tensor_util) -> float | None:
    if t.tensor_shape.dim and int(np.prod([d.size for d in t.tensor_shape.dim])) != 1:
        return None
    if t.dtype == 2 and t.double_val:
        return float(t.double_val[0])
    if t.dtype == 1 and t.float_val:
        return float(t.float_val[0])
    if t.dtype == 9 and t.int64_val:
        return float(t.int64_val[0])
    if t.dtype == 3 and t.int_val:
        return float(t.int_val[0])
    if t.tensor_content and t.dtype in _DTYPES:
        arr = np.frombuffer(t.tensor_content, dtype=_DTYPES[t.dtype])
        return float(arr[0]) if arr.size == 1 else None
    try:
        arr = tensor_util.make_ndarray(t)
    except Exception:  # noqa: BLE001 - strings and other non-numeric tensors
        return None
    return float(arr.reshape(-1)[0]) if arr.size == 1 and arr.dtype.kind in "fiub" else None


def iter_records(data: bytes, path: Path, masked_crc32c):
    """Payloads of a TFRecord file: ``u64 length, u32 crc(length), data, u32 crc(data)``.

    The length CRC is verified (it catches misframing); payload corruption is caught when the
    protobuf is decoded. A truncated *last* record (a file still being written) ends the file and
    is reported through the returned count.
    """
    pos, n, k = 0, len(data), 0
    while pos < n:
        k += 1
        if n - pos < 12:
            yield k, None
            return
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        if masked_crc32c(header) != crc:
            raise ParseError(
                "bad record header checksum (corrupt file)",
                path=path,
                line=k,
                hint="the line is the record number in the event file",
            )
        end = pos + 12 + length + 4
        if end > n:
            yield k, None
            return
        yield k, data[pos + 12 : pos + 12 + length]
        pos = end


def read_event_files(files: list[Path], run_id: str, source: str) -> RawRun:
    event_pb2, masked_crc32c, tensor_util = _protos()
    from google.protobuf.message import DecodeError

    points: dict[str, tuple[list[int], list[float]]] = {}
    kinds: dict[str, str] = {}
    truncated = []
    for f in files:
        data = f.read_bytes()
        for k, payload in iter_records(data, f, masked_crc32c):
            if payload is None:
                truncated.append((f.name, k))
                break
            try:
                event = event_pb2.Event.FromString(payload)
            except (DecodeError, ValueError, RuntimeError) as e:
                raise ParseError(
                    f"corrupt event record ({type(e).__name__})",
                    path=f,
                    line=k,
                    hint="the line is the record number in the event file",
                ) from None
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                which = value.WhichOneof("value")
                if which == "simple_value":
                    x = float(value.simple_value)
                    kind = "simple_value"
                elif which == "tensor":
                    plugin = value.metadata.plugin_data.plugin_name
                    if plugin not in ("scalars", ""):
                        continue
                    x = _tensor_scalar(value.tensor, tensor_util)
                    if x is None:
                        continue
                    kind = "tensor"
                else:
                    continue
                kinds.setdefault(value.tag, kind)
                s, v = points.setdefault(value.tag, ([], []))
                s.append(int(event.step))
                v.append(x)
    raw = RawRun(
        run_id,
        path=source,
        meta={"source": source, "tensorboard_value_kinds": kinds},
    )
    if truncated:
        raw.meta["truncated_event_files"] = [f for f, _ in truncated]
        for f, k in truncated:
            note(
                raw.meta,
                raw,
                "truncated",
                {
                    "file": f,
                    "record": k,
                    "detail": f"{f}: record {k} is cut short (a killed or "
                    "still-running job); the records before it are read, the cut one is not",
                },
                what="an event file ends mid-record",
            )
    for tag, (s, v) in points.items():
        steps = np.asarray(s, dtype=np.int64)
        if steps.size and steps.min() < 0:
            i = int(np.argmax(steps < 0))
            raise ParseError(
                f"negative step {int(steps[i])} for tag {tag!r}",
                path=source,
                column=tag,
                line=i + 1,
            )
        raw.metrics[tag] = (steps, np.asarray(v, dtype=np.float64))
    _samples_axis(raw)
    return raw


_VS = (" vs samples", " vs tokens")


def _samples_axis(raw: RawRun) -> None:
    """Megatron also writes every scalar as ``<tag> vs samples`` with the consumed samples as the
    x value. Those x values are not optimizer steps: such a tag whose values repeat ``<tag>``'s one
    for one becomes the metric ``consumed samples`` (``consumed tokens``) at the iteration steps,
    losslessly; any other is kept in ``meta["x_not_steps"]`` rather than read as steps."""
    for tag in [k for k in raw.metrics if k.endswith(_VS)]:
        unit = tag.rsplit(" vs ", 1)[1]
        xs, vals = raw.metrics.pop(tag)
        base = raw.metrics.get(tag[: -len(" vs " + unit)])
        if base is not None and base[1].size == vals.size and np.array_equal(base[1], vals):
            name = f"consumed {unit}"
            if name not in raw.metrics:
                raw.metrics[name] = (base[0], xs.astype(np.float64))
            raw.meta.setdefault("x_axis_tags", []).append(tag)
        else:
            raw.meta.setdefault("x_not_steps", {})[tag] = {
                unit: xs.tolist(),
                "values": vals.tolist(),
            }


def read_event_dir(d: Path, root: Path) -> RawRun:
    if d.is_file():
        return read_event_files([d], d.parent.name or d.stem, str(d))
    files = sorted(f for f in d.iterdir() if is_event_file(f))
    rel = d.relative_to(root).as_posix() if d != root else (d.name or "run")
    return read_event_files(files, rel if rel != "." else (d.name or "run"), str(d))
