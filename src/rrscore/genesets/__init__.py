"""Gene sets: the model, GMT files, coercion of any specification, bundled collections,
and matching to the genes of an expression matrix.

The gene-ID reference (``GeneReference``, ``gene_reference``) lives in :mod:`rrscore.ids` and
is re-exported here, where it was first published.
"""

from rrscore._resources import bundled_dir
from rrscore.genesets._bundled import (
    collection_checksum,
    list_collections,
    load,
    verify_collection,
)
from rrscore.genesets._coerce import as_collection, from_long_table
from rrscore.genesets._gmt import read_gmt, write_gmt
from rrscore.genesets._model import GeneSet, GeneSetCollection
from rrscore.ids import GeneReference, gene_reference

__all__ = [
    "GeneReference",
    "GeneSet",
    "GeneSetCollection",
    "as_collection",
    "bundled_dir",
    "collection_checksum",
    "from_long_table",
    "gene_reference",
    "list_collections",
    "load",
    "read_gmt",
    "verify_collection",
    "write_gmt",
]
