"""Where the data files shipped with rrscore are: the bundled gene sets and tables.

The bottom layer: the gene-ID reference (:mod:`rrscore.ids`), the gene-set collections
(:mod:`rrscore.genesets`) and the driver table (:mod:`rrscore.radiation`) all read files from
this one folder, so its locator lives below all of them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rrscore.errors import GeneSetError

#: A file every complete bundled folder holds (the registry of collections).
_MARKER = "collections.tsv"


def bundled_dir() -> Path:
    """The folder holding the bundled collections and tables.

    In an installed wheel it is ``rrscore/_genesets`` (force-included from the repository's
    ``genesets/``); in a source checkout or editable install it is the repository folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    GeneSetError
        When neither folder holds ``collections.tsv`` (an incomplete installation).
    """
    packaged = Path(str(resources.files("rrscore"))) / "_genesets"
    if (packaged / _MARKER).exists():
        return packaged
    repo = Path(__file__).resolve().parents[2] / "genesets"
    if (repo / _MARKER).exists():
        return repo
    raise GeneSetError("bundled gene sets not found: the rrscore installation is incomplete")
