"""The input layer and gene-set matching, before any scoring: :func:`prepare`.

One path for every entry point: any expression input (table, array, AnnData in memory, backed
or Dask-backed) becomes an :class:`~rrscore.expression.ExpressionMatrix`, the gene sets a
collection aligned to its genes with a coverage report. The method's spec says which genes it
leaves out before the size filter (GSVA's constant genes); nothing here looks at method names.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rrscore.errors import ConstantGenesWarning, InputDataError, warn
from rrscore.expression._adapters import as_expression, expression_by_blocks
from rrscore.expression._anndata import is_anndata, is_lazy_anndata
from rrscore.expression._lazy import copy_of_blocks, lazy_expression
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.expression._values import check_sizes
from rrscore.genesets._coerce import as_collection
from rrscore.genesets._matching import LOW_COVERAGE, AlignedSets, align_gene_sets
from rrscore.genesets._model import GeneSetCollection
from rrscore.ids import MapIds, alias_resolver
from rrscore.methods import MethodSpec
from rrscore.methods._parallel import KERNEL_LOCK

GeneSetsLike = GeneSetCollection | Mapping[str, Iterable[str]] | pd.DataFrame | str | os.PathLike


@dataclass
class Prepared:
    """Expression data and gene sets after the input layer and matching.

    Attributes
    ----------
    expr
        The expression matrix (samples × genes; values in memory or read by blocks).
    sets
        The gene sets aligned to ``expr``'s genes, with the coverage report
        (``sets.coverage``).
    collection
        The gene-set collection as given (before matching).
    """

    expr: ExpressionMatrix
    sets: AlignedSets
    collection: GeneSetCollection


def check_source_options(data, *, layer: str | None = None, use_raw: bool | None = None,
                         orient: str = "auto") -> None:
    """Refuse an input option that ``data``'s kind would silently ignore.

    ``layer=`` and ``use_raw=True`` choose a matrix of an AnnData; a table or array has one.
    ``orient=`` chooses the gene axis of a table or array; an AnnData's variables are genes.

    Raises
    ------
    InputDataError
        Naming the option and the input's type.
    """
    if isinstance(data, ExpressionMatrix):  # already adapted (internal callers)
        return
    kind = type(data).__name__
    if is_anndata(data):
        if orient not in (None, "auto"):
            raise InputDataError(f"orient={orient!r} is for tables and arrays: an AnnData has "
                                 "observations as rows and genes as variables (drop orient=)")
        return
    if layer is not None:
        raise InputDataError(f"layer={layer!r} chooses an AnnData layer; a {kind} has one "
                             "matrix (drop layer=, or pass the AnnData)")
    if use_raw:
        raise InputDataError(f"use_raw=True chooses adata.raw; a {kind} has no .raw "
                             "(drop use_raw=, or pass the AnnData)")


def prepare(
    data, gene_sets: GeneSetsLike, *, min_size: int = 1, max_size: float = math.inf,
    genes: Sequence[object] | None = None, samples: Sequence[object] | None = None,
    orient: str = "auto", layer: str | None = None, use_raw: bool | None = None,
    duplicates: str = "highest_mean", nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE, map_ids: MapIds = "auto",
    spec: MethodSpec | None = None, params=None,
    chunk_size: int | None = None, progress: bool = False, by_blocks: bool = False,
) -> Prepared:
    """Run the input layer and gene-set matching without scoring (see :func:`rrscore.score`).

    Parameters
    ----------
    data, gene_sets, min_size, max_size, genes, samples, orient, layer, use_raw, duplicates, \
nan_policy, low_coverage, map_ids
        As in :func:`rrscore.score`.
    spec, params
        The method about to score, when there is one: genes its spec excludes before the
        size filter (gsva, zscore, plage, mean: genes constant across samples, as GSVA does)
        are left out of the sets, the sets left without genes are not scored, and a
        :class:`~rrscore.errors.ConstantGenesWarning` names them.
    chunk_size, progress
        Cells per block and a progress bar, for backed/Dask AnnData (read by blocks).
    by_blocks
        For a method that reads blocks of samples (``spec.read_mode_for(params)`` other than
        ``"memory"``): a table, array or in-memory AnnData whose gene plan drops or combines
        columns (``nan_policy="drop_genes"``, duplicated genes) is not copied; the plan is
        applied to each block of samples as the method reads it
        (:func:`~rrscore.expression._adapters.expression_by_blocks`: the copy's values, block
        by block). Ignored for a method that needs the whole matrix in memory, whose input
        is the copy.

    Returns
    -------
    Prepared
    """
    check_sizes(min_size, max_size)  # before any work: NaN is not "no limit"
    check_source_options(data, layer=layer, use_raw=use_raw, orient=orient)
    collection = as_collection(gene_sets)
    expr = None
    if hasattr(data, "obs_names") and is_lazy_anndata(data, layer, use_raw):
        expr = lazy_expression(
            data, layer=layer, use_raw=use_raw, gene_universe=collection.genes,
            duplicates=duplicates, nan_policy=nan_policy, chunk_size=chunk_size,
            progress=progress, map_ids=map_ids,
        )
    if expr is None and by_blocks and not _needs_memory(spec, params):
        expr = expression_by_blocks(
            data, genes=genes, samples=samples, orient=orient, layer=layer, use_raw=use_raw,
            gene_universe=collection.genes, duplicates=duplicates, nan_policy=nan_policy,
            map_ids=map_ids,
        )
    if expr is None:
        expr = as_expression(
            data, genes=genes, samples=samples, orient=orient, layer=layer, use_raw=use_raw,
            gene_universe=collection.genes, duplicates=duplicates, nan_policy=nan_policy,
            map_ids=map_ids,
        )
    if _needs_memory(spec, params):
        # input adapted by blocks elsewhere (the composite's adapter, a caller's matrix):
        # such a method reads the whole matrix, so it gets the input layer's copy
        expr = copy_of_blocks(expr)
    excluded = None
    if spec is not None and not expr.is_lazy:
        with KERNEL_LOCK:  # the gene statistics run a parallel kernel
            excluded = spec.genes_excluded(expr, params)
    sets = align_gene_sets(
        collection, expr.genes, min_size=min_size, max_size=max_size, low_coverage=low_coverage,
        synonyms=alias_resolver(map_ids, collection.genes), excluded=excluded,
    )
    if excluded is not None:
        _report_excluded_genes(sets.coverage, expr, excluded, spec.name)
    return Prepared(expr, sets, collection)


def _needs_memory(spec: MethodSpec | None, params) -> bool:
    """Whether the method needs every sample in memory at once (read mode ``"memory"``)."""
    return spec is not None and spec.read_mode_for(params)[0] == "memory"


def _report_excluded_genes(
    coverage: pd.DataFrame, expr: ExpressionMatrix, constant: np.ndarray, method: str
) -> None:
    names = [str(g) for g in expr.genes[constant]]
    expr.report.notes.append(
        f"{method}: {len(names)} genes constant across samples left out, as GSVA does"
    )
    in_sets = coverage[coverage["excluded"] != ""]
    if in_sets.empty:
        return
    genes = sorted({g for cell in in_sets["excluded"] for g in cell.split(";")})
    dropped = list(in_sets.index[in_sets["reason"] == "only genes constant across samples"])
    warn(
        f"{method}: {len(genes)} gene(s) of the gene sets are constant across samples "
        f"(sd < 1e-10) and were left out, as GSVA does: {', '.join(genes[:10])}"
        f"{' ...' if len(genes) > 10 else ''}; sets affected: {', '.join(in_sets.index[:10])}"
        + (f"; sets not scored (no other gene): {', '.join(dropped)}" if dropped else ""),
        ConstantGenesWarning,
    )
