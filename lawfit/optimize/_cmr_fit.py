"""The CMR fits of a mixture table in one call: per domain share, the domain and general
loss-increment laws along the CPT tokens (CMR Eq. 6), and at the largest token budget the
loss-vs-ratio laws ``L(R) = α R^s + β`` (8.2). Their parameters feed
:func:`lawfit.optimize.critical_mixture_ratio` and :func:`lawfit.optimize.critical_ratio_curve`.

Example:
    >>> from lawfit import demo_data
    >>> from lawfit.optimize import fit_cmr_table
    >>> fits = fit_cmr_table(demo_data.cmr_table(), token_unit=2e8, num_starts=4)
    >>> len(fits["ratios"]), sorted(fits["ratio_fits"])
    (5, ['domain', 'general'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fit_cmr_table"]


def fit_cmr_table(table: Any, token_unit: float = 2e8, num_starts: int = 16) -> dict[str, Any]:
    """Fit the CMR laws to a :class:`~lawfit.mixtures.MixtureTable` (columns ``D``, ``r``, the
    losses ``general`` / ``domain`` and the source model's ``base_general`` / ``base_domain``).

    Returns ``{"ratios": [R, ...], "domain": [FitResult per R], "general": [FitResult per R],
    "ratio_fits": {target: FitResult}, "token_unit": token_unit}``; shares outside (0, 1) are
    skipped. Raises ValueError naming the share whose fit fails, or when fewer than 2 shares
    lie strictly inside (0, 1).
    """
    import lawfit
    from lawfit.laws import CMR

    out: dict[str, Any] = {"ratios": [], "domain": [], "general": [], "ratio_fits": {},
                           "token_unit": float(token_unit)}
    for R in np.unique(table.r):
        if not 0 < R < 1:
            continue
        sub = table.select(table.r == R)
        out["ratios"].append(float(R))
        for target, kind in (("domain", "domain_increment"), ("general", "general_increment")):
            law = CMR(kind=kind, token_unit=token_unit)
            try:
                out[target].append(lawfit.fit(law, sub, num_starts=num_starts))
            except ValueError as exc:
                raise ValueError(f"share r={R:g}: {exc}") from None
    if len(out["ratios"]) < 2:
        raise ValueError(f"the CMR needs at least 2 domain shares strictly inside (0, 1); the "
                         f"table has {np.unique(table.r).tolist()}")
    last = table.select(table.D == table.D.max())
    for target in ("general", "domain"):
        if getattr(table, target) is not None:
            law = CMR(kind="ratio", target=target, token_unit=token_unit)
            out["ratio_fits"][target] = lawfit.fit(law, last, num_starts=num_starts)
    return out
