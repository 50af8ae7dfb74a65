"""The gene plan: how the columns of an input matrix become genes, decided from the labels.

Everything the input layer does to the genes of a matrix follows from their labels:
cleaning (Ensembl versions, GENCODE ``_PAR_Y`` rows, TCGA ``SYMBOL|ENTREZ``, ``?|ENTREZ``
rows dropped), the identifier type and the mapping of Ensembl/Entrez IDs to symbols, and the
grouping of duplicated identifiers under the duplicates policy. :func:`plan_genes` computes
that once, as a :class:`GenePlan`; the in-memory adapters apply it to the whole matrix and
lazy input (backed h5ad, Dask) to each block of cells, so both get the same genes and the
same notes in the input report.

Two steps need values, and the plan says what it needs rather than reading them itself:
genes with missing values under ``nan_policy="drop_genes"`` (:meth:`GenePlan.without`) and
the column means that ``duplicates="highest_mean"`` compares (:meth:`GenePlan.mean_columns`,
then :meth:`GenePlan.grouped`). In-memory input computes both from the matrix, lazy input in
one streaming pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from rrscore.errors import InputDataError
from rrscore.expression._collapse import (
    SELECTING_POLICIES,
    DuplicateGroups,
    Means,
    duplicated_positions,
    group_duplicates,
)
from rrscore.expression._labels import check_mixed_types, check_renamed_copies, check_species
from rrscore.expression._matrix import InputReport
from rrscore.ids import (
    MAPPABLE_ID_TYPES,
    MapIds,
    clean_gene_ids,
    map_ids_to_symbols,
    wants_symbol_mapping,
)


@dataclass(frozen=True)
class GenePlan:
    """How the columns of a stored matrix become the genes of an expression matrix.

    Made by :func:`plan_genes`; each step returns a new plan.

    Attributes
    ----------
    n_input
        Columns of the stored matrix.
    read
        Stored columns read, in order (int64).
    labels
        Identifier of each read column, cleaned and mapped (object array).
    id_type
        Detected type of the input labels.
    notes
        Notes on the identifiers (cleaning, mapping), in the order the steps ran.
    dropped
        Input labels of the columns without a usable identifier.
    id_mapping
        Counts of the Ensembl/Entrez → symbol mapping; empty when none was done.
    id_types
        Count of each ID type when the labels mix several; empty otherwise.
    species
        The species the labels look like (:func:`rrscore.ids.detect_species`).
    combine
        Duplicated genes whose columns are combined row by row (``mean``, ``sum``,
        ``max``); None when each gene is one read column.
    collapse_notes
        The note on duplicated identifiers, once :meth:`grouped` has run.
    """

    n_input: int
    read: np.ndarray
    labels: np.ndarray
    id_type: str = "unknown"
    notes: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    id_mapping: dict = field(default_factory=dict)
    id_types: dict = field(default_factory=dict)
    species: str = "unknown"
    combine: DuplicateGroups | None = None
    collapse_notes: tuple[str, ...] = ()

    @cached_property
    def genes(self) -> pd.Index:
        """The output genes (strings), one per column of :meth:`apply`'s result."""
        out = self.combine.genes if self.combine is not None else self.labels
        return pd.Index(np.asarray(out).astype(str))

    @cached_property
    def reads_all(self) -> bool:
        """Whether :meth:`select` keeps the stored columns as they are."""
        return len(self.read) == self.n_input and bool(
            np.array_equal(self.read, np.arange(self.n_input)))

    # -- steps that need values: the caller supplies what they need ----------------------
    def without(self, drop: np.ndarray) -> GenePlan:
        """The plan without the read columns where ``drop`` (bool over :attr:`read`) is true.

        Used for genes with missing values under ``nan_policy="drop_genes"``; call before
        :meth:`grouped`.
        """
        if self.combine is not None or self.collapse_notes:
            raise ValueError("drop columns before grouping duplicated genes")
        keep = ~np.asarray(drop, dtype=bool)
        return replace(self, read=self.read[keep], labels=self.labels[keep])

    def mean_columns(self, duplicates: str) -> np.ndarray:
        """Positions in :attr:`read` whose column means :meth:`grouped` will compare.

        Non-empty only for ``duplicates="highest_mean"`` with duplicated identifiers.
        """
        if duplicates != "highest_mean":
            return np.zeros(0, dtype=np.int64)
        return duplicated_positions(self.labels)

    def grouped(self, duplicates: str, means: Means | None = None) -> GenePlan:
        """Apply the duplicates policy to the labels: the final plan.

        Parameters
        ----------
        duplicates
            The duplicates policy.
        means
            For ``highest_mean``: the means of the columns at :meth:`mean_columns`, as an
            array over :attr:`read` positions (NaN elsewhere) or a function of positions.

        Returns
        -------
        GenePlan
            ``first``/``highest_mean`` keep one read column per gene; ``mean``/``sum``/
            ``max`` keep every column and combine them in :meth:`collapse`.

        Raises
        ------
        InputDataError
            For an unknown policy, or ``duplicates="error"`` with duplicated identifiers.
        """
        groups = group_duplicates(self.labels, duplicates)
        if not groups.any:
            return self
        notes = (groups.note,)
        if duplicates in SELECTING_POLICIES:
            chosen = groups.choose(means)
            return replace(self, read=self.read[chosen], labels=groups.genes,
                           collapse_notes=notes)
        return replace(self, combine=groups, collapse_notes=notes)

    # -- applying the plan to values -------------------------------------------------------
    def select(self, values):
        """The read columns of ``values`` (rows × stored columns); no copy when all are read."""
        return values if self.reads_all else values[:, self.read]

    def collapse(self, values):
        """Combine the columns of duplicated genes of selected ``values``, row by row."""
        return values if self.combine is None else self.combine.combine(values)

    def apply(self, values):
        """``values`` (rows × stored columns) as rows × :attr:`genes`."""
        return self.collapse(self.select(values))

    def fill_report(self, report: InputReport) -> None:
        """Write the identifier type, notes, dropped labels and mapping into ``report``."""
        report.id_type = self.id_type
        report.notes.extend(self.notes)
        report.dropped_genes.extend(self.dropped)
        if self.id_mapping:
            report.id_mapping = dict(self.id_mapping)
        report.id_types = dict(self.id_types)
        report.species = self.species


def plan_genes(
    labels: Iterable[object], *, map_ids: MapIds = "off",
    gene_universe: Iterable[str] | None = None,
) -> GenePlan:
    """Clean the labels of a matrix's gene columns and map them to symbols where asked.

    Parameters
    ----------
    labels
        One label per stored column, as given.
    map_ids
        The ``map_ids`` switch (:func:`rrscore.ids.check_map_ids`).
    gene_universe
        Genes of the gene sets to be scored (``map_ids="auto"`` maps Ensembl/Entrez IDs to
        symbols only when they are symbols).

    Returns
    -------
    GenePlan
        Before the duplicates policy: call :meth:`GenePlan.grouped` to finish it.

    Raises
    ------
    InputDataError
        When no label is a usable identifier.
    """
    labels = list(labels)
    cleaned = clean_gene_ids(labels)
    read = np.flatnonzero(cleaned.keep).astype(np.int64)
    ids = cleaned.ids[cleaned.keep]
    types = cleaned.types[cleaned.keep]
    dropped = tuple(str(g) for g, k in zip(labels, cleaned.keep, strict=True) if not k)
    if len(ids) == 0:
        raise InputDataError("no gene has a usable identifier")
    notes = list(cleaned.notes)
    species, more = check_species(ids, gene_universe)
    notes.extend(more)
    mapping: dict = {}
    if wants_symbol_mapping(map_ids, cleaned.id_type, gene_universe):
        # Before the duplicates policy: IDs mapping to one symbol are duplicates of it.
        ids, mapping, more = map_ids_to_symbols(ids, cleaned.id_type)
        notes.extend(more)
    else:
        # Ensembl/Entrez IDs among symbols (a mixed index): mapped like a whole index would be
        ids = np.array(ids, dtype=object)
        for kind in MAPPABLE_ID_TYPES:
            part = types == kind
            if part.any() and wants_symbol_mapping(map_ids, kind, gene_universe):
                ids[part], summary, more = map_ids_to_symbols(ids[part], kind)
                mapping = mapping or summary
                notes.extend(more)
    notes.extend(check_mixed_types(cleaned.id_types, cleaned.ids[cleaned.keep], types,
                                   mapping if mapping.get("from") != cleaned.id_type else None))
    notes.extend(check_renamed_copies(ids, types))
    return GenePlan(len(labels), read, np.asarray(ids, dtype=object), cleaned.id_type,
                    tuple(notes), dropped, mapping, dict(cleaned.id_types), species)


def check_enough_genes(genes: Sequence[object]) -> None:
    """Raise an :class:`InputDataError` for fewer than two genes (nothing to rank)."""
    if len(genes) < 2:
        raise InputDataError(f"need at least 2 genes, have {len(genes)}")

