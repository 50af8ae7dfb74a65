"""Compile every numba kernel once, so that no later call pays for compilation.

rrscore's kernels are compiled by numba on their first call and cached on disk (see
:mod:`rrscore._numba` for where). Right after ``pip install`` the cache is empty, and the
first call of a method compiles its kernels: seconds to tens of seconds per method
(``benchmarks/README.md``, "First call"). Run this once where the package is installed —
in a Docker image build, a CI job before the tests, after an upgrade — and every later
process loads the compiled kernels instead (well under a second)::

    python -m rrscore.warmup          # or: rrscore warmup

It scores small synthetic inputs with every method, on each kind of input that selects
different compiled code (dense float64 tables; sparse single-cell matrices in float32 and
float64; dense float32 AnnData; integer counts for GSVA's Poisson kernel), with the
parameters that switch kernels, the radioresistance composite and RSI. It writes only numba's
cache: in ``$NUMBA_CACHE_DIR`` when set, else next to the installed sources when writable,
else the user's cache directory. The cache holds machine code for this CPU and this numba:
build it on the machine (or image) that runs rrscore.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import numpy as np

#: Calls that select different compiled code: (method, parameters).
METHOD_VARIANTS: tuple[tuple[str, dict], ...] = (
    ("ssgsea", {}),
    ("ssgsea", {"normalize": False}),
    ("gsva", {}),
    ("gsva", {"kcdf": "none"}),
    ("zscore", {}),
    ("plage", {}),
    ("singscore", {}),
    ("singscore", {"known_direction": False}),
    ("mean", {}),
    ("ucell", {}),
    ("aucell", {}),
    ("aucell", {"ties": "random"}),
    ("score_genes", {}),
)


def _bulk(rng: np.random.Generator, genes: list[str], n_samples: int = 100):
    import pandas as pd

    level = rng.normal(6.0, 2.0, (len(genes), 1))
    values = np.round(level + rng.normal(0.0, 1.0, (len(genes), n_samples)), 3)  # some ties
    return pd.DataFrame(values, index=genes, columns=[f"S{j:02d}" for j in range(n_samples)])


def _cells(rng: np.random.Generator, genes: list[str], dtype, sparse: bool,
           n_cells: int = 40, rate: float = 0.6):
    import anndata
    import pandas as pd
    import scipy.sparse as sp

    counts = rng.poisson(rate, (n_cells, len(genes)))  # rate 0.6: ~45 % stored
    x = np.log1p(counts).astype(dtype)
    matrix = sp.csr_matrix(x) if sparse else x
    return anndata.AnnData(X=matrix, obs=pd.DataFrame(index=[f"c{i:03d}" for i in
                                                             range(n_cells)]),
                           var=pd.DataFrame(index=genes))


def _inputs(rng: np.random.Generator, genes: list[str]):
    """The kinds of input whose compiled code differs, by name."""
    import pandas as pd

    counts = pd.DataFrame(rng.poisson(20.0, (len(genes), 12)).astype(np.float64), index=genes,
                          columns=[f"S{j:02d}" for j in range(12)])
    return {
        "bulk": _bulk(rng, genes),
        "cells (CSR float32)": _cells(rng, genes, np.float32, sparse=True),
        "cells (CSR float64)": _cells(rng, genes, np.float64, sparse=True),
        "cells (dense float32)": _cells(rng, genes, np.float32, sparse=False),
        "counts": counts,
    }


def steps(n_genes: int = 400) -> Iterator[tuple[str, Callable[[], object]]]:
    """The warm-up calls, as ``(label, call)`` pairs, in the order they run.

    Parameters
    ----------
    n_genes
        Genes of the synthetic inputs (besides those of the bundled mechanism sets).
    """
    import warnings

    import rrscore
    from rrscore.genesets import load
    from rrscore.radiation import RSI_GENES

    rng = np.random.default_rng(0)
    mechanisms = load("mechanisms")
    confounders = load("confounders")
    named = sorted({g for coll in (mechanisms, confounders) for s in coll
                    for g in (*s.up, *s.down)} | set(RSI_GENES))
    genes = named + [f"WARMUP{i:04d}" for i in range(n_genes)]
    pool = np.array(genes[len(named):])
    sets = {f"SET{i}": list(rng.choice(pool, size=size, replace=False))
            for i, size in enumerate((5, 12, 30, 120))}
    # a signed set (up genes and "GENE-" down genes): every method scores its parts
    sets["SIGNED"] = [*rng.choice(pool[:200], 10, replace=False),
                      *(f"{g}-" for g in rng.choice(pool[200:], 6, replace=False))]
    data = _inputs(rng, genes)

    def call(fn, *args, **kwargs):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # synthetic data: coverage/scale notes
                return fn(*args, **kwargs)
        return run

    for method, params in METHOD_VARIANTS:
        label = method + ("".join(f" {k}={v}" for k, v in params.items()))
        for kind in ("bulk", "cells (CSR float32)", "cells (CSR float64)",
                     "cells (dense float32)"):
            yield f"{label} on {kind}", call(rrscore.score, data[kind], sets, method, **params)
    yield "gsva kcdf=poisson on counts", call(rrscore.score, data["counts"], sets, "gsva",
                                              kcdf="poisson")
    yield "singscore with dispersion", call(rrscore.score_with_dispersion, data["bulk"], sets)
    # PLAGE's Lanczos kernels run only for a Gram matrix above SMALL dimensions (genes and
    # samples); smaller ones go to LAPACK
    from rrscore.methods._plage_eigen import SMALL

    size = min(SMALL + 20, len(pool))
    yield "plage with a set above the LAPACK size", call(
        rrscore.score, _bulk(rng, genes, n_samples=size), {"BIG": list(pool[:size])}, "plage")
    # PLAGE's sparse path (Gram matrices from the stored values) is taken only for CSR input
    # storing at most a quarter of its entries, as single-cell data do (~8 % here)
    sparse_cells = _cells(rng, genes, np.float32, sparse=True, n_cells=120, rate=0.08)
    yield "plage on sparse cells (8 % stored)", call(rrscore.score, sparse_cells, sets, "plage")
    yield "radioresistance on bulk", call(rrscore.radioresistance, data["bulk"])
    yield "rsi on bulk", call(rrscore.rsi, data["bulk"])
    yield "radioresistance on cells", call(rrscore.radioresistance,
                                           data["cells (CSR float32)"])


def kernel_status() -> tuple[list[str], list[str]]:
    """Names of rrscore's numba kernels ready in this process, and of those not reached.

    A kernel is ready when it was compiled or loaded from the cache in this process, or
    when a ready kernel calls it (a kernel loaded from the cache carries the code of the
    kernels it calls, which are then never loaded on their own). Covers every rrscore
    module imported so far (``rrscore._numba.jit`` kernels and numba dispatchers alike).
    """
    found: dict[str, tuple[object, bool]] = {}
    for modname, module in list(sys.modules.items()):
        if not modname.startswith("rrscore.") or module is None:
            continue
        for value in list(vars(module).values()):
            py_func = getattr(value, "py_func", None)
            if py_func is None or getattr(py_func, "__module__", None) != modname:
                continue
            inner = value._dispatcher if hasattr(value, "options") else value
            name = f"{modname}.{py_func.__name__}"
            found[name] = (py_func, bool(getattr(inner, "signatures", None)))
    ready = {name for name, (_, compiled) in found.items() if compiled}
    by_func = {name: py_func for name, (py_func, _) in found.items()}
    todo = list(ready)
    while todo:  # kernels called by ready kernels, by the names their code reads
        func = by_func[todo.pop()]
        names = set(_code_names(func.__code__))
        for name, other in by_func.items():
            if name not in ready and other.__name__ in names:
                ready.add(name)
                todo.append(name)
    return sorted(ready), sorted(set(found) - ready)


def _code_names(code) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _code_names(const)


def warmup(*, verbose: bool = True, n_genes: int = 400) -> list[tuple[str, float]]:
    """Compile (or load from numba's cache) every rrscore kernel by scoring small inputs.

    Parameters
    ----------
    verbose
        Print each step and its seconds on stderr.
    n_genes
        Genes of the synthetic inputs besides the bundled mechanism genes.

    Returns
    -------
    list of (str, float)
        Each step and the seconds it took.
    """
    done = []
    t_all = time.perf_counter()
    for label, run in steps(n_genes):
        t0 = time.perf_counter()
        run()
        seconds = time.perf_counter() - t0
        done.append((label, seconds))
        if verbose:
            print(f"rrscore warmup: {seconds:6.2f} s  {label}", file=sys.stderr, flush=True)
    if verbose:
        compiled, idle = kernel_status()
        print(f"rrscore warmup: {len(compiled)} kernels compiled or loaded in "
              f"{time.perf_counter() - t_all:.1f} s"
              + (f"; not reached by these calls: {', '.join(idle)}" if idle else ""),
              file=sys.stderr)
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m rrscore.warmup [-q]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m rrscore.warmup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    warmup(verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
