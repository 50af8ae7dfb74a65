"""Errors and warnings: every user-facing error is a :class:`RRScoreError`, every warning an
:class:`RRScoreWarning`.

Warnings have categories so that users can filter them the standard way, e.g.
``warnings.filterwarnings("ignore", category=rrscore.errors.LowCoverageWarning)``, and
:func:`warn` points them at the user's own line (the first frame outside the rrscore package),
whatever depth of the library raised them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings

__all__ = [
    "ConstantGenesWarning",
    "DroppedSetsWarning",
    "DuplicateGenesWarning",
    "GeneMatchError",
    "GeneSetError",
    "InputDataError",
    "InputScaleWarning",
    "InsufficientMemoryError",
    "LowCoverageWarning",
    "MethodWarning",
    "MixedIdsWarning",
    "RRScoreError",
    "RRScoreWarning",
    "RadiationModelWarning",
    "SpeciesWarning",
    "StatisticsWarning",
    "warn",
]


class RRScoreError(ValueError):
    """Base class of errors caused by user input (the CLI prints these without a traceback)."""


class GeneSetError(RRScoreError):
    """A gene set or collection is malformed."""


class InputDataError(RRScoreError):
    """The expression data cannot be used as given."""


class GeneMatchError(RRScoreError):
    """Gene sets and data do not share (enough) gene identifiers."""


class InsufficientMemoryError(RRScoreError, MemoryError):
    """A call's arrays would not fit in the memory the process can still get (checked before
    any work, so that the system does not kill the process part-way)."""


class RRScoreWarning(UserWarning):
    """Base class of rrscore's warnings (a :class:`UserWarning`, shown once per call site)."""


class LowCoverageWarning(RRScoreWarning):
    """Gene sets with a small fraction of their genes found in the data."""


class DroppedSetsWarning(RRScoreWarning):
    """Gene sets (or mechanisms) that are not scored, each named with its reason."""


class ConstantGenesWarning(RRScoreWarning):
    """Genes constant across samples left out of the sets (GSVA's filter)."""


class DuplicateGenesWarning(RRScoreWarning):
    """Duplicated gene identifiers in the data or in a gene set."""


class InputScaleWarning(RRScoreWarning):
    """The data's scale (counts, log, scaled) does not fit the method's assumption."""


class MethodWarning(RRScoreWarning):
    """A method's parameters or results need attention (e.g. a set larger than max_rank)."""


class StatisticsWarning(RRScoreWarning):
    """A statistical result needs care: few events, cells as replicates, a circular grouping,
    a separated fit."""


class SpeciesWarning(RRScoreWarning):
    """The data's gene identifiers look like another species than the gene sets'."""


class MixedIdsWarning(RRScoreWarning):
    """One index of gene identifiers mixes several ID types (symbols and Ensembl IDs, ...)."""


class RadiationModelWarning(RRScoreWarning):
    """RSI, GARD, drivers or the composite applied outside what they were built for."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


_WRAPPER_FILES = {os.path.abspath(m.__file__) for m in (contextlib, functools)}


def _user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the rrscore package (the user's line).

    Counted from the caller of :func:`warn`. Frames of ``contextlib``/``functools`` wrappers
    and generated code (a dataclass's ``__init__``, file name ``<string>``) reached from
    rrscore are skipped as rrscore's own, unless nothing is above them (``python -c``).
    """
    frame = sys._getframe(2)  # the caller of warn()
    level = 2
    while frame is not None:
        filename = frame.f_code.co_filename
        path = os.path.abspath(filename)
        generated = filename.startswith("<") and frame.f_back is not None
        if not (path.startswith(_PACKAGE_DIR + os.sep) or path in _WRAPPER_FILES
                or generated):
            return level
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[RRScoreWarning] = RRScoreWarning) -> None:
    """Issue ``message`` as ``category``, attributed to the user's line of code.

    Parameters
    ----------
    message
        The warning text: what happened, to which genes/sets/samples, and what to do.
    category
        A subclass of :class:`RRScoreWarning`.
    """
    if not (isinstance(category, type) and issubclass(category, RRScoreWarning)):
        raise TypeError(f"category must be an RRScoreWarning subclass, got {category!r}")
    warnings.warn(message, category, stacklevel=_user_stacklevel())
