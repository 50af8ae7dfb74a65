"""Quick same-run CPU check of three bulk methods on one source tree (20,000 genes x 1,000
samples x 60 sets; best of 3 after a warm-up): run it with PYTHONPATH=<tree>/src and the
tree as argument, once per tree, e.g. before and after a change."""
import sys
import time

import numpy as np
import pandas as pd

import rrscore

assert rrscore.__file__.startswith(sys.argv[1]), rrscore.__file__
rng=np.random.default_rng(0)
genes=[f"G{i}" for i in range(20000)]
x=pd.DataFrame(rng.normal(8,2,size=(20000,1000)), index=genes)
sets={f"s{i}": list(rng.choice(genes, 50, replace=False)) for i in range(60)}
for m in ("ssgsea","zscore","singscore"):
    rrscore.score(x, sets, m)
    best=min((lambda: (lambda t: (rrscore.score(x, sets, m), time.process_time()-t)[1])(time.process_time()))() for _ in range(3))
    print(m, round(best,3))
