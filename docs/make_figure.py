"""Regenerate the README picture: the Multi-Power Law fitted on the three 400M train curves,
predicting held-out schedules, as a PNG screenshot (docs/assets/mpl_400M.png) of the plotly
figure taken with Debian's Chromium. The curves come through ``lawfit.datasets.mpl_runs``
(downloaded once; ``LAWFIT_DATA_SOURCE=../shared/data`` reads the project's local copy).

    LAWFIT_DATA_SOURCE=../shared/data .venv/bin/python docs/make_figure.py
"""

import subprocess
import tempfile
from pathlib import Path

import lawfit
from lawfit.datasets import MPL_TEST, MPL_TRAIN, mpl_runs
from lawfit.laws import MultiPowerLaw
from lawfit.plot import fit_overlay

ASSETS = Path(__file__).resolve().parent / "assets"


def main() -> None:
    runs = mpl_runs("400M")
    fit = lawfit.fit(MultiPowerLaw.for_fitting("paper"), runs.select(MPL_TRAIN))
    exact = fit.replace(law=fit.law.with_mode("exact"))
    test = lawfit.evaluate(exact, runs.select(MPL_TEST))["mean"]
    shown = runs.select([*MPL_TRAIN, "cosine_72000", "wsd_20000_24000", "wsdcon_3"])
    preds = {r.run_id: {"steps": r.observed("loss").steps, "loss": p}
             for r, p in zip(shown, exact.predict(shown).values(), strict=True)}
    fig = fit_overlay(shown, preds, fitted=MPL_TRAIN, log_x=True, max_points=400,
                      title=f"Multi-Power Law, 400M: fitted on 3 runs, held-out R² {test['r2']:.4f}")
    fig.update_layout(width=1000, height=560, yaxis_range=[2.55, 3.6])
    ASSETS.mkdir(exist_ok=True)
    html = Path(tempfile.mkdtemp()) / "mpl_400M.html"
    fig.write_html(html, include_plotlyjs=True)
    chromium = Path("/usr/bin/chromium")
    if chromium.exists():
        subprocess.run([str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--hide-scrollbars",
                        f"--screenshot={ASSETS / 'mpl_400M.png'}", "--window-size=1000,560",
                        html.as_uri()], check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    main()
