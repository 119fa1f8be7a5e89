"""The closed-loop schedule validation behind docs/validate.md (default proxy size, CPU).

Fits the Multi-Power Law on constant / linear / WSD proxy runs (3 seeds), trains the law's
schedules (free-form optimum, smooth optimum, best WSD) and held-out literature schedules (cosine,
UBA, refined) for the same seeds, and writes ``validation.json`` plus the printed table.

    PYTHONPATH=$PWD python docs/validate_schedules.py OUT_DIR [STEPS]
"""

import sys
import time

from lawfit import proxy
from lawfit.optimize import validate_schedules

out = sys.argv[1] if len(sys.argv) > 1 else "validate-runs"
T = int(sys.argv[2]) if len(sys.argv) > 2 else 500
t0 = time.perf_counter()
base = proxy.RunConfig("validate", steps=T, schedule=None, eval_every=20)  # default proxy size
res = validate_schedules(T, peak_lr=5e-3, warmup_steps=T // 10, seeds=(0, 1, 2), base=base,
                         out_dir=out, progress=None)
print(res)
print(f"fit params: {res.fit['params']}")
print(f"wall time {time.perf_counter() - t0:.0f} s")
