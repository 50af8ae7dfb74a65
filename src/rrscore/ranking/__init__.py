"""Per-sample ranking kernels, shared by every rank-based method (internal).

This package is **internal**: its names are not part of rrscore's public API and may change
without notice. The methods import from the submodule that defines a name; this module
re-exports every name the former ``rrscore.ranking`` module had, so older imports keep
working.

Each function ranks the genes of every row (sample) of a ``(n_samples, n_genes)`` array
independently, with the tie rule the reference implementation uses, named explicitly. The
submodules are split by access pattern:

* :mod:`._dense` — full dense ranks and positions of every gene (stable descending
  positions, average ranks; GSVA, RSI).
* :mod:`._selected` — ranks of the selected genes only, from one sort per row and a merge
  walk (singscore, ssGSEA), dense or CSR.
* :mod:`._ties` — sparse-aware tie blocks of selected genes from a row's stored values
  (UCell, AUCell).
* :mod:`._random_ties` — positions under a seeded random tie order (AUCell).
* :mod:`._ordered_ties` — tie blocks with ties broken by column order (ssGSEA).
* :mod:`._common` — flat row arrays of dense or CSR blocks and gene slots.
* :mod:`._sort` — small in-kernel sorts and binary searches (numba's own cost seconds each
  to compile on a cold cache).

Imports go down only: ``_random_ties`` → ``_ties`` → ``_common``; ``_ordered_ties`` →
``_ties``; ``_dense``, ``_ties``, ``_ordered_ties``, ``_random_ties`` → ``_sort``;
``_selected`` stands alone.
"""

from __future__ import annotations

from rrscore.ranking._common import csr_row, gene_slots, row_arrays
from rrscore.ranking._dense import (
    average_ranks,
    descending_positions,
    fast_descending_positions,
    positions_and_average_ranks,
)
from rrscore.ranking._random_ties import random_tie_positions, row_random_positions, tie_key
from rrscore.ranking._selected import (
    TIES_METHODS,
    column_rank_counts,
    selected_counts,
    selected_ranks,
    selected_ranks_csr,
)
from rrscore.ranking._ties import (
    csr_descending_average_ranks,
    csr_row_tie_blocks,
    row_tie_blocks,
    tie_blocks,
)

__all__ = [
    "TIES_METHODS",
    "average_ranks",
    "column_rank_counts",
    "csr_descending_average_ranks",
    "csr_row",
    "csr_row_tie_blocks",
    "descending_positions",
    "fast_descending_positions",
    "gene_slots",
    "positions_and_average_ranks",
    "random_tie_positions",
    "row_arrays",
    "row_random_positions",
    "row_tie_blocks",
    "selected_counts",
    "selected_ranks",
    "selected_ranks_csr",
    "tie_blocks",
    "tie_key",
]
