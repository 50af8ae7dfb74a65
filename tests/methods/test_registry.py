"""The registry and the promise of one file + one register() line per method.

A toy method defined here, registered with one ``register(...)`` call, runs through
``rrscore.score``, ``rrscore.tl.score``, the CLI and backed input without any other file
changing; its capabilities come from its spec alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.errors import InputDataError, RRScoreError
from rrscore.methods import MethodSpec, get_method, list_methods, register
from rrscore.methods import _registry as registry
from rrscore.methods._chunks import sample_chunks
from rrscore.methods._registry import ReadMode

GENES = [f"G{i}" for i in range(12)]
SETS = {"first": ["G0", "G1", "G2"], "signed": ["G3", "G4", "G5-", "G6-"], "one": ["G11"]}


@dataclass(frozen=True)
class ToyParams:
    """Toy parameters: a multiplier."""

    scale: float = 1.0

    def __post_init__(self):
        if not np.isfinite(self.scale):
            raise RRScoreError(f"scale must be finite, got {self.scale!r}")


def toy_run(expr, sets, params, *, chunk_size=None, progress=False):
    """scale × (mean raw value of the up genes − mean of the down genes), per sample."""
    out = np.full((expr.shape[0], len(sets)), np.nan)
    for start, stop, block in sample_chunks(expr, chunk_size, progress=progress):
        for j, s in enumerate(sets):
            up = block[:, s.up].mean(axis=1)
            down = block[:, s.down].mean(axis=1) if len(s.down) else 0.0
            out[start:stop, j] = params.scale * (up - down)
    return out


TOY = MethodSpec(
    name="toy_mean",
    summary="mean raw value of the set (test method)",
    reference="none (test)",
    params=ToyParams,
    run=toy_run,
    sample_independent=True,
    signed_sets="mean(up) - mean(down)",
)


def _expected(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The toy score written out from the definition, samples × sets."""
    idx = {g: i for i, g in enumerate(GENES)}
    cols = []
    for genes in SETS.values():
        up = [idx[g] for g in genes if not g.endswith("-")]
        down = [idx[g[:-1]] for g in genes if g.endswith("-")]
        col = x[:, up].mean(axis=1) - (x[:, down].mean(axis=1) if down else 0.0)
        cols.append(scale * col)
    return np.column_stack(cols)


@pytest.fixture
def toy_registered(monkeypatch):
    """The registry with the toy method added by one register() call (removed afterwards)."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register(TOY)
    return TOY


@pytest.fixture(scope="module")
def cells() -> np.ndarray:
    rng = np.random.default_rng(11)
    x = rng.gamma(2.0, 1.0, size=(23, len(GENES)))
    x[rng.random(x.shape) < 0.3] = 0.0
    return x


def test_toy_method_through_score(toy_registered, cells):
    frame = pd.DataFrame(cells, columns=GENES, index=[f"c{i}" for i in range(len(cells))])
    got = rrscore.score(frame, SETS, "toy_mean", scale=2.0)
    np.testing.assert_allclose(got.to_numpy(), _expected(cells, 2.0), rtol=0, atol=1e-12)
    assert got.attrs["rrscore"]["method"] == "toy_mean"
    assert got.attrs["rrscore"]["params"] == {"scale": 2.0}
    assert "toy_mean" in set(list_methods()["method"])


def test_toy_method_through_tl_score_in_memory_and_backed(toy_registered, cells, tmp_path):
    adata = ad.AnnData(sp.csr_matrix(cells), var=pd.DataFrame(index=GENES))
    adata.obs_names = [f"c{i}" for i in range(len(cells))]
    rrscore.tl.score(adata, SETS, "toy_mean", key_added="toy")
    np.testing.assert_allclose(adata.obsm["toy"].to_numpy(), _expected(cells), atol=1e-12)
    assert adata.uns["toy"]["engine"] == "in-memory"

    path = tmp_path / "toy.h5ad"
    adata.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    got = rrscore.tl.score(backed, SETS, "toy_mean", inplace=False, chunk_size=5)
    backed.file.close()
    assert got.attrs["rrscore"]["engine"] == "backed"
    np.testing.assert_allclose(got.to_numpy(), _expected(cells), atol=1e-12)


def test_toy_method_through_dask_blockwise(toy_registered, cells):
    da = pytest.importorskip("dask.array")
    adata = ad.AnnData(da.from_array(cells, chunks=(7, len(GENES))),
                       var=pd.DataFrame(index=GENES))
    got = rrscore.tl.score(adata, SETS, "toy_mean", inplace=False)
    # sample-independent and no read mode given: the engine scores Dask blocks on their own
    assert got.attrs["rrscore"]["engine"] == "dask-blockwise"
    np.testing.assert_allclose(got.to_numpy(), _expected(cells), atol=1e-12)


def test_toy_method_through_the_cli(toy_registered, cells, tmp_path):
    table = pd.DataFrame(cells.T, index=GENES, columns=[f"c{i}" for i in range(len(cells))])
    table.index.name = "gene"
    src, gmt, out = tmp_path / "expr.tsv", tmp_path / "sets.gmt", tmp_path / "scores.tsv"
    table.to_csv(src, sep="\t")
    rrscore.write_gmt(rrscore.genesets.as_collection(SETS), gmt)
    result = CliRunner().invoke(main, ["score", str(src), "-g", str(gmt), "-m", "toy_mean",
                                       "-p", "scale=3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, sep="\t", index_col=0)
    # write_gmt marks signed sets, so the CLI reads them back signed: every set compares
    np.testing.assert_allclose(got[list(SETS)].to_numpy(), _expected(cells, 3.0), atol=1e-9)


def test_a_memory_method_refuses_lazy_input_with_its_own_reason(monkeypatch, cells, tmp_path):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register(MethodSpec(
        name="toy_whole", summary="s", reference="r", params=ToyParams, run=toy_run,
        sample_independent=False, signed_sets="-",
        read_mode=ReadMode("memory", "it needs the toy's whole matrix"),
    ))
    path = tmp_path / "x.h5ad"
    ad.AnnData(sp.csr_matrix(cells), var=pd.DataFrame(index=GENES)).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    with pytest.raises(InputDataError, match="it needs the toy's whole matrix"):
        rrscore.tl.score(backed, SETS, "toy_whole", inplace=False)
    backed.file.close()


def test_register_refuses_a_second_method_with_the_same_name(toy_registered):
    with pytest.raises(ValueError, match="already registered"):
        register(TOY)


def test_unknown_method_and_parameter_are_clear_errors():
    with pytest.raises(RRScoreError, match="unknown method 'nope'.*ssgsea"):
        get_method("nope")
    with pytest.raises(RRScoreError, match="has no parameter.*'tau'.*alpha"):
        get_method("ssgsea").make_params(tau=1)


@pytest.mark.parametrize(
    ("method", "params", "independent", "mode"),
    [
        ("ssgsea", {}, False, "streaming"),
        ("ssgsea", {"normalize": False}, True, "blockwise"),
        ("aucell", {}, True, "blockwise"),
        ("aucell", {"ties": "random"}, True, "streaming"),
        ("ucell", {}, True, "blockwise"),
        ("singscore", {}, True, "blockwise"),
        ("score_genes", {}, False, "streaming"),
        ("gsva", {}, False, "memory"),
        ("zscore", {}, False, "memory"),
        ("plage", {}, False, "memory"),
        ("mean", {}, False, "memory"),
    ],
)
def test_capabilities_are_declared_by_each_spec(method, params, independent, mode):
    spec = get_method(method)
    p = spec.make_params(**params)
    assert spec.is_sample_independent(p) is independent
    assert spec.read_mode_for(p).mode == mode
    assert spec.read_mode_for(p).reason  # a reason in words, for the error message


def test_constant_genes_are_excluded_by_the_methods_that_declare_it():
    x = np.arange(40, dtype=float).reshape(5, 8) % 7
    x[:, 3] = 1.0  # constant across samples
    expr = rrscore.expression.as_expression(x, genes=[f"G{i}" for i in range(8)])
    for name in ("gsva", "zscore", "plage", "mean"):
        mask = get_method(name).genes_excluded(expr)
        assert mask is not None and mask.tolist() == [j == 3 for j in range(8)]
    for name in ("ssgsea", "singscore", "ucell", "aucell", "score_genes"):
        assert get_method(name).genes_excluded(expr) is None
