"""lawfit.datasets fetching: the sha256 registry, local sources, and the real download path
(pooch over HTTP) against a loopback server that serves ../shared/data, with a corrupted file,
an unreachable server, the licence notice and the progress callback."""

import functools
import hashlib
import http.server
import shutil
import threading

import numpy as np
import pytest

from lawfit import datasets
from lawfit.datasets import DatasetError, fetch, mpl_runs, registry
from tests.conftest import shared_path

MPL_KEY = "mpl/curves/csv_25/cosine_24000.csv"


def test_registry_hashes_match_the_shared_files():
    """Every registry entry is the sha256 of the published file (independent hashlib pass)."""
    root = shared_path("data")
    reg = registry()
    assert len(reg) == 27 + 76 + 1
    for key, digest in reg.items():
        assert digest == "sha256:" + hashlib.sha256((root / key).read_bytes()).hexdigest(), key


def test_every_dataset_key_has_a_pinned_origin():
    for key in registry():
        ds = next((d for d in datasets.DATASETS if key.startswith(d.prefix)), None)
        if key == "mpl/mpl_optimized_schedules.csv":  # a derived file: mirrors only
            assert ds is None
            continue
        url = ds.origin_url(key)
        assert url.startswith("https://raw.githubusercontent.com/") and len(url.split("/")[5]) == 40
    assert datasets.DATASETS[0].origin_url(MPL_KEY).endswith("/loss_curve_repo/csv_25/cosine_24000.csv")
    assert datasets.DATASETS[1].origin_url("schaipp/raw/horizon_transfer/x.json").endswith("/data/horizon_transfer/x.json")


def test_local_folder_source(tmp_path):
    root = shared_path("data")
    assert fetch(MPL_KEY, source=root) == root / MPL_KEY
    with pytest.raises(DatasetError, match=r"does not exist.*LAWFIT_DATA_SOURCE"):
        fetch(MPL_KEY, source=tmp_path)
    bad = tmp_path / MPL_KEY
    bad.parent.mkdir(parents=True)
    bad.write_bytes((root / MPL_KEY).read_bytes().replace(b"4.", b"5.", 1))
    with pytest.raises(DatasetError, match=r"cosine_24000.csv does not match its registry hash"):
        fetch(MPL_KEY, source=tmp_path)
    with pytest.raises(DatasetError, match="not a known dataset file"):
        fetch("mpl/curves/csv_25/nope.csv", source=root)


@pytest.fixture
def mirror(tmp_path):
    """A copy of the MPL 25M curves served on 127.0.0.1; yields (url, folder, stop)."""
    folder = tmp_path / "mirror"
    shutil.copytree(shared_path("data", "mpl", "curves", "csv_25"), folder / "mpl" / "curves" / "csv_25")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    yield f"http://127.0.0.1:{server.server_address[1]}", folder, stop
    stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_from_a_mirror(mirror, tmp_path, monkeypatch, capsys):
    url, folder, stop = mirror
    cache = tmp_path / "cache"
    monkeypatch.setenv(datasets.ENV_CACHE, str(cache))
    monkeypatch.setenv(datasets.ENV_SOURCE, url)
    seen = []
    path = fetch(MPL_KEY, progress=lambda done, total: seen.append((done, total)))
    assert path == cache / MPL_KEY
    assert path.read_bytes() == (folder / MPL_KEY).read_bytes()
    size = path.stat().st_size
    assert seen and seen[-1] == (size, size)  # the callback saw the whole file
    err = capsys.readouterr().err
    assert "licence: MIT" in err and "Luo" in err and "arXiv:2503.12811" in err
    # the other 8 files through the default (rich) bar; the notice is printed on first download only
    runs = mpl_runs("25M")
    assert "licence" not in capsys.readouterr().err
    local = mpl_runs("25M", source=shared_path("data"))
    for a, b in zip(runs, local, strict=True):
        np.testing.assert_array_equal(a.metrics["loss"].values, b.metrics["loss"].values)
        np.testing.assert_array_equal(a.lr, b.lr)
    # cached: no server needed any more
    stop()
    assert fetch(MPL_KEY) == path


def test_corrupted_download_is_refused_and_not_cached(mirror, tmp_path, monkeypatch):
    url, folder, _ = mirror
    cache = tmp_path / "cache"
    monkeypatch.setenv(datasets.ENV_CACHE, str(cache))
    served = folder / MPL_KEY
    served.write_bytes(served.read_bytes().replace(b"4.", b"5.", 1))
    with pytest.raises(DatasetError, match=r"cosine_24000.csv downloaded from http://127\.0\.0\.1.*does not match its registry hash"):
        fetch(MPL_KEY, source=url, progress=False)
    assert not (cache / MPL_KEY).exists()
    # a corrupted cached file is replaced by a good download
    shutil.copy(shared_path("data", MPL_KEY), served)
    (cache / MPL_KEY).parent.mkdir(parents=True, exist_ok=True)
    (cache / MPL_KEY).write_text("garbage")
    assert fetch(MPL_KEY, source=url, progress=False).read_bytes() == served.read_bytes()


def test_unreachable_server_says_what_to_do(mirror, tmp_path, monkeypatch):
    url, _, stop = mirror
    stop()
    monkeypatch.setenv(datasets.ENV_CACHE, str(tmp_path / "cache"))
    with pytest.raises(DatasetError, match=r"cannot download .*cosine_24000.csv from http://127\.0\.0\.1.*LAWFIT_DATA_SOURCE"):
        fetch(MPL_KEY, source=url, progress=False)


def test_missing_file_on_the_mirror(mirror, tmp_path, monkeypatch):
    url, _, _ = mirror
    monkeypatch.setenv(datasets.ENV_CACHE, str(tmp_path / "cache"))
    with pytest.raises(DatasetError, match=r"cannot download schaipp/raw/.*HTTPError.*404"):
        fetch(f"schaipp/raw/{datasets.SCHAIPP_FILES[0]}", source=url, progress=False)


def test_mpl_runs_argument_errors():
    with pytest.raises(ValueError, match="size must be one of"):
        mpl_runs("7M")
    with pytest.raises(ValueError, match=r"unknown MPL run\(s\) \['cosine_1'\]"):
        mpl_runs("25M", ["cosine_1"])
