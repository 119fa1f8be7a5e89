"""Datasets: lawfit's own bundled curves, and public loss-curve datasets fetched on demand.

* :func:`proxy_runs`: the bundled proxy curves (``data/``, made by ``data/make_proxy_curves.py``;
  always available, no network);
* :func:`mpl_runs`, :func:`mpl_optimized_lr`: the official Multi-Power-Law curves (Luo et al.,
  ICLR 2025; MIT), 3 sizes x 9 schedules;
* :func:`schaipp_runs`: the cosine / WSD runs of Schaipp, Hägele et al. (ICML 2025; MIT).

Public files are downloaded once into the user cache and checked against a sha256 registry
(:func:`fetch`). ``LAWFIT_DATA_SOURCE`` (or ``source=``) points at a local folder or a mirror URL
holding the files in the registry's layout (the project's ``../shared/data`` is one):

    LAWFIT_DATA_SOURCE=../shared/data python -c "from lawfit.datasets import mpl_runs; mpl_runs()"

Example:
    >>> from lawfit.datasets import PROXY_TEST, proxy_runs
    >>> runs = proxy_runs("w64")                  # bundled: works offline
    >>> runs.select(PROXY_TEST).ids
    ('cosine_4000', 'wsd20_4000', 'wsd10_4000', 'step811_4000', 'wsd20_2000')
"""

from lawfit.datasets._fetch import (
    DATASETS,
    ENV_CACHE,
    ENV_SOURCE,
    Dataset,
    DatasetError,
    fetch,
    registry,
)
from lawfit.datasets._mpl import (
    MPL_PEAK_LR,
    MPL_RUNS,
    MPL_SIZES,
    MPL_TEST,
    MPL_TRAIN,
    MPL_WARMUP,
    mpl_lr,
    mpl_optimized_lr,
    mpl_runs,
)
from lawfit.datasets._proxy import PROXY_RUNS, PROXY_SIZES, PROXY_TEST, PROXY_TRAIN, proxy_runs
from lawfit.datasets._schaipp import SCHAIPP_FILES, schaipp_runs

__all__ = [
    "DATASETS",
    "ENV_CACHE",
    "ENV_SOURCE",
    "MPL_PEAK_LR",
    "MPL_RUNS",
    "MPL_SIZES",
    "MPL_TEST",
    "MPL_TRAIN",
    "MPL_WARMUP",
    "PROXY_RUNS",
    "PROXY_SIZES",
    "PROXY_TEST",
    "PROXY_TRAIN",
    "SCHAIPP_FILES",
    "Dataset",
    "DatasetError",
    "fetch",
    "mpl_lr",
    "mpl_optimized_lr",
    "mpl_runs",
    "proxy_runs",
    "registry",
    "schaipp_runs",
]
