"""Regenerate ``data/proxy_curves.parquet``: lawfit's own loss curves, trained with ``lawfit.proxy``.

Three byte-level GPT sizes (widths 32 / 48 / 64, depth 2) on the Python standard-library text
corpus, each trained under seven learning-rate schedules at two horizons (see ``SCHEDULES``),
AdamW, peak LR 3e-3, 100 warmup steps, same seed and batches for every schedule (the curves of one
size differ only by their schedule, like branched runs). Every run is written in the canonical
run table (``lawfit.io.write``) with two metrics:

* ``loss``: the held-out loss (64 fixed validation windows) every 25 steps, the fitting target;
* ``train_loss``: the mean training-batch loss of the 25 steps ending at that step (the per-step
  batch losses are noisy and would make the file 10x larger).

Usage (from the repository root; about 10 CPU-minutes):

    python data/make_proxy_curves.py            # writes data/proxy_curves.parquet
    python data/make_proxy_curves.py --out x.parquet
    python data/make_proxy_curves.py --check    # regenerate into a temporary file and compare

Bit-for-bit regeneration needs the same platform: the Python version (the corpus is its standard
library), jax/jaxlib and CPU; ``data/README.md`` records the versions of the shipped file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lawfit import io, proxy  # noqa: E402
from lawfit.runs import RunSet  # noqa: E402

PEAK, WARMUP, SEED, EVERY = 3e-3, 100, 0, 25
SIZES = {"w32": 32, "w48": 48, "w64": 64}
LONG, SHORT = 4000, 2000
BUNDLED = ROOT / "data" / "proxy_curves.parquet"
_W = {"peak_value": PEAK, "warmup_steps": WARMUP}


def schedules(T: int) -> dict[str, dict]:
    """Schedule specs by name for a horizon of ``T`` steps."""
    return {
        "constant": {"family": "constant", **_W},
        "cosine": {"family": "cosine", "total_steps": T, "end_ratio": 0.1, **_W},
        "wsd20": {"family": "wsd", "total_steps": T, "decay_fraction": 0.2, **_W},
        "wsd10": {"family": "wsd", "total_steps": T, "decay_fraction": 0.1, **_W},
        "step811": {"family": "deepseek_811", "total_steps": T, **_W},
        "twostage": {"family": "multistep", "milestones": [T // 2], "factors": [0.3], **_W},
    }


# (schedule, horizon) pairs; the constant run at the short horizon would be a prefix of the long one
SCHEDULES = [(s, LONG) for s in schedules(LONG)] + [("cosine", SHORT), ("wsd20", SHORT)]
TRAIN = ("constant_4000", "cosine_2000", "twostage_4000")
TEST = ("cosine_4000", "wsd20_4000", "wsd10_4000", "step811_4000", "wsd20_2000")


def configs() -> list[proxy.RunConfig]:
    out = []
    for size, width in SIZES.items():
        model = proxy.ModelConfig(width=width, depth=2, heads=4, context=32)
        for name, T in SCHEDULES:
            run = f"{name}_{T}"
            out.append(proxy.RunConfig(
                f"{size}_{run}", steps=T, schedule=schedules(T)[name], model=model,
                optimizer=proxy.OptimizerConfig(weight_decay=0.0), batch_size=8,
                seed=SEED, data_seed=SEED, eval_every=EVERY, val_sequences=64,
                meta={"model_size": size, "split": "train" if run in TRAIN else "test"},
            ))
    return out


def to_canonical(runs: RunSet) -> RunSet:
    """``loss`` = held-out loss (the fitting target), ``train_loss`` = mean batch loss of the
    ``EVERY`` steps ending at each evaluation step."""
    out = []
    for r in runs:
        val, train = r.metrics["val_loss"], r.metrics["loss"]
        assert np.array_equal(train.steps, np.arange(len(train.steps))), r.run_id
        windows = np.asarray(train.values).reshape(-1, EVERY).mean(axis=1)
        metrics = {"loss": val, "train_loss": (np.asarray(val.steps), windows)}
        meta = {k: v for k, v in r.meta.items() if k != "source"}
        meta.update(peak_lr=PEAK, warmup_steps=WARMUP, source="data/make_proxy_curves.py",
                    eval_metric="loss", train_metric="train_loss")
        out.append(r.replace(metrics=metrics, meta=meta))
    return RunSet(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(BUNDLED))
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary file and compare every value with --out")
    args = ap.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp) / "new.parquet")
            sys.exit(compare(io.read(args.out), io.read(str(Path(tmp) / "new.parquet"))))
    generate(Path(args.out))


def compare(old: RunSet, new: RunSet) -> int:
    """0 when every run, LR array and metric value is bit-identical, else 1 (first difference shown)."""
    if old.ids != new.ids:
        print(f"different runs: {old.ids} vs {new.ids}")
        return 1
    for a, b in zip(old, new, strict=True):
        pairs = [("lr", a.lr, b.lr)] + [(m, a.metrics[m].values, b.metrics[m].values) for m in a.metrics]
        for name, x, y in pairs:
            if x.shape != y.shape or not np.array_equal(x, y):
                print(f"{a.run_id} {name} differs")
                return 1
    print(f"identical: {len(old)} runs, every LR and loss value bit for bit")
    return 0


def generate(out: Path) -> None:
    t0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        for batch in proxy.group_batches(configs()):
            proxy.train_many(batch, tmp)
            print(f"trained {[c.run_id for c in batch]} ({time.process_time() - t0:.0f} CPU-s)",
                  flush=True)
        runs = proxy.read_runs(tmp)
    runs = to_canonical(RunSet(runs[c.run_id] for c in configs()))
    io.write(runs, out)
    print(f"wrote {len(runs)} runs to {out} ({time.process_time() - t0:.0f} CPU-s)")


if __name__ == "__main__":
    main()
