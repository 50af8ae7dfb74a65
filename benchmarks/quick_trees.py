"""Quick same-run CPU check of three bulk methods on one source tree.

20,000 genes × 1,000 samples × 60 sets; best of 3 CPU times after a warm-up call. Run it once
per tree, e.g. before and after a change:
``PYTHONPATH=<tree>/src python benchmarks/quick_trees.py <tree>/src``.
"""

import sys
import time

import numpy as np
import pandas as pd

import rrscore

if len(sys.argv) > 1 and not rrscore.__file__.startswith(sys.argv[1]):
    sys.exit(f"rrscore imported from {rrscore.__file__}, not from {sys.argv[1]}")


def cpu_seconds(call) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


rng = np.random.default_rng(0)
genes = [f"G{i}" for i in range(20000)]
x = pd.DataFrame(rng.normal(8, 2, size=(20000, 1000)), index=genes)
sets = {f"s{i}": list(rng.choice(genes, 50, replace=False)) for i in range(60)}
for method in ("ssgsea", "zscore", "singscore"):
    rrscore.score(x, sets, method)  # warm-up: numba compilation, caches
    best = min(cpu_seconds(lambda m=method: rrscore.score(x, sets, m)) for _ in range(3))
    print(method, round(best, 3))
