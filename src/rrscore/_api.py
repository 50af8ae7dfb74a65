"""The public scoring call: ``rrscore.score(data, gene_sets, method=...)``."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.expression._adapters import as_expression
from rrscore.expression._idmap import MapIds, alias_resolver
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._gmt import as_collection
from rrscore.genesets._matching import LOW_COVERAGE, AlignedSets, align_gene_sets
from rrscore.genesets._model import GeneSetCollection
from rrscore.methods import get_method
from rrscore.methods._engine import run_method

GeneSetsLike = GeneSetCollection | Mapping[str, Iterable[str]] | pd.DataFrame | str | os.PathLike


@dataclass
class Prepared:
    """Expression data and gene sets after the input layer and matching."""

    expr: ExpressionMatrix
    sets: AlignedSets
    collection: GeneSetCollection


def prepare(
    data, gene_sets: GeneSetsLike, *, min_size: int = 1, max_size: float = math.inf,
    genes: Sequence[object] | None = None, samples: Sequence[object] | None = None,
    orient: str = "auto", layer: str | None = None, use_raw: bool | None = None,
    duplicates: str = "highest_mean", nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE, map_ids: MapIds = "auto",
    method: str | None = None,
) -> Prepared:
    """Run the input layer and gene-set matching without scoring (see :func:`score`).

    With ``method`` naming a method that drops constant genes (gsva, zscore, plage, mean),
    genes constant across samples are left out of the sets before the size filter, as GSVA
    does, and the sets left without genes are not scored.
    """
    collection = as_collection(gene_sets)
    expr = as_expression(
        data, genes=genes, samples=samples, orient=orient, layer=layer, use_raw=use_raw,
        gene_universe=collection.genes, duplicates=duplicates, nan_policy=nan_policy,
        map_ids=map_ids,
    )
    excluded = None
    if method is not None and get_method(method).removes_constant_genes and not expr.is_lazy:
        excluded = _constant_genes(expr)
    sets = align_gene_sets(
        collection, expr.genes, min_size=min_size, max_size=max_size, low_coverage=low_coverage,
        synonyms=alias_resolver(map_ids, collection.genes), excluded=excluded,
    )
    if excluded is not None:
        _report_constant_genes(sets.coverage, expr, excluded, method)
    return Prepared(expr, sets, collection)


def _constant_genes(expr: ExpressionMatrix) -> np.ndarray | None:
    """Mask of genes with sd < 1e-10 across samples (GSVA 1.46), or None if there are none."""
    from rrscore.methods._standardize import gene_scaling

    constant = gene_scaling(expr).constant
    return constant if constant.any() else None


def _report_constant_genes(
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
    warnings.warn(
        f"{method}: {len(genes)} gene(s) of the gene sets are constant across samples "
        f"(sd < 1e-10) and were left out, as GSVA does: {', '.join(genes[:10])}"
        f"{' ...' if len(genes) > 10 else ''}; sets affected: {', '.join(in_sets.index[:10])}"
        + (f"; sets not scored (no other gene): {', '.join(dropped)}" if dropped else ""),
        UserWarning,
        stacklevel=4,
    )


def coverage(data, gene_sets: GeneSetsLike, **kwargs) -> pd.DataFrame:
    """Per set: genes listed, found, fraction, missing genes, and whether it would be scored.

    Accepts the same arguments as :func:`score` except the method ones.
    """
    return prepare(data, gene_sets, **kwargs).sets.coverage


def coverage_record(table: pd.DataFrame) -> dict[str, list]:
    """A coverage table as plain lists keyed by column (``set`` first): for ``.attrs``/``.uns``.

    pandas compares ``.attrs`` when it prints or concatenates frames, which fails when they
    hold a DataFrame; h5ad files cannot store one in ``.uns`` either.
    """
    flat = table.reset_index()
    # tolist() gives Python bool/int/float/str, which h5ad and JSON store as they are
    return {str(col): flat[col].tolist() for col in flat.columns}


def coverage_report(result: pd.DataFrame) -> pd.DataFrame:
    """The coverage report of a :func:`score` result, as a DataFrame indexed by set name."""
    try:
        record = result.attrs["rrscore"]["coverage"]
    except (AttributeError, KeyError, TypeError):
        raise RRScoreError("this object carries no rrscore coverage report") from None
    return pd.DataFrame(record).set_index("set")


def score(
    data,
    gene_sets: GeneSetsLike,
    method: str = "ssgsea",
    *,
    min_size: int = 1,
    max_size: float = math.inf,
    genes: Sequence[object] | None = None,
    samples: Sequence[object] | None = None,
    orient: str = "auto",
    layer: str | None = None,
    use_raw: bool | None = None,
    duplicates: str = "highest_mean",
    nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE,
    map_ids: MapIds = "auto",
    chunk_size: int | None = None,
    progress: bool = False,
    **method_params,
) -> pd.DataFrame:
    """Score gene sets in every sample.

    Parameters
    ----------
    data
        Expression: a DataFrame (genes × samples or samples × genes), a NumPy array or scipy
        sparse matrix with ``genes=``, or an AnnData (``layer=``, ``use_raw=``).
    gene_sets
        A GMT path, a bundled collection name (``rrscore genesets list``), a dict
        ``name -> genes`` (``GENE-`` marks a down gene), a long DataFrame with ``source``,
        ``target`` and optional ``weight`` columns, or a :class:`GeneSetCollection`.
    method
        Method name, lower case; ``rrscore.list_methods()`` lists them.
    min_size, max_size
        Keep sets whose number of genes *found in the data* is in ``[min_size, max_size]``.
    genes, samples
        Labels for array input.
    orient
        ``"auto"``, ``"genes_rows"`` or ``"genes_columns"`` (DataFrame and array input).
    layer, use_raw
        AnnData source (scanpy conventions).
    duplicates
        Policy for duplicated gene identifiers: ``highest_mean`` (default), ``mean``,
        ``sum``, ``max``, ``first``, ``error``.
    nan_policy
        ``"error"`` (default) or ``"drop_genes"``.
    low_coverage
        Warn about sets with a smaller fraction of genes found.
    map_ids
        Gene-ID mapping through the bundled human gene reference. ``"auto"`` (default):
        when the gene sets use symbols, data indexed by Ensembl or Entrez gene IDs is
        mapped to approved symbols (IDs mapping to one symbol are collapsed by
        ``duplicates``; counts in the input report), and a set gene absent from the data
        is matched through an unambiguous previous symbol or alias (reported in the
        coverage's ``renamed`` column, e.g. ``MRGBP->C20orf20``). ``"off"``: identifiers
        as given, exact then case-insensitive matching only, as R GSVA does.
    chunk_size
        Samples per chunk (bounds memory; default 256).
    progress
        Show a progress bar on stderr.
    **method_params
        The method's parameters, with the reference implementation's names in snake case
        (ssGSEA: ``alpha``, ``normalize``).

    Returns
    -------
    pandas.DataFrame
        Samples as rows, gene sets as columns, whatever the input orientation. ``.attrs``
        holds ``"rrscore"``: the method, its parameters, the coverage report (plain lists,
        one per column, keyed by ``set``; :func:`coverage_report` turns it into a
        DataFrame: genes listed, found, missing per set) and the input report (what was
        cleaned, collapsed or dropped). Only plain Python data is stored there, so the
        result prints, concatenates and serialises like any DataFrame.
    """
    spec = get_method(method)
    params = spec.make_params(**method_params)
    prep = prepare(
        data, gene_sets, method=spec.name, min_size=min_size, max_size=max_size, genes=genes,
        samples=samples,
        orient=orient, layer=layer, use_raw=use_raw, duplicates=duplicates,
        nan_policy=nan_policy, low_coverage=low_coverage, map_ids=map_ids,
    )
    values, engine = run_method(
        spec, prep.expr, prep.sets, params, chunk_size=chunk_size, progress=progress
    )
    result = pd.DataFrame(values, index=prep.expr.samples, columns=pd.Index(prep.sets.names))
    result.index.name = "sample"
    result.columns.name = "gene_set"
    result.attrs["rrscore"] = {
        "method": spec.name,
        "params": asdict(params),
        "collection": prep.collection.name,
        "collection_version": prep.collection.version,
        "engine": engine,
        "coverage": coverage_record(prep.sets.coverage),
        "input": prep.expr.report.to_dict(),
    }
    return result
