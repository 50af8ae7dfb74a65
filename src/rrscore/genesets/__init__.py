"""Gene sets: the model, GMT/dict/long-table input, bundled collections, gene-ID reference."""

from rrscore.genesets._bundled import (
    bundled_dir,
    collection_checksum,
    list_collections,
    load,
    verify_collection,
)
from rrscore.genesets._gmt import as_collection, from_long_table, read_gmt, write_gmt
from rrscore.genesets._model import GeneSet, GeneSetCollection
from rrscore.genesets._reference import GeneReference, gene_reference

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
