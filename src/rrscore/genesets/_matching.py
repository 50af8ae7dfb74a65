"""Matching gene sets to the genes of an expression matrix, with a coverage report."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rrscore.errors import GeneMatchError, LowCoverageWarning
from rrscore.errors import warn as _warn
from rrscore.genesets._model import GeneSetCollection
from rrscore.ids import ID_TYPE_WORDS, detect_id_type

#: Sets whose found fraction is below this get a warning by default.
LOW_COVERAGE = 0.5


@dataclass(frozen=True)
class AlignedSet:
    """A gene set as column indices into an expression matrix."""

    name: str
    up: np.ndarray  # int64 column indices, in the set's order
    down: np.ndarray

    @property
    def size(self) -> int:
        """Number of matched genes (up + down)."""
        return len(self.up) + len(self.down)

    @property
    def signed(self) -> bool:
        """Whether the set has matched down genes."""
        return len(self.down) > 0


@dataclass(frozen=True)
class AlignedSets:
    """Gene sets aligned to one gene index, ready for a method kernel."""

    sets: tuple[AlignedSet, ...]
    n_genes: int
    coverage: pd.DataFrame

    @property
    def names(self) -> list[str]:
        """Names of the aligned (kept) sets, in order."""
        return [s.name for s in self.sets]

    def __len__(self) -> int:
        return len(self.sets)

    def __iter__(self):
        return iter(self.sets)


def _lookup_tables(genes: pd.Index) -> tuple[dict[str, int], dict[str, int]]:
    exact = {g: i for i, g in enumerate(genes)}
    upper: dict[str, int] = {}
    clash: set[str] = set()
    for i, g in enumerate(genes):
        key = g.upper()
        if key in upper:
            clash.add(key)
        upper[key] = i
    for key in clash:  # two data genes differing only in case: never guess between them
        del upper[key]
    return exact, upper


def align_gene_sets(
    collection: GeneSetCollection,
    genes: pd.Index,
    *,
    min_size: int = 1,
    max_size: int | float = math.inf,
    low_coverage: float = LOW_COVERAGE,
    synonyms: Callable[[str], Iterable[str]] | None = None,
    warn: bool = True,
    excluded: np.ndarray | None = None,
) -> AlignedSets:
    """Map every set's genes to column indices of ``genes`` and filter by size.

    Matching is exact first, then case-insensitive (only where unambiguous), then through
    ``synonyms`` (a function giving other names of a set gene, e.g. its previous symbols).
    Size filtering counts matched genes, as GSVA does.

    Parameters
    ----------
    collection
        The gene sets.
    genes
        Gene identifiers of the matrix columns (unique).
    min_size, max_size
        Keep sets with ``min_size <= matched genes <= max_size``.
    low_coverage
        Warn about kept sets with a smaller fraction of their genes found.
    synonyms
        Optional resolver of alternative names.
    warn
        Emit the low-coverage warning (:class:`~rrscore.errors.LowCoverageWarning`).
    excluded
        Boolean mask over ``genes``: columns present in the data but not usable by the
        method (GSVA, z-score, PLAGE and mean drop genes that are constant across samples
        before matching, as GSVA does). They count as not found and are listed in
        ``excluded``, so ``min_size``/``max_size`` see the sizes the method scores.

    Returns
    -------
    AlignedSets
        The kept sets and ``coverage``, one row per input set: ``n_listed``, ``n_found``,
        ``coverage``, ``n_up``, ``n_down`` (found per part), ``n_up_listed``,
        ``n_down_listed`` (listed per part), ``missing``, ``excluded`` (found but excluded),
        ``renamed`` (set gene → data gene for case-insensitive or synonym matches), ``kept``
        and ``reason``.
    """
    if min_size < 1:
        raise GeneMatchError(f"min_size must be at least 1, got {min_size}")
    if max_size < min_size:
        raise GeneMatchError(f"max_size ({max_size}) is smaller than min_size ({min_size})")
    exact, upper = _lookup_tables(genes)

    def find(gene: str) -> tuple[int | None, str | None]:
        if gene in exact:
            return exact[gene], None
        j = upper.get(gene.upper())
        if j is not None:
            return j, genes[j]
        if synonyms is not None:
            for alt in synonyms(gene):
                j = exact.get(alt, upper.get(alt.upper()))
                if j is not None:
                    return j, genes[j]
        return None, None

    rows = []
    kept: list[AlignedSet] = []
    n_usable = len(genes) - (int(np.sum(excluded)) if excluded is not None else 0)
    for gs in collection:
        parts: dict[str, list[int]] = {"up": [], "down": []}
        missing: list[str] = []
        left_out: list[str] = []
        renamed: list[str] = []
        for part_name, part in (("up", gs.up), ("down", gs.down)):
            seen: set[int] = set()
            for gene in part:
                j, alias = find(gene)
                if j is None:
                    missing.append(gene)
                    continue
                if excluded is not None and excluded[j]:
                    left_out.append(gene)
                    continue
                if j in seen:
                    continue  # two names of one data gene: count it once
                seen.add(j)
                parts[part_name].append(j)
                if alias is not None:
                    renamed.append(f"{gene}->{alias}")
        both = set(parts["up"]) & set(parts["down"])
        if both:  # possible only through synonyms; a gene cannot push both ways
            parts["up"] = [j for j in parts["up"] if j not in both]
            parts["down"] = [j for j in parts["down"] if j not in both]
        n_found = len(parts["up"]) + len(parts["down"])
        if n_found == 0 and left_out:
            reason = "only genes constant across samples"
        elif n_found == 0:
            reason = "no gene found in the data"
        elif n_found < min_size:
            reason = f"{n_found} genes found < min_size={min_size}"
        elif n_found > max_size:
            reason = f"{n_found} genes found > max_size={max_size}"
        elif n_found == n_usable:
            reason = "the set contains every gene of the data"
        else:
            reason = ""
        if not reason:
            kept.append(
                AlignedSet(gs.name, np.asarray(parts["up"], dtype=np.int64),
                           np.asarray(parts["down"], dtype=np.int64))
            )
        rows.append(
            {
                "set": gs.name,
                "n_listed": len(gs),
                "n_found": n_found,
                "coverage": n_found / len(gs),
                "n_up": len(parts["up"]),
                "n_down": len(parts["down"]),
                "n_up_listed": len(gs.up),
                "n_down_listed": len(gs.down),
                "missing": ";".join(missing),
                "excluded": ";".join(left_out),
                "renamed": ";".join(renamed),
                "kept": not reason,
                "reason": reason,
            }
        )
    coverage = pd.DataFrame(rows).set_index("set")
    if not coverage["n_found"].any() and not (coverage["excluded"] != "").any():
        data_type = detect_id_type(genes)
        set_type = detect_id_type(sorted(collection.genes))
        hint = ""
        if data_type != set_type:
            hint = (
                f": the data's gene index looks like {ID_TYPE_WORDS[data_type]} "
                f"(e.g. {list(genes[:3])}), the gene sets use {ID_TYPE_WORDS[set_type]} "
                f"(e.g. {sorted(collection.genes)[:3]})"
            )
        else:
            hint = (
                f" (data genes e.g. {list(genes[:3])}; "
                f"set genes e.g. {sorted(collection.genes)[:3]})"
            )
        raise GeneMatchError(f"no gene of any gene set is in the data{hint}")
    if not kept:
        raise GeneMatchError(
            f"no gene set passes the size filter (min_size={min_size}, max_size={max_size}); "
            f"matched sizes range {coverage['n_found'].min()}–{coverage['n_found'].max()}"
        )
    if warn:
        low = coverage[coverage["kept"] & (coverage["coverage"] < low_coverage)]
        if len(low):
            _warn(
                f"{len(low)} gene sets have less than {low_coverage:.0%} of their genes in the "
                "data: " + ", ".join(
                    f"{n} ({r.n_found}/{r.n_listed})" for n, r in low.head(10).iterrows()
                ) + (" ..." if len(low) > 10 else "") + " (see the coverage report)",
                LowCoverageWarning,
            )
    return AlignedSets(tuple(kept), len(genes), coverage)
