"""Radiation-response indices: the radiosensitivity index (RSI) and GARD.

* :func:`rsi` — Eschrich et al. 2009 RSI, exactly as the authors' code computes it.
* :func:`gard` — genomic-adjusted radiation dose (Scott et al. 2017) from RSI and a schedule.
* :func:`dose_for_gard` — total dose needed to reach a target GARD (RxRSI).
"""

from rrscore.radiation.gard import RSI_FLOOR, dose_for_gard, gard
from rrscore.radiation.rsi import RSI_ALIASES, RSI_COEFFICIENTS, RSI_GENES, rsi

__all__ = [
    "RSI_ALIASES",
    "RSI_COEFFICIENTS",
    "RSI_FLOOR",
    "RSI_GENES",
    "dose_for_gard",
    "gard",
    "rsi",
]
