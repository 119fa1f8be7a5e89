"""``lawfit app``: starts the explorer headless, prints its URL, serves /_stcore/health, and
stops its server when terminated; bad flags exit with code 2 and a readable message."""

import re
import signal
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner

from lawfit.cli import app as cli


def test_app_starts_prints_url_and_stops():
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lawfit.cli import main; main()", "app", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 180
        line = ""
        while time.monotonic() < deadline and "lawfit explorer running at" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "lawfit app exited early"
        m = re.search(r"http://localhost:(\d+)", line)
        assert m, line
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{m.group(1)}/_stcore/health", timeout=10) as r:
            assert r.read().decode().strip() == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    # the server child is gone too
    time.sleep(1)
    try:
        opener.open(f"http://127.0.0.1:{m.group(1)}/_stcore/health", timeout=2)
        raise AssertionError("the streamlit server still answers after lawfit app stopped")
    except OSError:
        pass


def test_missing_data_path_is_exit_2():
    res = CliRunner().invoke(cli, ["app", "--data", "/nonexistent/runs.csv"])
    assert res.exit_code == 2
    assert "does not exist" in res.output
