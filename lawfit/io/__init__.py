"""Import training logs into a :class:`~lawfit.runs.RunSet`, and write the canonical run table.

``read(path_or_paths, format=None, **options) -> RunSet`` detects the format of each path;
``write(runset, path)`` writes the canonical table as CSV or Parquet, atomically and losslessly.

The canonical table
-------------------
Long format, one row per observation (``runset.to_frame()`` gives the same table in memory):

=========  =======  ============================================================================
column     dtype    meaning
=========  =======  ============================================================================
run_id     string   the run
step       int64    0-based optimizer step (empty on the ``__run__`` row)
metric     string   metric name (``loss``, ``val_loss``, anything logged), or one of two
                    reserved names: ``lr`` rows hold the run's *full per-step LR array*, one row
                    per step ``0 .. T-1`` (value = LR); ``__run__`` is the run's metadata row
value      float64  the observed value (NaN / inf kept as logged)
lr         float64  the run's per-step LR at that step (NaN if unknown or past the LR array)
meta       string   on ``__run__`` rows only: JSON ``{"meta": {...}, "lr_source": "...",
                    "total_steps": T | null, "metrics": [names, in order],
                    "lawfit_table": 1}``; empty elsewhere
=========  =======  ============================================================================

Run-level metadata lives in ``meta``: model size ``N``, ``tokens_per_step``, ``warmup_steps``,
``peak_lr``, ``schedule`` (spec dict), ``mixture_ratio``, ``phase``, ``source``, ``step_unit``
(original x unit), plus any JSON-able key. Importers also record their choices there: ``aliases``
(``{canonical: logged key}``), ``duplicates`` (policy and merged counts), ``lr_interpolation``,
``lr_logged_points``, ``lr_extrapolated``, ``possibly_downsampled`` (W&B panel exports).
``lr_source`` says where the LR array came from: ``"logged"`` (every step logged),
``"tabulated:linear"`` / ``"tabulated:previous"`` (rebuilt from sparse points), ``"spec"`` (a
schedule spec), ``"array"`` (given in memory), ``"none"`` (unknown; ``lr`` is None).

Missing values: in imported tables an empty cell means "not logged at this step" and is skipped
for that metric (runs log different metrics at different steps); the text ``nan`` / ``inf`` is a
logged value and is kept (a diverged loss is data). Steps must be whole, non-negative numbers;
a logged LR must be finite and non-negative. Numbers parse to the nearest float64 (``1e400`` is
``inf``).

Round trip: ``read(write(rs, "runs.parquet"))`` and ``.csv`` reproduce every run exactly: step
arrays, float64 values bit for bit (CSV floats use shortest round-trip text; ``nan``, ``inf``,
``-inf``, ``-0.0`` are written as such), the LR array, ``lr_source`` and metadata (JSON: tuples
come back as lists, NaN payload bits are not kept). Writing goes to a temporary file renamed
over the target, so a crash never leaves a half-written table. Reading never modifies a source.
Run ids and metric names with line breaks can only be written to Parquet.

Formats (``format=``; detected from the name, else from the content, when omitted)
-------------------------------------------------------------------------------------
Each also has a named reader (:func:`read_table`, :func:`read_wandb_csv`, :func:`read_wandb`,
:func:`read_tensorboard`, :func:`read_trainer_state`, :func:`read_mlruns`, :func:`read_mlflow`,
:func:`read_text_log`) that is :func:`read` with the format fixed. ``docs/importers.md`` has a
sample of each.

* ``csv`` / ``parquet`` / ``jsonl``: canonical tables, long tables (``run_id|run``, ``step``,
  ``metric``, ``value`` [, ``lr``]) and wide tables (a step column and one column per metric, e.g.
  the Multi-Power-Law files ``step,lr,loss`` or Lightning's ``metrics.csv``; one run per file
  named after it, or grouped by a ``run_id`` / ``run`` column). Text columns with one value per
  run (``schedule``, ``model_size``) become run metadata (``meta["metadata_columns"]``); a table
  with only an ``epoch`` column uses epochs as steps. A folder of such files (and of ``.json``
  exports) is read file by file.
* ``wandb-csv``: a W&B panel export (``<run> - <metric>`` headers; ``__MIN``/``__MAX`` dropped).
  A W&B *runs table* (one row per run) holds no curve and is refused with that explanation.
* ``wandb-json``: a W&B run exported as JSON (``history`` as groups, columns or rows; ``config``,
  ``summary``); ``config.resume_from=.../ckpts/N`` gives ``meta["branch_of"]``.
* ``wandb-api``: paths are ``entity/project/run_id``; full history per key (``lawfit[wandb]``).
* ``tensorboard``: ``events.out.tfevents.*`` files or log dirs, every scalar
  (``lawfit[tensorboard]``).
* ``hf-trainer``: ``trainer_state.json`` (or a checkpoint dir holding one, or any JSON with a
  ``log_history`` list).
* ``mlflow``: an ``mlruns`` file store (no mlflow needed); ``mlflow-client``: run ids via
  ``MlflowClient`` (``lawfit[mlflow]``).
* ``proxy``: a ``lawfit.proxy`` run directory (``meta.json`` + ``log.jsonl``) or a folder of them.
* ``megatron``, ``nanotron``, ``torchtitan``, ``nanogpt``, ``build-nanogpt``, ``modded-nanogpt``,
  ``generic`` (``step N ... loss: x`` lines): stdout logs (regex, last resort).
* ``.pkl`` / ``.pickle`` / ``.pt`` / ``.npy``...: refused (:class:`UnsafeFormatError`); convert to
  Parquet or CSV where you trust the file. A Git LFS pointer in place of a file is named as such.

Options of :func:`read`
-----------------------
Defaults import every log that holds a loss curve. Whatever they infer is announced with an
:class:`InferenceWarning` and recorded in ``run.meta["inferred"]`` (``{"what", "from"}``); a log cut
mid-line or mid-record raises a :class:`TruncationWarning` and is noted in ``meta["truncated"]``.

* ``aliases``: ``{canonical: [keys]}`` extra metric aliases (priority over the built-in table,
  :data:`DEFAULT_ALIASES`), or ``False`` to keep logged names.
* ``duplicates``: ``"auto"`` (default: exact repeats merged without loss; a step going back in a
  chronological log is a resumed run whose restarted values supersede; W&B history segments are
  sorted and differing repeats averaged; recorded in ``meta["duplicates"]``) | ``"error"`` (steps
  must increase strictly; the error names the line; nothing is ever re-sorted silently) |
  ``"last"`` | ``"first"`` | ``"mean"`` (explicit: sort, then keep one value per step).
* ``schedule``: a schedule spec dict, a lawfit schedule, or ``f(run_id) -> spec`` giving the
  exact per-step LR; logged LR points are checked against it (``check_schedule=False`` to skip).
* ``lr_interpolation``: ``"linear"`` (default) | ``"previous"`` for sparse LR logs;
  ``lr_extrapolate``: ``"auto"`` (default: a warmup, constant or decay recognised from the logged
  values, see :func:`lawfit.io._lr.infer_lr_edges`) | ``"hold"`` | ``"error"`` before the first /
  after the last logged LR.
* ``require_lr``: None (default) imports a run without any LR as ``lr=None`` with a warning
  (``meta["lr_unavailable"]``); True raises :class:`MissingLRError`; False is silent and keeps
  logged LR points that would need extrapolation as the metric ``lr_logged``.
* ``total_steps`` (int or ``f(run_id)``), ``meta`` (dict or ``f(run_id)``, merged into run meta),
  ``step_unit`` (``"step"`` | ``"samples"`` | ``"tokens"`` with ``samples_per_step`` /
  ``tokens_per_step``: x values converted to optimizer steps, unit recorded).
* reader options: ``run_id`` (one-run files), ``delimiter``, ``encoding`` (default UTF-8),
  ``run_column``, ``step_column``, ``ignore_columns`` (any format: logged keys left out, recorded
  in ``meta["ignored_columns"]``), ``metrics`` (W&B header split), ``allow_partial_last_line``
  (JSONL being written), ``keys`` / ``api`` (W&B, MLflow client), ``tracking_uri``.

Many files at once
------------------
:func:`read_each` reads each path on its own and returns an :class:`ImportReport`: the runs that
imported, ``{path: error}`` for each one that did not, and the warnings (an upload page lists them
all instead of stopping at the first bad file).

Run surgery and LR helpers
--------------------------
:func:`resolve_repeats` / :func:`merge_repeated` (the ``duplicates`` policies), :func:`join_branch`
(a cooldown branch joined to its base run in one call: the branch point from
``meta["branch_of"]`` or the branch's first step, the branch's LR used only from there),
:func:`join_branches` (every branch of a RunSet whose base is in it), :func:`branch_point`,
:func:`rebuild_lr` (sparse logged LR -> per-step array), :func:`resolve_aliases` (which logged key
maps to ``loss`` / ``val_loss`` / ``lr``).

Errors
------
Every problem with an input raises :class:`ImportError` (a :class:`ValueError`; it shadows the
builtin name inside this package only) or one of its documented subclasses, naming the file, the
line (or record) and column where known, the problem and the fix: :class:`ParseError`,
:class:`UnsupportedFormatError`, :class:`UnsafeFormatError`, :class:`MissingLRError`,
:class:`DuplicateStepError`, :class:`MissingExtraError` (also a builtin ``ImportError``).

Example:
    >>> import numpy as np, tempfile, os
    >>> from lawfit.runs import Run, RunSet
    >>> from lawfit import io
    >>> rs = RunSet([Run("a", lr=np.full(4, 1e-3), metrics={"loss": ([1, 3], [3.5, 3.25])},
    ...                  meta={"N": 10**8})])
    >>> path = os.path.join(tempfile.mkdtemp(), "runs.csv")
    >>> back = io.read(io.write(rs, path))
    >>> back["a"].lr.tolist(), back["a"].observed("loss").values.tolist(), back["a"].meta["N"]
    ([0.001, 0.001, 0.001, 0.001], [3.5, 3.25], 100000000)
"""

from lawfit.io._aliases import DEFAULT_ALIASES, resolve_aliases
from lawfit.io._each import ImportReport, read_each
from lawfit.io._errors import (
    DuplicateStepError,
    ImportError,  # noqa: A004 - documented: lawfit.io.ImportError subclasses ValueError
    InferenceWarning,
    MissingExtraError,
    MissingLRError,
    ParseError,
    TruncationWarning,
    UnsafeFormatError,
    UnsupportedFormatError,
)
from lawfit.io._lr import lr_from_schedule, rebuild_lr
from lawfit.io._read import FORMATS, detect_format, read, write
from lawfit.io._readers import (
    read_mlflow,
    read_mlruns,
    read_table,
    read_tensorboard,
    read_text_log,
    read_trainer_state,
    read_wandb,
    read_wandb_csv,
)
from lawfit.io._surgery import (
    DUPLICATE_POLICIES,
    branch_point,
    join_branch,
    join_branches,
    merge_repeated,
    resolve_repeats,
)
from lawfit.io._table import COLUMNS, frame_to_runset, runset_to_frame

__all__ = [
    "COLUMNS",
    "DEFAULT_ALIASES",
    "DUPLICATE_POLICIES",
    "FORMATS",
    "DuplicateStepError",
    "ImportError",
    "ImportReport",
    "InferenceWarning",
    "TruncationWarning",
    "MissingExtraError",
    "MissingLRError",
    "ParseError",
    "UnsafeFormatError",
    "UnsupportedFormatError",
    "detect_format",
    "frame_to_runset",
    "branch_point",
    "join_branch",
    "join_branches",
    "lr_from_schedule",
    "merge_repeated",
    "read",
    "read_each",
    "read_mlflow",
    "read_mlruns",
    "read_table",
    "read_tensorboard",
    "read_text_log",
    "read_trainer_state",
    "read_wandb",
    "read_wandb_csv",
    "rebuild_lr",
    "resolve_aliases",
    "resolve_repeats",
    "runset_to_frame",
    "write",
]

from lawfit.runs import register_log_io  # noqa: E402  (runs.py reads paths through lawfit.io)

register_log_io(read=read, to_frame=runset_to_frame, from_frame=frame_to_runset)
