"""Gene identifiers: detection and cleaning, mapping to symbols, the bundled gene reference.

The bottom of the gene-handling layers: both the input layer (:mod:`rrscore.expression`) and
gene-set matching (:mod:`rrscore.genesets`) use it, and it imports neither. It answers three
questions about gene labels:

* what kind of identifiers they are and how to clean them (:func:`detect_id_type`,
  :func:`clean_gene_ids`: Ensembl versions, GENCODE ``_PAR_Y`` rows, TCGA ``SYMBOL|ENTREZ``);
* which approved symbol an Ensembl or Entrez ID, or an outdated symbol, stands for
  (:func:`map_ids_to_symbols`, :func:`alias_resolver`, switched by ``map_ids``);
* what the bundled NCBI/GENCODE reference says (:func:`gene_reference`);
* which species the identifiers look like (:func:`detect_species`).
"""

from rrscore.ids._detect import (
    ID_TYPE_WORDS,
    CleanedIds,
    classify_ids,
    clean_gene_ids,
    detect_id_type,
)
from rrscore.ids._mapping import (
    MAP_IDS_CHOICES,
    MAPPABLE_ID_TYPES,
    MapIds,
    alias_resolver,
    check_map_ids,
    map_ids_to_symbols,
    wants_symbol_mapping,
)
from rrscore.ids._reference import REFERENCE_SOURCE, GeneReference, gene_reference
from rrscore.ids._species import (
    SPECIES_WORDS,
    Species,
    detect_species,
    same_species,
    species_words,
)

__all__ = [
    "ID_TYPE_WORDS",
    "MAPPABLE_ID_TYPES",
    "MAP_IDS_CHOICES",
    "REFERENCE_SOURCE",
    "SPECIES_WORDS",
    "CleanedIds",
    "GeneReference",
    "MapIds",
    "Species",
    "alias_resolver",
    "check_map_ids",
    "classify_ids",
    "clean_gene_ids",
    "detect_id_type",
    "detect_species",
    "gene_reference",
    "map_ids_to_symbols",
    "same_species",
    "species_words",
    "wants_symbol_mapping",
]
