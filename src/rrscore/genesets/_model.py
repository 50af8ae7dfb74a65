"""Gene-set model: a named set of genes, optionally signed (an "up" and a "down" part)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from rrscore.errors import DuplicateGenesWarning, GeneSetError, warn


def clean_label(text: object) -> str:
    """A set or gene name without surrounding whitespace or byte-order marks.

    A byte-order mark (U+FEFF) is not whitespace to Python, but it is invisible and comes
    from files saved by Excel or concatenated: a name read as ``<U+FEFF>X_UP`` is ``X_UP``.
    """
    label = str(text).strip()
    while label[:1] == "\ufeff" or label[-1:] == "\ufeff":
        label = label.strip("\ufeff").strip()
    return label


#: While a whole collection is read, duplicated genes are collected here and reported in one
#: warning (a context variable, so that concurrent threads each collect their own).
_DUPLICATES: ContextVar[list[str] | None] = ContextVar("_DUPLICATES", default=None)


class one_duplicates_warning:  # noqa: N801 - used like a function: `with one_...():`
    """Within the block, report the sets' duplicated genes in one warning at the end.

    Reading a 35,000-set file with duplicates in many sets would otherwise issue one warning
    per set. A class rather than ``contextlib.contextmanager``, whose frames would stand
    between rrscore and the user's line that the warning points at.
    """

    def __enter__(self) -> None:
        self._collected: list[str] = []
        self._token = _DUPLICATES.set(self._collected)

    def __exit__(self, exc_type, exc, tb) -> None:
        _DUPLICATES.reset(self._token)
        collected = self._collected
        if exc_type is not None or not collected:
            return
        if len(collected) == 1:
            warn(collected[0], DuplicateGenesWarning)
            return
        warn(
            f"{len(collected)} gene-set parts listed duplicated genes, removed (first "
            "occurrence kept): " + "; ".join(collected[:10])
            + (f"; and {len(collected) - 10} more" if len(collected) > 10 else ""),
            DuplicateGenesWarning,
        )


def _cleaned(genes: Iterable[object]) -> list[str]:
    """:func:`clean_label` of every gene, on C-level passes when the genes are plain text.

    ``str.strip`` mapped over the list, and one scan of the joined text for a byte-order
    mark (rare): only then, or for genes that are not ``str``, is each gene cleaned one by
    one. Equal to ``[clean_label(g) for g in genes]``.
    """
    genes = genes if isinstance(genes, (list, tuple)) else list(genes)
    try:
        stripped = list(map(str.strip, genes))
    except TypeError:  # a gene that is not text: str() it, as clean_label does
        return [clean_label(g) for g in genes]
    if "\ufeff" in "".join(stripped):
        return [clean_label(g) for g in stripped]
    return stripped


def _unique_in_order(genes: Iterable[str], *, set_name: str, part: str) -> tuple[str, ...]:
    """Drop empty names and duplicates (first occurrence wins), warning about duplicates."""
    cleaned = _cleaned(genes)
    seen = dict.fromkeys(cleaned)  # insertion-ordered: the first occurrence of each gene
    seen.pop("", None)
    n_named = len(cleaned) - cleaned.count("")
    if len(seen) < n_named:  # some gene is listed twice: name them (rare, so a plain loop)
        found: set[str] = set()
        duplicated: set[str] = set()
        for gene in cleaned:
            if gene in found:
                duplicated.add(gene)
            found.add(gene)
        duplicated.discard("")
        # GSVA <= 2.0 counted duplicates twice, GSVA >= 2.2 drops them; we drop them and say so.
        message = (f"gene set {set_name!r} ({part}): removed duplicated genes "
                   f"{sorted(duplicated)}")
        sink = _DUPLICATES.get()
        if sink is None:
            warn(message, DuplicateGenesWarning)
        else:
            sink.append(message)
    return tuple(seen)


@dataclass(frozen=True, init=False)
class GeneSet:
    """A gene set.

    Parameters
    ----------
    name
        Unique name of the set.
    up
        Genes whose high expression raises the score (for an unsigned set: all its genes).
    down
        Genes whose high expression lowers the score. Empty for an unsigned set.
    description
        Free text: what the set is and where it comes from (paper, database, licence).
    source
        Short source tag (file name, collection name).
    """

    name: str
    up: tuple[str, ...]
    down: tuple[str, ...] = ()
    description: str = ""
    source: str = ""

    # Written out rather than generated: a generated __init__'s frame has no file, so the
    # duplicated-genes warning would point at "<string>" instead of the user's line.
    def __init__(self, name: str, up: Iterable[str], down: Iterable[str] = (),
                 description: str = "", source: str = "") -> None:
        name = clean_label(name)
        if not name:
            raise GeneSetError("a gene set needs a non-empty name")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "source", source)
        up = _unique_in_order(up, set_name=name, part="up")
        down = _unique_in_order(down, set_name=name, part="down")
        both = sorted(set(up).intersection(down)) if down else []
        if both:
            raise GeneSetError(
                f"gene set {name!r} lists genes in both its up and down parts: {both}"
            )
        if not up and not down:
            raise GeneSetError(f"gene set {name!r} has no genes")
        object.__setattr__(self, "up", up)
        object.__setattr__(self, "down", down)

    @property
    def signed(self) -> bool:
        """True when the set has a down part."""
        return bool(self.down)

    @property
    def genes(self) -> tuple[str, ...]:
        """All genes, up part first."""
        return self.up + self.down

    def __len__(self) -> int:
        return len(self.up) + len(self.down)


class Memberships(NamedTuple):
    """Every (set, part, gene) of a collection as flat arrays: set by set, up genes first.

    Attributes
    ----------
    names
        ``(n_memberships,)`` object array: the gene of each membership.
    set_id
        ``(n_memberships,)`` int64: index of its set in the collection.
    is_down
        ``(n_memberships,)`` bool: whether it is in the set's down part.
    codes
        ``(n_memberships,)`` int64: index of its gene in ``distinct``.
    distinct
        Object array of the distinct genes, in order of first appearance.
    """

    names: np.ndarray
    set_id: np.ndarray
    is_down: np.ndarray
    codes: np.ndarray
    distinct: np.ndarray


@dataclass(frozen=True)
class GeneSetCollection:
    """An ordered collection of uniquely named gene sets.

    Parameters
    ----------
    sets
        The gene sets, in order.
    name
        Name of the collection (e.g. the bundled collection it came from).
    version
        Version string of the collection, if known.
    """

    sets: tuple[GeneSet, ...]
    name: str = ""
    version: str = ""
    _by_name: dict[str, GeneSet] = field(init=False, repr=False, compare=False)
    _genes: frozenset[str] | None = field(init=False, repr=False, compare=False, default=None)
    _flat: Memberships | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        sets = tuple(self.sets)
        counts: dict[str, int] = {}
        for gs in sets:
            if not isinstance(gs, GeneSet):
                raise GeneSetError(f"expected GeneSet objects, got {type(gs).__name__}")
            counts[gs.name] = counts.get(gs.name, 0) + 1
        dup = sorted(n for n, c in counts.items() if c > 1)
        if dup:
            raise GeneSetError(f"duplicated gene-set names: {dup}")
        object.__setattr__(self, "sets", sets)
        object.__setattr__(self, "_by_name", {gs.name: gs for gs in sets})

    def __len__(self) -> int:
        return len(self.sets)

    def __iter__(self) -> Iterator[GeneSet]:
        return iter(self.sets)

    def __getitem__(self, name: str) -> GeneSet:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no gene set named {name!r} in collection {self.name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        """Set names, in order."""
        return [gs.name for gs in self.sets]

    @property
    def genes(self) -> set[str]:
        """Union of all genes of all sets (a new set each time; computed once)."""
        if self._genes is None:  # frozen dataclass: cache through object.__setattr__
            # the distinct genes of the flat memberships, which matching needs anyway
            object.__setattr__(self, "_genes",
                               frozenset(self.memberships().distinct.tolist()))
        return set(self._genes)

    def memberships(self) -> Memberships:
        """The collection as flat arrays (computed once; matching to data uses them).

        Returns
        -------
        Memberships
        """
        if self._flat is None:  # frozen dataclass: cache through object.__setattr__
            names: list[str] = []
            sizes = np.empty(2 * len(self.sets), dtype=np.int64)
            for i, gs in enumerate(self.sets):
                names.extend(gs.up)
                names.extend(gs.down)
                sizes[2 * i], sizes[2 * i + 1] = len(gs.up), len(gs.down)
            flat = np.asarray(names, dtype=object)
            set_id = np.repeat(np.arange(len(self.sets), dtype=np.int64),
                               sizes[0::2] + sizes[1::2])
            is_down = np.repeat(np.tile(np.array([False, True]), len(self.sets)), sizes)
            codes, distinct = pd.factorize(flat)
            object.__setattr__(self, "_flat", Memberships(
                flat, set_id, is_down, codes.astype(np.int64),
                np.asarray(distinct, dtype=object)))
        return self._flat

    def subset(self, names: Iterable[str]) -> GeneSetCollection:
        """A collection with the named sets, in the order given."""
        return GeneSetCollection(
            tuple(self[n] for n in names), name=self.name, version=self.version
        )

    def to_dict(self) -> dict[str, list[str]]:
        """``name -> genes``; signed sets write down genes with a trailing ``-``."""
        return {
            gs.name: list(gs.up) + [f"{g}-" for g in gs.down] for gs in self.sets
        }

    def to_long(self) -> pd.DataFrame:
        """Long table with columns ``source``, ``target``, ``weight`` (+1 up, -1 down)."""
        rows = [
            (gs.name, g, w)
            for gs in self.sets
            for part, w in ((gs.up, 1.0), (gs.down, -1.0))
            for g in part
        ]
        return pd.DataFrame(rows, columns=["source", "target", "weight"])

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, Iterable[str]], *, name: str = "", version: str = ""
    ) -> GeneSetCollection:
        """Build from ``name -> genes``; genes may carry a ``+``/``-`` suffix for direction."""
        sets = []
        with one_duplicates_warning():
            for set_name, genes in mapping.items():
                if isinstance(genes, str):
                    raise GeneSetError(f"gene set {set_name!r}: expected a list of genes, got "
                                       f"the string {genes!r}")
                up, down = split_signed_genes(genes)
                sets.append(GeneSet(set_name, up, down, source=name))
        return cls(tuple(sets), name=name, version=version)


def split_signed_genes(genes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split genes written as ``GENE+`` / ``GENE-`` into up and down lists.

    A gene without a suffix is an up gene. ``"-"`` alone is not a gene and is ignored.

    Parameters
    ----------
    genes
        Gene names, each optionally ending in ``+`` (up) or ``-`` (down); surrounding
        whitespace is removed.

    Returns
    -------
    up, down
        The names without their suffix, in the order given (empty names left out).
    """
    genes = genes if isinstance(genes, (list, tuple)) else list(genes)
    try:
        stripped = list(map(str.strip, genes))
    except TypeError:
        stripped = [str(g).strip() for g in genes]
    # one scan of the joined names: no name ends in "+" or "-" (the usual, unsigned list)
    joined = "\n".join(stripped) + "\n"
    if "-\n" not in joined and "+\n" not in joined:
        return list(filter(None, stripped)), []
    up: list[str] = []
    down: list[str] = []
    for gene in stripped:
        if len(gene) > 1 and gene.endswith("-"):
            down.append(gene[:-1].strip())
        elif len(gene) > 1 and gene.endswith("+"):
            up.append(gene[:-1].strip())
        elif gene not in ("", "+", "-"):
            up.append(gene)
    return up, down
