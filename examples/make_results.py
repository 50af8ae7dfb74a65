"""Regenerate ``examples/RESULTS.md`` from the three evidence scripts.

Runs ``radioresistance_celllines.py``, ``radioresistance_tcga_luad.py`` and
``radioresistance_radiogx.py`` (each in its own process, as a user would) and writes their
Markdown sections under a fixed header, so every number on the evidence page is printed by a
script. The scripts that need ``../shared/data`` print a "skipped" section without it.

Run: ``python examples/make_results.py [--out examples/RESULTS.md]`` (about 30 s)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd

import rrscore

HERE = Path(__file__).resolve().parent
SCRIPTS = ("radioresistance_celllines.py", "radioresistance_tcga_luad.py",
           "radioresistance_radiogx.py")

HEADER = """# Radioresistance score: evidence on real data

Three checks of `rrscore.radioresistance` on public data, one script each in `examples/`.
Every number below is printed by these scripts; this page is written by
`python examples/make_results.py`, which runs them:

```sh
python examples/radioresistance_celllines.py   # needs ../shared/data (skips without it)
python examples/radioresistance_tcga_luad.py   # uses the bundled examples/data only
python examples/radioresistance_radiogx.py     # needs ../shared/data (skips without it)
```

Settings common to all three: rrscore's defaults, i.e. the composite v2 defined by
`genesets/composite.tsv` (one read-out set per mechanism; `genesets/MECHANISMS.md` gives the
checks that chose each one), singscore (rank-based, one sample at a time), each mechanism a
z-score against the cohort being scored (so all z-scores are **relative to that cohort**),
composite = equal-weight mean of the z-scores, with PAM50 proliferation and ESTIMATE stromal and
immune scores reported beside it. Numbers from rrscore {version}, composite version
{composite_version}.

How the statistics are done: replicates are patients (TCGA) or cell lines (the single cells of
a line are summed into one profile first; cells are never treated as independent replicates);
p-values are exact (Mann–Whitney; Spearman over all 120 orderings for five lines) or from
seeded permutations; each section applies a Benjamini–Hochberg correction across the p-values
it reports. Validation against radiation response (SF2, and survival with radiotherapy in the
TCGA tables), with random-gene-set and proliferation controls, is in
`benchmarks/README.md` ("Composite validation"). None of it supports clinical use.

"""


def run(script: str) -> str:
    """The Markdown section a script prints (its stdout)."""
    done = subprocess.run([sys.executable, str(HERE / script)], capture_output=True,
                          text=True, check=True, cwd=HERE.parent)
    return done.stdout.strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    expr = pd.read_csv(HERE / "data" / "tcga_luad_agilent" / "expr.tsv.gz", sep="\t",
                       index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = rrscore.radioresistance(expr, nan_policy="drop_genes").attrs["rrscore"]
    text = HEADER.format(version=rrscore.__version__,
                         composite_version=meta.get("composite_version", "?"))
    text += "\n".join(run(s) for s in SCRIPTS)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
