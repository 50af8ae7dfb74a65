"""Gene sets: the model, GMT/dict/long-table input, bundled collections, matching to data."""

from rrscore.genesets.bundled import bundled_dir, list_collections, load
from rrscore.genesets.gmt import as_collection, from_long_table, read_gmt, write_gmt
from rrscore.genesets.model import GeneSet, GeneSetCollection

__all__ = [
    "GeneSet",
    "GeneSetCollection",
    "as_collection",
    "bundled_dir",
    "from_long_table",
    "list_collections",
    "load",
    "read_gmt",
    "write_gmt",
]
