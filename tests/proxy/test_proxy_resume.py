"""Kill a training subprocess with SIGKILL mid-run: the log is valid up to the kill (every record
is flushed), and resuming reproduces the uninterrupted run bit for bit (CPU)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

SCRIPT = """
import sys
from lawfit import proxy, schedules
out, mode = sys.argv[1], sys.argv[2]
T = 400
cfg = proxy.RunConfig("r", steps=T, schedule=schedules.cosine(1e-2, T, end_ratio=0.1, warmup_steps=20),
                      model=proxy.ModelConfig(width=32, depth=2, heads=2, context=32), batch_size=4,
                      eval_every=20, val_sequences=128, checkpoint_every=40, seed=3)
if mode == "resume":
    proxy.resume(out + "/r")
else:
    proxy.train(cfg, out)
"""


def _start(out, mode):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _loss_steps(path):
    steps = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)  # every complete line is valid JSON
        if rec["metric"] == "loss":
            steps.append(rec["step"])
    return steps


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    full, killed = tmp_path / "full", tmp_path / "killed"
    p_full = _start(full, "train")
    p_kill = _start(killed, "train")
    log = killed / "r" / "log.jsonl"
    deadline = time.time() + 600
    while time.time() < deadline:
        if log.exists() and any(s >= 200 for s in _loss_steps(log)):
            break
        assert p_kill.poll() is None, p_kill.communicate()[1].decode()[-2000:]
        time.sleep(0.02)
    p_kill.send_signal(signal.SIGKILL)
    p_kill.wait()
    assert p_kill.returncode == -signal.SIGKILL

    steps = _loss_steps(log)
    assert 200 <= len(steps) < 400 and steps == list(range(len(steps)))  # flushed, no gaps
    meta = json.loads((killed / "r" / "meta.json").read_text())
    assert meta["status"] == "running"
    with np.load(killed / "r" / "checkpoint.npz", allow_pickle=False) as z:
        ck = int(z["step"])
    assert ck % 40 == 0 and 0 < ck <= len(steps)

    p_res = _start(killed, "resume")
    out, err = p_res.communicate(timeout=600)
    assert p_res.returncode == 0, err.decode()[-2000:]
    out, err = p_full.communicate(timeout=600)
    assert p_full.returncode == 0, err.decode()[-2000:]

    assert (killed / "r" / "log.jsonl").read_bytes() == (full / "r" / "log.jsonl").read_bytes()
    with np.load(full / "r" / "checkpoint.npz") as a, np.load(killed / "r" / "checkpoint.npz") as b:
        assert a.files == b.files
        for k in a.files:
            np.testing.assert_array_equal(a[k], b[k])
    assert json.loads((killed / "r" / "meta.json").read_text())["status"] == "completed"
