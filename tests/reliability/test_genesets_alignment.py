"""Issue 10, "Scale": align_gene_sets is vectorised (one index build, array lookups); its result
must be identical to the per-membership algorithm it replaced, written out below, on a
generated 5,000-set collection exercising every matching rule: exact, case-insensitive,
ambiguous case, synonyms (first matching alternative), two names of one data gene, a gene in
both parts through a synonym, genes excluded by the method, missing genes and signed sets.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from rrscore.genesets import GeneSet, GeneSetCollection
from rrscore.genesets._matching import align_gene_sets


def reference_alignment(collection, genes, *, min_size=1, max_size=math.inf, synonyms=None,
                        excluded=None):
    """The per-membership loop of rrscore <= 73f61d4 (with this issue's size rule: a set
    covering every gene is kept). Returns ``(coverage, {name: (up, down)})``."""
    exact = {g: i for i, g in enumerate(genes)}
    upper, clash = {}, set()
    for i, g in enumerate(genes):
        if g.upper() in upper:
            clash.add(g.upper())
        upper[g.upper()] = i
    for key in clash:
        del upper[key]

    def find(gene):
        if gene in exact:
            return exact[gene], None
        j = upper.get(gene.upper())
        if j is not None:
            return j, genes[j]
        for alt in (synonyms(gene) if synonyms is not None else ()):
            j = exact.get(alt, upper.get(alt.upper()))
            if j is not None:
                return j, genes[j]
        return None, None

    rows, kept = [], {}
    for gs in collection:
        parts, missing, left_out, renamed = {"up": [], "down": []}, [], [], []
        for part_name, part in (("up", gs.up), ("down", gs.down)):
            seen = set()
            for gene in part:
                j, alias = find(gene)
                if j is None:
                    missing.append(gene)
                    continue
                if excluded is not None and excluded[j]:
                    left_out.append(gene)
                    continue
                if j in seen:
                    continue
                seen.add(j)
                parts[part_name].append(j)
                if alias is not None:
                    renamed.append(f"{gene}->{alias}")
        both = set(parts["up"]) & set(parts["down"])
        removed = bool(both)
        parts = {k: [j for j in v if j not in both] for k, v in parts.items()}
        n_found = len(parts["up"]) + len(parts["down"])
        if n_found == 0 and left_out:
            reason = "only genes constant across samples"
        elif n_found == 0 and removed:
            reason = "every gene found is in both its up and down parts (through aliases)"
        elif n_found == 0:
            reason = "no gene found in the data"
        elif n_found < min_size:
            reason = f"{n_found} genes found < min_size={min_size}"
        elif n_found > max_size:
            reason = f"{n_found} genes found > max_size={max_size}"
        else:
            reason = ""
            kept[gs.name] = (parts["up"], parts["down"])
        rows.append({"set": gs.name, "n_listed": len(gs), "n_found": n_found,
                     "coverage": n_found / len(gs), "n_up": len(parts["up"]),
                     "n_down": len(parts["down"]), "n_up_listed": len(gs.up),
                     "n_down_listed": len(gs.down), "missing": ";".join(missing),
                     "excluded": ";".join(left_out), "renamed": ";".join(renamed),
                     "kept": not reason, "reason": reason})
    return pd.DataFrame(rows).set_index("set"), kept


@pytest.fixture(scope="module")
def generated():
    rng = np.random.default_rng(2026)
    n_data = 3000
    data_genes = [f"G{i}" for i in range(n_data)] + ["Ab1", "AB1", "mixedCase"]
    aliases = {f"OLD{i}": (f"NOWHERE{i}", f"G{(i * 7) % n_data}") for i in range(400)}
    aliases.update({f"LOWER{i}": (f"g{i}",) for i in range(50)})  # an alias matched loosely
    aliases["FORMER_G9"] = ("G9",)

    def synonyms(gene):
        return aliases.get(gene, ())

    pool = np.array(
        [f"G{i}" for i in range(n_data)] * 2          # exact, twice as likely
        + [f"g{i}" for i in range(0, n_data, 5)]       # case-insensitive
        + ["ab1", "MIXEDCASE", "Ab1"]                  # ambiguous, loose, exact
        + list(aliases)                                # through synonyms
        + [f"NOPE{i}" for i in range(800)],            # missing
        dtype=object,
    )
    sets = []
    for k in range(5000):
        size = int(rng.integers(1, 40))
        genes = list(dict.fromkeys(pool[rng.choice(len(pool), size, replace=False)]))
        if k % 3 == 0 and len(genes) > 2:  # signed: the tail goes down
            cut = int(rng.integers(1, len(genes)))
            up, down = genes[:cut], genes[cut:]
        else:
            up, down = genes, []
        if k % 97 == 0:  # a gene and its old name on opposite sides: in both parts
            up, down = ["G7", *[g for g in up if g not in ("G7", "OLD1")]], ["OLD1"]
        sets.append(GeneSet(f"SET{k}", up, [g for g in down if g not in up]))
    sets.append(GeneSet("ONLY_BOTH", ("G9",), ("FORMER_G9",)))
    excluded = rng.random(len(data_genes)) < 0.03
    excluded[[7, 9]] = False
    return GeneSetCollection(tuple(sets)), pd.Index(data_genes), synonyms, excluded


@pytest.mark.parametrize("sizes", [(1, math.inf), (3, 25)])
def test_vectorised_alignment_equals_the_per_membership_algorithm(generated, sizes):
    collection, genes, synonyms, excluded = generated
    min_size, max_size = sizes
    expected_cov, expected_sets = reference_alignment(
        collection, genes, min_size=min_size, max_size=max_size, synonyms=synonyms,
        excluded=excluded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = align_gene_sets(collection, genes, min_size=min_size, max_size=max_size,
                              synonyms=synonyms, excluded=excluded)
    pd.testing.assert_frame_equal(got.coverage, expected_cov)
    assert got.names == list(expected_sets)
    for aligned in got:
        up, down = expected_sets[aligned.name]
        assert aligned.up.dtype == np.int64 and aligned.down.dtype == np.int64
        assert aligned.up.tolist() == up and aligned.down.tolist() == down
    # every rule was exercised
    cov = got.coverage
    assert (cov["renamed"].str.contains("OLD")).any() and cov["renamed"].str.contains(
        "g1").any()
    assert (cov["excluded"] != "").any() and (cov["missing"] != "").any()
    assert (cov["n_down"] > 0).any()
    # G7 up and its old name OLD1 down: neither side keeps it
    assert cov.loc["SET0", ["n_down_listed", "n_down"]].tolist() == [1, 0]
    assert "OLD1->G7" in cov.loc["SET0", "renamed"]
    assert cov.loc["ONLY_BOTH", "reason"] == (
        "every gene found is in both its up and down parts (through aliases)")
