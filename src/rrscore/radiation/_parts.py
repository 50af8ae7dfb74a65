"""Signed mechanisms scored part by part, so that no part of one or two genes rules a mechanism.

A registered method scores a signed set (resistance-promoting ``up`` genes, sensitising
``down`` genes) by its own rule; singscore (Foroutan et al. 2018, ``simpleScore``) adds the
centred up score and the centred down score on reversed ranks, so each part weighs the same
whatever its size: a one-gene down part weighs as much as a 30-gene up part, and the mechanism
follows that one gene's rank (issue 11: RR_CANCER_STEM_CELL ≈ −rank(KEAP1)). The composite
therefore scores each part as an unsigned set with the method and combines the parts by size.
For a mechanism with ``k_up`` up genes and ``k_dn`` down genes found in the reference data:

    score = direction × (k_up · S(up) − k_dn · S(down)) / (k_up + k_dn)

``S(·)`` is the method's score of the part as an unsigned set and ``direction`` is +1 or -1
(``composite.tsv``). ``−S(down)`` is the down part's contribution: for centred singscore it is
exactly singscore's down score on reversed ranks (``0.5 − norm_down``), for the methods that score
"up minus down" (ssGSEA, GSVA, z-score, mean, AUCell, score_genes) exactly their down term. The
weights ``k / (k_up + k_dn)`` make every gene of the mechanism weigh the same, as in the combined
z-score of a gene set (Lee et al., PLoS Comput Biol 2008;4:e1000217, each gene's z counted once)
and as in a single-part singscore of all genes with the down genes on reversed ranks (the same
number up to each part's normalisation bounds, ``n − k`` for ``n`` ranked genes). An unsigned
mechanism is ``direction × S(up)``. The counts ``k`` are those found in the reference and are
kept with the fitted reference, so a new sample is combined with the same weights.

Small parts (at most :data:`~rrscore.radiation._readouts.SMALL_PART` genes found): the rule of
``composite.tsv`` (``small_parts``) is ``weight`` or ``fold`` (the formula above: the part's
genes count as genes of the mechanism, one gene's weight each) or ``drop`` (the part is left out
with a :class:`~rrscore.errors.DroppedSetsWarning` naming it; the mechanism is then the other part
alone). Sets that are not in ``composite.tsv`` use ``weight``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import DroppedSetsWarning, warn
from rrscore.genesets._model import GeneSet
from rrscore.radiation._readouts import SMALL_PART

#: Suffixes of the part sets scored for a mechanism (no mechanism name ends so).
UP_TAG = "::up-part"
DOWN_TAG = "::down-part"


def part_sets(name: str, up: Sequence[str], down: Sequence[str]) -> list[GeneSet]:
    """The unsigned sets scored for a mechanism: its up part and its down part (if any).

    Parameters
    ----------
    name
        The mechanism (or confounder) name.
    up, down
        Its up and down genes.

    Returns
    -------
    list of GeneSet
        ``name + UP_TAG`` (the up genes) and ``name + DOWN_TAG`` (the down genes, as an up
        set), each only when the part has genes.
    """
    out = []
    if len(up):
        out.append(GeneSet(name + UP_TAG, tuple(up)))
    if len(down):
        out.append(GeneSet(name + DOWN_TAG, tuple(down)))
    return out


def part_coverage(coverage: pd.DataFrame, name: str, up: Sequence[str],
                  down: Sequence[str]) -> dict:
    """Genes listed, found and missing for one mechanism, from its parts' coverage rows.

    Parameters
    ----------
    coverage
        The coverage report of the scoring run (rows named by part set).
    name, up, down
        The mechanism and the genes that were scored for it.

    Returns
    -------
    dict
        ``n_listed``, ``n_found``, ``n_up``, ``n_down``, ``missing`` (list of genes).
    """
    out = {"n_listed": len(up) + len(down), "n_found": 0, "n_up": 0, "n_down": 0,
           "missing": []}
    for tag, key, genes in ((UP_TAG, "n_up", up), (DOWN_TAG, "n_down", down)):
        if not genes:
            continue
        row = coverage.loc[name + tag] if name + tag in coverage.index else None
        found = int(row["n_found"]) if row is not None else 0
        out[key] = found
        out["n_found"] += found
        missing = (str(row["missing"]).split(";") if row is not None and row["missing"]
                   else ([] if row is not None else list(genes)))
        out["missing"].extend(g for g in missing if g)
    return out


def drop_small_parts(name: str, rule: str, up: list[str], down: list[str],
                     listed: tuple[int, int] | None = None
                     ) -> tuple[list[str], list[str], list[str]]:
    """Apply the ``drop`` rule: leave out a part with at most SMALL_PART genes found.

    A part that the definition itself lists with at most SMALL_PART genes (RR_CANCER_STEM_CELL's
    one-gene KEAP1 part) is left out by design: that is recorded with the result
    (``readouts[m]["dropped_parts"]``) and documented in ``composite.tsv``, without a warning
    on every call. A part that became small because its genes are missing from these data is
    left out with a :class:`~rrscore.errors.DroppedSetsWarning` naming it.

    Parameters
    ----------
    name
        The mechanism.
    rule
        Its ``small_parts`` rule; only ``"drop"`` changes anything.
    up, down
        The genes found in the reference, per part.
    listed
        ``(n_up, n_down)`` listed by the definition (None: as found).

    Returns
    -------
    (up, down, dropped)
        The parts kept and the names of the parts dropped (``"up"``/``"down"``).
    """
    if rule != "drop" or not (up and down):
        return up, down, []
    if len(down) <= SMALL_PART and len(up) > len(down):
        part = "down"
    elif len(up) <= SMALL_PART and len(down) > len(up):
        part = "up"
    else:
        return up, down, []
    genes = down if part == "down" else up
    n_listed = (listed or (len(up), len(down)))[0 if part == "up" else 1]
    if n_listed > SMALL_PART:
        warn(
            f"{name}: only {len(genes)} of the {n_listed} genes of its {part} part are in the "
            f"data ({', '.join(genes)}), at most {SMALL_PART}: the part is left out "
            f"(composite.tsv small_parts=drop) and the mechanism is scored from its "
            f"{'up' if part == 'down' else 'down'} part",
            DroppedSetsWarning,
        )
    return (up, [], [part]) if part == "down" else ([], down, [part])


def part_weights(k_up: int, k_dn: int) -> dict[str, float]:
    """The weights of the up and down part scores: ``k / (k_up + k_dn)`` (sum to 1)."""
    total = k_up + k_dn
    return {"up": k_up / total, "down": k_dn / total}


def combine(raw: pd.DataFrame, name: str, k_up: int, k_dn: int,
            direction: int = 1) -> np.ndarray:
    """The mechanism score from its part scores (the module's formula).

    Parameters
    ----------
    raw
        Samples × part sets, the method's scores.
    name
        The mechanism; its parts are the columns ``name + UP_TAG`` / ``name + DOWN_TAG``.
    k_up, k_dn
        Genes of each part in the fitted reference (0: the part is not part of the score).
    direction
        +1 or -1.

    Returns
    -------
    numpy.ndarray
        ``(n_samples,)``; NaN where a part that enters the score was not scored.
    """
    n = raw.shape[0]
    total = np.zeros(n)
    weights = part_weights(k_up, k_dn)
    for tag, k, sign, w in ((UP_TAG, k_up, 1.0, weights["up"]),
                            (DOWN_TAG, k_dn, -1.0, weights["down"])):
        if k == 0:
            continue
        column = name + tag
        values = (raw[column].to_numpy(dtype=float) if column in raw.columns
                  else np.full(n, np.nan))
        total = total + sign * w * values
    return direction * total

