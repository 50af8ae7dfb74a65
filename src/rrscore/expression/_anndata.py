"""Which matrix of an AnnData is scored, and where it is: scanpy's conventions in one place.

``layer=`` and ``use_raw=`` pick the matrix (:func:`select_matrix`); the matrix is in memory
(NumPy, scipy sparse), backed (an ``h5py.Dataset`` or anndata's backed CSR/CSC dataset, from
``anndata.read_h5ad(path, backed="r")``) or Dask (:func:`lazy_kind`). The in-memory adapter
and lazy input both start here.
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.sparse as sp

from rrscore.errors import InputDataError


def is_anndata(data) -> bool:
    """Whether ``data`` is an AnnData (or behaves like one: it has ``obs_names``)."""
    return type(data).__name__ in ("AnnData", "AnnCollection") or hasattr(data, "obs_names")


def _is_dask_array(x) -> bool:
    # Only look when dask is already imported: a Dask array cannot exist otherwise, and
    # importing dask here would cost every in-memory call.
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def lazy_kind(x) -> str | None:
    """Where a matrix lives: ``"backed_dense"``, ``"backed_sparse"``, ``"dask"``, or None.

    Parameters
    ----------
    x
        An AnnData matrix (``X``, a layer or ``raw.X``).

    Returns
    -------
    str or None
        None for an in-memory matrix (NumPy or scipy sparse).
    """
    if x is None or isinstance(x, np.ndarray) or sp.issparse(x):
        return None
    if _is_dask_array(x):
        return "dask"
    if hasattr(x, "to_memory") and getattr(x, "format", None) in ("csr", "csc"):
        return "backed_sparse"  # anndata's backed CSR/CSC dataset (any anndata version)
    import h5py

    if isinstance(x, h5py.Dataset):
        return "backed_dense"
    return None


def select_matrix(adata, layer: str | None = None, use_raw: bool | None = None):
    """The matrix scanpy's conventions pick.

    Parameters
    ----------
    adata
        An AnnData.
    layer
        A key of ``adata.layers``.
    use_raw
        Use ``adata.raw``; None (default): when it exists and no ``layer`` is given.

    Returns
    -------
    X, var_names, where
        The matrix (not loaded), its gene labels and a description for messages
        (``"adata.X"``, ``"adata.raw.X"``, ``"adata.layers['counts']"``).

    Raises
    ------
    InputDataError
        For ``use_raw=True`` with a layer or without ``adata.raw``, and an unknown layer.
    """
    if use_raw is None:
        use_raw = adata.raw is not None and layer is None
    if use_raw and layer is not None:
        raise InputDataError("use_raw=True and layer= cannot be combined")
    if use_raw:
        if adata.raw is None:
            raise InputDataError("use_raw=True but adata.raw is None")
        return adata.raw.X, adata.raw.var_names, "adata.raw.X"
    if layer is not None:
        if layer not in adata.layers:
            raise InputDataError(
                f"layer {layer!r} not found; available layers: {list(adata.layers.keys())}"
            )
        return adata.layers[layer], adata.var_names, f"adata.layers[{layer!r}]"
    return adata.X, adata.var_names, "adata.X"


def is_lazy_anndata(adata, layer: str | None = None, use_raw: bool | None = None) -> bool:
    """Whether the matrix scanpy's conventions pick from ``adata`` is backed or Dask.

    Parameters
    ----------
    adata
        Anything; False unless it is an AnnData.
    layer, use_raw
        As in :func:`select_matrix`.

    Returns
    -------
    bool
    """
    if not hasattr(adata, "obs_names"):
        return False
    x, _, _ = select_matrix(adata, layer, use_raw)
    return lazy_kind(x) is not None


def load_matrix(x):
    """An AnnData matrix in memory: backed datasets read, Dask arrays computed.

    Parameters
    ----------
    x
        A matrix from :func:`select_matrix`.

    Returns
    -------
    numpy.ndarray or scipy.sparse matrix
        ``x`` itself when already in memory.
    """
    if hasattr(x, "to_memory"):  # backed sparse dataset
        return x.to_memory()
    if hasattr(x, "compute"):  # Dask array
        return x.compute()
    if not sp.issparse(x) and not isinstance(x, np.ndarray):
        return x[...]  # h5py dataset of a backed dense AnnData
    return x
