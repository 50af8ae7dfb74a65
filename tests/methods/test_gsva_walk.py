"""GSVA's walk on positions of only the genes in some set (``n_ranked``), as the sparse path
passes them: the same scores, bit for bit, as on every gene's positions — including the
pairs replayed with R's running sum (max_diff=False near-ties, k == n)."""

from __future__ import annotations

import numpy as np
import pytest

from rrscore.methods._gsva_walk import _walk_scores, gene_set_index


def _sets_csr(sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(sets) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(s) for s in sets])
    idx = np.concatenate(sets).astype(np.int64) if sets else np.zeros(0, dtype=np.int64)
    return ptr, idx


@pytest.mark.parametrize("max_diff, abs_ranking, tau", [
    (True, False, 1.0), (True, True, 1.0), (False, False, 1.0), (False, False, 0.5),
    (True, False, 2.0),
])
@pytest.mark.parametrize("n", [40, 41])
def test_compact_positions_give_the_full_walk(n, max_diff, abs_ranking, tau):
    rng = np.random.default_rng(n)
    pos = np.array([rng.permutation(n) + 1 for _ in range(30)], dtype=np.int32)
    sets = [rng.choice(n, size=k, replace=False) for k in (1, 2, 3, 7, 12)]
    # the gene at the middle position: E+ == |E-| (max_diff=False replays it)
    sets.append(np.array([int(np.flatnonzero(pos[0] == n // 2 + 1)[0])]))
    sets.append(np.zeros(0, dtype=np.int64))  # no gene: NaN
    ptr, idx = _sets_csr(sets)
    full = np.empty((len(pos), len(sets)))
    _walk_scores(pos, ptr, idx, *gene_set_index(ptr, idx, n), tau, max_diff, abs_ranking,
                 full)

    used = np.unique(idx)  # columns: only the genes in some set, in another order
    used = used[rng.permutation(len(used))]
    column = np.full(n, -1, dtype=np.int64)
    column[used] = np.arange(len(used))
    compact_idx = column[idx]
    compact = np.empty_like(full)
    _walk_scores(np.ascontiguousarray(pos[:, used]), ptr, compact_idx,
                 *gene_set_index(ptr, compact_idx, len(used)), tau, max_diff, abs_ranking,
                 compact, n_ranked=n)
    np.testing.assert_array_equal(compact, full)
    assert np.isnan(full[:, -1]).all() and np.isfinite(full[:, :-1]).all()
    # without n_ranked the walk would take the columns for the whole ranking: not the same
    wrong = np.empty_like(full)
    _walk_scores(np.ascontiguousarray(pos[:, used]), ptr, compact_idx,
                 *gene_set_index(ptr, compact_idx, len(used)), tau, max_diff, abs_ranking,
                 wrong, n_ranked=n + 5)
    assert not np.array_equal(wrong[:, :-1], full[:, :-1])


def test_a_set_of_every_ranked_gene_is_replayed_with_compact_positions():
    """k == n: the closed form divides by n - k = 0; R's running sum gives E+ = 1."""
    n = 9
    rng = np.random.default_rng(1)
    pos = np.array([rng.permutation(n) + 1 for _ in range(4)], dtype=np.int64)
    ptr, idx = _sets_csr([np.arange(n)])
    out = np.empty((4, 1))
    _walk_scores(pos, ptr, idx, *gene_set_index(ptr, idx, n), 1.0, True, False, out,
                 n_ranked=n)
    np.testing.assert_allclose(out[:, 0], 1.0, rtol=0, atol=1e-15)


def test_n_ranked_below_the_columns_is_refused():
    pos = np.array([[1, 2, 3]], dtype=np.int32)
    ptr, idx = _sets_csr([np.array([0, 1])])
    with pytest.raises(ValueError, match="n_ranked"):
        _walk_scores(pos, ptr, idx, *gene_set_index(ptr, idx, 3), 1.0, True, False,
                     np.empty((1, 1)), n_ranked=2)


def test_lowest_bit_table_names_every_bit():
    """The walk visits the marked positions of a 64-bit word through a de Bruijn table: each
    single-bit word must map to its own bit index."""
    from rrscore.methods._gsva_walk import _BIT_OF, _DEBRUIJN

    for bit in range(64):
        assert _BIT_OF[((1 << bit) * int(_DEBRUIJN) % 2**64) >> 58] == bit


def test_positions_past_the_first_words_and_a_partial_last_word():
    """n = 130 (three words, the last holding two positions), set genes at positions 1, 64,
    65, 128, 129, 130 and spread: the compact walk equals the exact rational walk."""
    from fractions import Fraction

    n = 130
    rng = np.random.default_rng(2)
    pos = np.array([rng.permutation(n) + 1 for _ in range(6)], dtype=np.int32)
    # row 0: the genes at the first and last positions of each word
    genes_at = {p: int(np.flatnonzero(pos[0] == p)[0]) for p in (1, 64, 65, 128, 129, 130)}
    sets = [np.array(list(genes_at.values())), rng.choice(n, 40, replace=False)]
    ptr, idx = _sets_csr(sets)
    out = np.empty((6, 2))
    _walk_scores(pos, ptr, idx, *gene_set_index(ptr, idx, n), 1.0, True, False, out)
    for r in range(6):
        for s, members in enumerate(sets):
            stat = {int(g): abs(Fraction(n, 2) - int(pos[r, g]) + 1) for g in members}
            total = sum(stat.values())
            cum = e_pos = e_neg = Fraction(0)
            for g in np.argsort(pos[r]):
                cum = (cum + stat[int(g)] / total if int(g) in stat
                       else cum - Fraction(1, n - len(members)))
                e_pos, e_neg = max(e_pos, cum), min(e_neg, cum)
            assert abs(out[r, s] - float(e_pos + e_neg)) < 1e-15
