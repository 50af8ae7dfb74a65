"""Matching gene sets to the genes of an expression matrix, with a coverage report.

Vectorised over memberships: every (set, part, gene) of the collection is one row of flat
arrays; each distinct set gene is looked up once (exact, then case-insensitive, then through
``synonyms``) with array indexing, and per-set results come from sorted-array splits and
``bincount``. Only sets and distinct unmatched genes (for ``synonyms``) are looped over in
Python, never memberships: MSigDB's ~35,000 sets and 1.3 million memberships align in about a
second.

A set is not scored when no gene of it is found (or only genes the method excludes), or when
the number found is outside ``min_size``–``max_size``; nothing else drops a set. A set that
holds every gene of the data (a targeted panel) is scored: whether a method is defined there
is that method's business. Dropped sets are named with their reason in the coverage report
and in a :class:`~rrscore.errors.DroppedSetsWarning`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rrscore.errors import DroppedSetsWarning, GeneMatchError, GeneSetError, LowCoverageWarning
from rrscore.errors import warn as _warn
from rrscore.genesets._model import GeneSetCollection
from rrscore.ids import ID_TYPE_WORDS, detect_id_type

#: Sets whose found fraction is below this get a warning by default.
LOW_COVERAGE = 0.5
#: Reason of a set whose genes are all excluded by the method (GSVA's constant genes).
ONLY_EXCLUDED = "only genes constant across samples"
NO_GENE_FOUND = "no gene found in the data"
BOTH_PARTS = "every gene found is in both its up and down parts (through aliases)"


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


def check_size_range(min_size: object, max_size: object) -> None:
    """Validate ``min_size``/``max_size``: numbers, not NaN, whole ``min_size >= 1``, min ≤ max.

    Parameters
    ----------
    min_size, max_size
        As in :func:`align_gene_sets`.

    Raises
    ------
    GeneMatchError
        Naming the offending value and what to give instead.
    """
    for label, value in (("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise GeneMatchError(
                f"{label} must be a number of genes, got {value!r} ({type(value).__name__})"
            )
        if math.isnan(value):
            raise GeneMatchError(
                f"{label} must be a number of genes, got NaN; use math.inf for no upper limit"
            )
    if math.isinf(min_size) or float(min_size) != int(min_size):
        raise GeneMatchError(f"min_size must be a whole number of genes, got {min_size!r}")
    if min_size < 1:
        raise GeneMatchError(f"min_size must be at least 1, got {min_size}")
    if max_size < min_size:
        raise GeneMatchError(f"max_size ({max_size}) is smaller than min_size ({min_size})")


class _Lookup:
    """Positions of labels in the data's gene index: exact, then case-insensitive."""

    def __init__(self, genes: pd.Index) -> None:
        labels = pd.Index(genes)
        keep = ~labels.duplicated(keep="last")  # a repeated label: the last one, as a dict
        self.exact = labels[keep]
        self.exact_pos = np.flatnonzero(keep)
        upper = pd.Series(_upper(labels.to_numpy(dtype=object)), dtype=object)
        # two data genes differing only in case: never guess between them
        unique = upper.notna() & ~upper.duplicated(keep=False)
        self.upper = pd.Index(upper[unique].to_numpy(dtype=object))
        self.upper_pos = np.flatnonzero(unique.to_numpy())

    def find(self, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(position or -1, matched only case-insensitively)`` for each name."""
        pos = _take(self.exact_pos, self.exact.get_indexer(names))
        loose = np.zeros(len(names), dtype=bool)
        miss = np.flatnonzero(pos < 0)
        if miss.size and len(self.upper):
            hit = _take(self.upper_pos, self.upper.get_indexer(_upper(names[miss])))
            pos[miss] = hit
            loose[miss] = hit >= 0
        return pos, loose


def _upper(labels: np.ndarray) -> np.ndarray:
    """Upper-case labels; None for labels that are not text (never matched loosely)."""
    return np.array([g.upper() if isinstance(g, str) else None for g in labels], dtype=object)


def _take(positions: np.ndarray, indexer: np.ndarray) -> np.ndarray:
    """``positions[indexer]`` with -1 where ``indexer`` is -1."""
    out = np.full(len(indexer), -1, dtype=np.int64)
    ok = indexer >= 0
    out[ok] = positions[indexer[ok]]
    return out


def _resolve(
    names: np.ndarray, lookup: _Lookup,
    synonyms: Callable[[str], Iterable[str]] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Data column of each distinct set gene (-1: not found) and whether it was renamed."""
    pos, renamed = lookup.find(names)
    if synonyms is None:
        return pos, renamed
    owners: list[int] = []
    alts: list[str] = []
    for k in np.flatnonzero(pos < 0):  # one call per distinct unmatched gene
        for alt in synonyms(names[k]):
            owners.append(k)
            alts.append(alt)
    if alts:
        alt_pos, _ = lookup.find(np.asarray(alts, dtype=object))
        hit = alt_pos >= 0
        owner = np.asarray(owners, dtype=np.int64)[hit]
        # the first name that matches, in the order the resolver gives them
        first_owner, first = np.unique(owner, return_index=True)
        pos[first_owner] = alt_pos[hit][first]
        renamed[first_owner] = True
    return pos, renamed


def _first_occurrences(keys: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each key, in order."""
    mask = np.zeros(len(keys), dtype=bool)
    mask[np.unique(keys, return_index=True)[1]] = True
    return mask


def _per_set(values: np.ndarray, set_id: np.ndarray, n_sets: int) -> list[np.ndarray]:
    """Split ``values`` (memberships in set order) into one array per set."""
    bounds = np.zeros(n_sets + 1, dtype=np.int64)
    np.cumsum(np.bincount(set_id, minlength=n_sets), out=bounds[1:])
    return [values[bounds[i]:bounds[i + 1]] for i in range(n_sets)]


def _joined(strings: np.ndarray, set_id: np.ndarray, n_sets: int) -> list[str]:
    """``";".join`` of each set's strings (memberships in set order)."""
    if not len(strings):
        return [""] * n_sets
    return [";".join(part.tolist()) for part in _per_set(strings, set_id, n_sets)]


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
    Size filtering counts matched genes, as GSVA does. A set holding every gene of the data
    is scored like any other.

    Parameters
    ----------
    collection
        The gene sets.
    genes
        Gene identifiers of the matrix columns (unique; for a repeated label the last column
        is used).
    min_size, max_size
        Keep sets with ``min_size <= matched genes <= max_size`` (``min_size`` a whole number
        of at least 1, ``max_size`` a number, ``math.inf`` for no limit).
    low_coverage
        Warn about kept sets with a smaller fraction of their genes found.
    synonyms
        Optional resolver of alternative names, called once per distinct unmatched gene.
    warn
        Emit the warnings: :class:`~rrscore.errors.DroppedSetsWarning` naming every set not
        scored with its reason, :class:`~rrscore.errors.LowCoverageWarning` for kept sets
        below ``low_coverage``.
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
        and ``reason`` (why a set is not scored; empty when it is).

    Raises
    ------
    GeneMatchError
        For invalid ``min_size``/``max_size``, when no gene of any set is in the data (the
        message compares the identifier types), or when no set can be scored (the message
        gives each set's reason).
    GeneSetError
        For an empty collection.
    """
    check_size_range(min_size, max_size)
    n_sets = len(collection)
    if n_sets == 0:
        raise GeneSetError("the gene-set collection is empty: there is nothing to score")
    genes = pd.Index(genes)
    n_genes = len(genes)
    names, set_id, is_down, codes, distinct = collection.memberships()
    pos_d, renamed_d = _resolve(distinct, _Lookup(genes), synonyms)
    pos, renamed = pos_d[codes], renamed_d[codes]

    found = pos >= 0
    left_out = found.copy()
    if excluded is not None:
        left_out[found] = np.asarray(excluded, dtype=bool)[pos[found]]
    else:
        left_out[:] = False
    usable = np.flatnonzero(found & ~left_out)
    # two names of one data gene in one part: count it once (first name wins)
    part_key = (set_id[usable] * 2 + is_down[usable]) * max(n_genes, 1) + pos[usable]
    counted = np.zeros(len(names), dtype=bool)
    counted[usable[_first_occurrences(part_key)]] = True
    # a gene in both parts (possible only through synonyms) cannot push both ways: drop it
    scored = counted
    if is_down.any():
        signed = np.bincount(set_id[is_down], minlength=n_sets)[set_id] > 0
        candidates = counted & signed
        set_key = set_id * max(n_genes, 1) + pos
        both = np.intersect1d(set_key[candidates & ~is_down], set_key[candidates & is_down])
        if both.size:
            scored = counted & ~(candidates & np.isin(set_key, both))

    up_mask, down_mask = scored & ~is_down, scored & is_down
    n_up = np.bincount(set_id[up_mask], minlength=n_sets)
    n_down = np.bincount(set_id[down_mask], minlength=n_sets)
    n_found = n_up + n_down
    n_excluded = np.bincount(set_id[left_out], minlength=n_sets)
    n_both = np.bincount(set_id[counted & ~scored], minlength=n_sets)
    n_up_listed = np.fromiter((len(gs.up) for gs in collection), np.int64, n_sets)
    n_listed = np.fromiter((len(gs) for gs in collection), np.int64, n_sets)
    kept = (n_found > 0) & (n_found >= min_size) & (n_found <= max_size)
    reasons = np.full(n_sets, "", dtype=object)
    for i in np.flatnonzero(~kept):
        reasons[i] = _reason(int(n_found[i]), int(n_excluded[i]), int(n_both[i]),
                             min_size, max_size)

    renamed_at = counted & renamed
    # "gene->data gene" written once per distinct renamed gene, then indexed
    text_d = np.full(len(distinct), "", dtype=object)
    for k in np.flatnonzero(renamed_d):
        text_d[k] = f"{distinct[k]}->{genes[pos_d[k]]}"
    renamed_text = text_d[codes[renamed_at]]
    coverage = pd.DataFrame(
        {
            "n_listed": n_listed,
            "n_found": n_found,
            "coverage": n_found / n_listed,
            "n_up": n_up,
            "n_down": n_down,
            "n_up_listed": n_up_listed,
            "n_down_listed": n_listed - n_up_listed,
            "missing": _joined(names[~found], set_id[~found], n_sets),
            "excluded": _joined(names[left_out], set_id[left_out], n_sets),
            "renamed": _joined(renamed_text, set_id[renamed_at], n_sets),
            "kept": kept,
            "reason": reasons,
        },
        index=pd.Index(collection.names, name="set", dtype=object),
    )
    if not n_found.any() and not n_excluded.any():
        raise GeneMatchError(_no_overlap_message(collection, genes))
    up_parts = _per_set(pos[up_mask], set_id[up_mask], n_sets)
    down_parts = _per_set(pos[down_mask], set_id[down_mask], n_sets)
    aligned = tuple(
        AlignedSet(gs.name, up_parts[i], down_parts[i])
        for i, gs in enumerate(collection) if kept[i]
    )
    if not aligned:
        raise GeneMatchError(
            "no gene set can be scored: " + _reasons_text(coverage, limit=5)
            + " (see rrscore.coverage(data, gene_sets) for every set)"
        )
    if warn:
        _warn_dropped(coverage)
        _warn_low_coverage(coverage, low_coverage)
    return AlignedSets(aligned, n_genes, coverage)


def _reason(n_found: int, n_excluded: int, n_both: int, min_size, max_size) -> str:
    """Why a set is not scored, or "" when it is."""
    if n_found == 0 and n_excluded:
        return ONLY_EXCLUDED
    if n_found == 0 and n_both:
        return BOTH_PARTS
    if n_found == 0:
        return NO_GENE_FOUND
    if n_found < min_size:
        return f"{n_found} genes found < min_size={min_size}"
    if n_found > max_size:
        return f"{n_found} genes found > max_size={max_size}"
    return ""


def _reasons_text(coverage: pd.DataFrame, *, limit: int) -> str:
    """The dropped sets grouped by kind of reason, at most ``limit`` names per kind."""
    dropped = coverage.loc[~coverage["kept"].to_numpy(dtype=bool), ["n_found", "reason"]]
    kinds = dropped["reason"].str.replace(r"^\d+ genes found ", "", regex=True)
    groups = []
    for kind, rows in dropped.groupby(kinds, sort=False):
        sized = not kind.startswith(("no gene", "only", "every"))
        shown = ", ".join(
            f"{name} ({n})" if sized else str(name)
            for name, n in rows["n_found"].head(limit).items()
        )
        more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
        label = f"genes found {kind}" if sized else kind
        groups.append(f"{label}: {shown}{more}")
    return "; ".join(groups)


def _warn_dropped(coverage: pd.DataFrame) -> None:
    n_dropped = int((~coverage["kept"].to_numpy(dtype=bool)).sum())
    if n_dropped:
        _warn(
            f"{n_dropped} of {len(coverage)} gene sets are not scored — "
            + _reasons_text(coverage, limit=10)
            + " (every set and its reason: the coverage report's 'reason' column)",
            DroppedSetsWarning,
        )


def _warn_low_coverage(coverage: pd.DataFrame, low_coverage: float) -> None:
    low = coverage[coverage["kept"] & (coverage["coverage"] < low_coverage)]
    if len(low):
        _warn(
            f"{len(low)} gene sets have less than {low_coverage:.0%} of their genes in the "
            "data: " + ", ".join(
                f"{n} ({r.n_found}/{r.n_listed})" for n, r in low.head(10).iterrows()
            ) + (" ..." if len(low) > 10 else "") + " (see the coverage report)",
            LowCoverageWarning,
        )


def _no_overlap_message(collection: GeneSetCollection, genes: pd.Index) -> str:
    set_genes = sorted(collection.genes)
    data_type = detect_id_type(genes)
    set_type = detect_id_type(set_genes)
    if data_type != set_type:
        hint = (
            f": the data's gene index looks like {ID_TYPE_WORDS[data_type]} "
            f"(e.g. {list(genes[:3])}), the gene sets use {ID_TYPE_WORDS[set_type]} "
            f"(e.g. {set_genes[:3]})"
        )
    else:
        hint = f" (data genes e.g. {list(genes[:3])}; set genes e.g. {set_genes[:3]})"
    return f"no gene of any gene set is in the data{hint}"
