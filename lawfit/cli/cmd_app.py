"""``lawfit app``: start the Streamlit explorer (``apps/app.py``) headless and print its URL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

from lawfit.cli._common import fail

APP = Path(__file__).resolve().parents[2] / "apps" / "app.py"


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``address`` right now."""
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> bool:
    """Poll ``<url>/_stcore/health`` until it answers ``ok`` (False if the server died or the
    timeout passed). Never goes through a proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with opener.open(url + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def streamlit_command(port: int, address: str, app: Path = APP) -> list[str]:
    """The ``streamlit run`` command line of the explorer (headless, no telemetry)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", address,
        "--server.fileWatcherType", "none",
        "--server.maxUploadSize", "50",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
    ]  # fmt: skip


def register(app: typer.Typer) -> None:
    @app.command("app")
    def app_cmd(
        port: int = typer.Option(8501, "--port", help="Port to serve on (0: any free port)."),
        data: Path | None = typer.Option(  # noqa: B008
            None, "--data", help="A log file or folder to open instead of the bundled curves."
        ),
        address: str = typer.Option("127.0.0.1", "--address", help="Address to bind."),
    ) -> None:
        """Start the interactive explorer (Streamlit) and print its URL."""
        if not APP.exists():
            fail(f"the explorer is not installed ({APP} missing)",
                 "run lawfit app from a source checkout of lawfit (apps/ is not in the wheel)")
        try:
            import plotly  # noqa: F401
            import streamlit  # noqa: F401
        except ImportError as e:
            fail(f"the explorer needs the app extra ({e.name} is missing)",
                 "pip install 'lawfit[app]'")
        env = dict(os.environ)
        if data is not None:
            if not data.exists():
                fail(f"--data {str(data)!r} does not exist", "give a log file or folder")
            env["LAWFIT_APP_DATA"] = str(data.resolve())
        if port == 0:
            port = free_port(address)
        elif port < 0 or port > 65535:
            fail(f"--port {port} is not a port number", "use 1-65535, or 0 for any free port")
        host = "localhost" if address in ("0.0.0.0", "127.0.0.1") else address
        url = f"http://{host}:{port}"
        # cwd = apps/ so that apps/.streamlit/config.toml applies
        proc = subprocess.Popen(streamlit_command(port, address), cwd=APP.parent, env=env)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below
        try:
            if not wait_healthy(f"http://127.0.0.1:{port}" if address in ("0.0.0.0", "127.0.0.1") else url, proc):
                proc.terminate()
                fail(f"the explorer did not start on port {port}",
                     "is the port in use? try --port 0")
            typer.echo(f"lawfit explorer running at {url}  (Ctrl+C to stop)")
            proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
