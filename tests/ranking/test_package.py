"""``rrscore.ranking`` keeps every name of the former single module, each the submodule's own."""

from __future__ import annotations

import importlib

import rrscore.ranking as ranking

# The public names of ``rrscore/ranking.py`` before it became a package (commit b37f391),
# with the submodule that now defines each.
FORMER_NAMES = {
    "_common": ("row_arrays", "gene_slots", "csr_row"),
    "_dense": ("descending_positions", "positions_and_average_ranks", "average_ranks",
               "fast_descending_positions"),
    "_selected": ("TIES_METHODS", "selected_counts", "selected_ranks", "column_rank_counts",
                  "selected_ranks_csr"),
    "_ties": ("row_tie_blocks", "csr_row_tie_blocks", "tie_blocks",
              "csr_descending_average_ranks"),
    "_random_ties": ("tie_key", "row_random_positions", "random_tie_positions"),
}


def test_package_re_exports_the_former_module_names_from_their_submodules():
    expected = sorted(n for names in FORMER_NAMES.values() for n in names)
    assert sorted(ranking.__all__) == expected
    for sub, names in FORMER_NAMES.items():
        module = importlib.import_module(f"rrscore.ranking.{sub}")
        for name in names:
            assert getattr(ranking, name) is getattr(module, name), (sub, name)
