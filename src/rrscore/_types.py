"""One vocabulary: option values and defaults shared by every entry point.

The Python API (:func:`rrscore.score`, :func:`rrscore.coverage`, :func:`rrscore.radioresistance`),
the scanpy interface (:mod:`rrscore.tl`) and the command line (``rrscore score``, ``rrscore
radioresistance``, ...) take the same options under the same names (the CLI spells them with
dashes: ``nan_policy`` is ``--nan-policy``) and with the same defaults, defined here once;
``tests/structure/test_conventions.py`` checks every public signature against this table.

AnnData functions follow scanpy: ``layer``, ``use_raw``, ``key_added``, ``inplace``, ``copy``.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

#: Which axis of a table holds genes.
Orient = Literal["auto", "genes_rows", "genes_columns"]
#: What to do with missing values.
NanPolicy = Literal["error", "drop_genes"]
#: How duplicated gene identifiers are collapsed.
Duplicates = Literal["highest_mean", "mean", "sum", "max", "first", "error"]
#: Gene-identifier mapping through the bundled reference.
MapIdsOption = Literal["auto", "symbol", "off"]


class Option(NamedTuple):
    """An option shared by entry points: its default and what it means."""

    default: object
    meaning: str


#: Options shared by the entry points that read expression data and gene sets.
OPTIONS: dict[str, Option] = {
    "orient": Option("auto", "which axis of a table holds genes (auto: from the gene sets)"),
    "layer": Option(None, "AnnData layer to score (scanpy convention)"),
    "use_raw": Option(None, "score adata.raw (None: when present and no layer, as scanpy)"),
    "duplicates": Option("highest_mean", "policy for duplicated gene identifiers"),
    "nan_policy": Option("error", "what to do with missing values"),
    "map_ids": Option("auto", "map Ensembl/Entrez IDs to symbols, match old symbols"),
    "min_size": Option(1, "minimum number of a set's genes found in the data"),
    "max_size": Option(math.inf, "maximum number of a set's genes found in the data"),
    "chunk_size": Option(None, "samples (cells) per block; None: the method's default"),
    "progress": Option(False, "progress bar on stderr"),
    "n_jobs": Option(None, "threads for the numba kernels (None or -1: all cores)"),
    "key_added": Option(None, "where results go in the AnnData (entry-specific default)"),
    "inplace": Option(True, "store into the AnnData (False: return the result only)"),
    "copy": Option(False, "annotate and return a copy of the AnnData"),
}

#: Default method of each entry point, and why they differ.
DEFAULT_METHODS: dict[str, tuple[str, str]] = {
    "score": ("ssgsea", "rrscore.score and `rrscore score`: GSVA's ssGSEA, the most used "
                        "single-sample method for bulk cohorts"),
    "tl.score": ("ucell", "rrscore.tl.score (cells in an AnnData): rank-based, per cell, "
                          "sparse-native and fast on 10^5-10^6 cells"),
    "radioresistance": ("singscore", "the composite (Python, tl, CLI): rank-based and "
                                     "sample-independent, so one new sample scores against a "
                                     "saved reference"),
}
