"""The composite's definition: which gene set reads out each mechanism, and where a gene counts.

Two bundled tables, written by the curators (``genesets/MECHANISMS.md`` gives the evidence),
define the default composite (composite v2):

``genesets/composite.tsv``, one row per mechanism of the composite, in order:

* ``mechanism`` — the mechanism's name (the column of the result, e.g. ``RR_HYPOXIA``);
* ``readout_collection`` — the bundled collection the read-out set comes from
  (``mechanisms``: the review's effector sets; ``published``: cited published signatures);
* ``readout_set`` — the set of that collection that reads the mechanism's activity (e.g.
  ``HYPOXIA_BUFFA2010`` for hypoxia: a state is read by its response genes, not by HIF1A mRNA);
  for the paired ``mechanisms`` collection ``X`` and ``X_UP`` both name the set;
* ``direction`` — ``+1`` when a high read-out score means more resistance, ``-1`` when it
  means less (the mechanism score is then the read-out score times -1);
* ``small_parts`` — how a signed read-out set treats an up or down part of at most
  :data:`SMALL_PART` genes (see :mod:`rrscore.radiation._parts`): ``weight`` (parts weighted by
  their number of genes), ``fold`` (the part's genes pooled with the other part, each gene
  weighing the same — for scores that are means over genes this is the same number as
  ``weight``) or ``drop`` (the part is left out, with a warning naming it);
* ``reason``, ``references`` — why this read-out, and the evidence.

``genesets/gene_assignment.tsv`` (``gene``, ``mechanism``, ``reason``): the one mechanism in which
a gene of several read-out sets counts; it is removed from the others, so that no gene counts
twice in the composite.

When ``composite.tsv`` is absent (an older bundle) the composite falls back to the review's
effector sets (:data:`REVIEW_MECHANISMS` of the ``mechanisms`` collection).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from rrscore._resources import bundled_dir
from rrscore.errors import GeneSetError
from rrscore.genesets._bundled import is_bundled, load
from rrscore.genesets._model import GeneSet

#: How a signed read-out set treats a small part (composite.tsv ``small_parts``).
PART_RULES = ("weight", "fold", "drop")

#: A part (up or down) with at most this many genes found is "small".
SMALL_PART = 2

COMPOSITE_FILE = "composite.tsv"
ASSIGNMENT_FILE = "gene_assignment.tsv"
_COLUMNS = ("mechanism", "readout_collection", "readout_set", "direction", "small_parts")


@dataclass(frozen=True)
class Readout:
    """One mechanism of the composite and the set that reads it out.

    Attributes
    ----------
    mechanism
        The mechanism's name (the result column).
    collection, set_name
        The bundled collection and its set that read the mechanism out.
    direction
        +1 or -1: the sign applied to the read-out score.
    small_parts
        One of :data:`PART_RULES`.
    reason, references
        The curators' reason for the read-out and its evidence (free text).
    """

    mechanism: str
    collection: str
    set_name: str
    direction: int = 1
    small_parts: str = "weight"
    reason: str = ""
    references: str = ""


@dataclass(frozen=True)
class CompositeDefinition:
    """The composite's mechanisms, their read-out sets and where shared genes count.

    Build one with :meth:`from_files` (the bundled tables are :func:`bundled_definition`).

    Attributes
    ----------
    readouts
        One :class:`Readout` per mechanism, in the composite's order.
    assignment
        Gene → the one mechanism it counts in (genes of several read-outs).
    source
        Where the definition was read from (the file path).
    """

    readouts: tuple[Readout, ...]
    assignment: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def mechanisms(self) -> list[str]:
        """The mechanism names, in order."""
        return [r.mechanism for r in self.readouts]

    def readout(self, mechanism: str) -> Readout:
        """The :class:`Readout` of ``mechanism`` (KeyError when absent)."""
        for r in self.readouts:
            if r.mechanism == mechanism:
                return r
        raise KeyError(mechanism)

    @classmethod
    def from_files(cls, composite: str | os.PathLike,
                   gene_assignment: str | os.PathLike | None = None) -> CompositeDefinition:
        """Read a definition from a ``composite.tsv`` and an optional ``gene_assignment.tsv``.

        Parameters
        ----------
        composite
            Tab-separated table with the columns of the module docstring.
        gene_assignment
            Tab-separated ``gene``, ``mechanism`` (``reason``) table, or None.

        Returns
        -------
        CompositeDefinition

        Raises
        ------
        GeneSetError
            For a missing column, a mechanism listed twice, a direction other than +1/-1, an
            unknown ``small_parts`` rule or collection, or an assignment to a mechanism that
            is not in the composite.
        """
        path = Path(composite)
        table = _read_table(path, _COLUMNS)
        readouts = []
        for row in table.itertuples(index=False):
            readouts.append(_readout(row._asdict(), path))
        names = [r.mechanism for r in readouts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise GeneSetError(f"{path.name}: mechanisms listed twice: {twice}")
        if not readouts:
            raise GeneSetError(f"{path.name}: no mechanism")
        assignment: dict[str, str] = {}
        if gene_assignment is not None:
            apath = Path(gene_assignment)
            atable = _read_table(apath, ("gene", "mechanism"))
            for gene, mech in zip(atable["gene"], atable["mechanism"], strict=True):
                if mech not in names:
                    raise GeneSetError(
                        f"{apath.name}: gene {gene} is assigned to {mech!r}, which is not a "
                        f"mechanism of {path.name} ({names})"
                    )
                if assignment.get(gene, mech) != mech:
                    raise GeneSetError(f"{apath.name}: gene {gene} is assigned twice")
                assignment[gene] = mech
        return cls(tuple(readouts), MappingProxyType(assignment), str(path))

    def sets(self, mechanisms: Sequence[str] | None = None) -> tuple[list[GeneSet], dict]:
        """The read-out sets of ``mechanisms`` (default: all), renamed to the mechanisms.

        Each shared gene is kept only in the mechanism :attr:`assignment` names (among the
        mechanisms selected; a gene assigned to a mechanism that is not selected is kept
        where it is).

        Parameters
        ----------
        mechanisms
            Names of this definition's mechanisms, in the order wanted.

        Returns
        -------
        sets
            One :class:`~rrscore.genesets.GeneSet` per mechanism.
        info
            Mechanism → ``{"collection", "collection_version", "set", "direction",
            "small_parts", "reassigned"}`` (``reassigned``: genes removed because they
            count in another mechanism).

        Raises
        ------
        GeneSetError
            When a read-out set is not in its collection, or loses every gene to others.
        """
        wanted = self.mechanisms if mechanisms is None else list(mechanisms)
        chosen = set(wanted)
        sets, info = [], {}
        for mech in wanted:
            r = self.readout(mech)
            gs = _find_set(r.collection, r.set_name)
            removed = [g for g in gs.genes
                       if self.assignment.get(g, mech) != mech and self.assignment[g] in chosen]
            up = tuple(g for g in gs.up if g not in removed)
            down = tuple(g for g in gs.down if g not in removed)
            if not up and not down:
                raise GeneSetError(
                    f"read-out set {r.set_name} of {mech} loses every gene to other "
                    f"mechanisms through the gene assignment ({self.source})"
                )
            sets.append(dataclasses.replace(gs, name=mech, up=up, down=down))
            info[mech] = {
                "collection": r.collection,
                "collection_version": str(load(r.collection).version),
                "set": gs.name,
                "direction": r.direction,
                "small_parts": r.small_parts,
                "reassigned": removed,
            }
        return sets, info


def _read_table(path: Path, required: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise GeneSetError(f"composite definition file not found: {path}")
    table = pd.read_csv(path, sep="\t", dtype=str, comment=None).fillna("")
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise GeneSetError(f"{path.name} lacks the columns {missing}; it has "
                           f"{list(table.columns)}")
    for column in table.columns:
        table[column] = table[column].str.strip()
    return table


def _readout(row: Mapping[str, str], path: Path) -> Readout:
    mech = row["mechanism"]
    if not mech:
        raise GeneSetError(f"{path.name}: a row has no mechanism name")
    try:
        direction = int(float(row["direction"]))
    except ValueError:
        direction = 0
    if direction not in (1, -1):
        raise GeneSetError(
            f"{path.name}: direction of {mech} must be +1 or -1, got {row['direction']!r}"
        )
    rule = row["small_parts"].lower()
    if rule not in PART_RULES:
        raise GeneSetError(
            f"{path.name}: small_parts of {mech} must be one of {PART_RULES}, got "
            f"{row['small_parts']!r}"
        )
    collection = row["readout_collection"]
    if not is_bundled(collection):
        raise GeneSetError(
            f"{path.name}: read-out collection {collection!r} of {mech} is not a bundled "
            "collection (rrscore genesets list)"
        )
    return Readout(mech, collection, row["readout_set"], direction, rule,
                   row.get("reason", ""), row.get("references", ""))


def _find_set(collection: str, name: str) -> GeneSet:
    """Set ``name`` of a bundled collection; ``X`` also finds an unpaired ``X_UP`` line."""
    coll = load(collection)
    by_name = {gs.name: gs for gs in coll}
    for candidate in (name, f"{name}_UP"):
        if candidate in by_name:
            return by_name[candidate]
    raise GeneSetError(
        f"read-out set {name!r} is not in the bundled collection {collection!r} "
        f"(sets: {list(by_name)[:8]} ...)"
    )


@lru_cache(maxsize=1)
def bundled_definition() -> CompositeDefinition | None:
    """The bundled definition (``genesets/composite.tsv`` + ``gene_assignment.tsv``).

    Returns
    -------
    CompositeDefinition or None
        None when the bundle has no ``composite.tsv`` (the composite then uses the review's
        effector sets).
    """
    folder = bundled_dir()
    composite = folder / COMPOSITE_FILE
    if not composite.is_file():
        return None
    assignment = folder / ASSIGNMENT_FILE
    return CompositeDefinition.from_files(
        composite, assignment if assignment.is_file() else None
    )
