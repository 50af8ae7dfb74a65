"""The bundled human gene-ID reference: approved symbols, Ensembl and Entrez IDs, aliases.

The table is ``genesets/gene_reference.tsv.gz`` (NCBI Gene 2022-09-12 via org.Hs.eg.db 3.16.0,
plus GENCODE v36; see ``genesets/gene_reference.README.md``). It is read on first use and
cached, so importing rrscore costs nothing.

Rules, as the table's README states them:

* an approved symbol is unique, also case-insensitively;
* an Ensembl gene ID (unversioned) belongs to at most one row; IDs that NCBI links to several
  genes are in ``ambiguous_ensembl`` and never map;
* ``aliases`` (previous symbols and other synonyms) each name exactly one gene and are matched
  case-insensitively; ``ambiguous_aliases`` (shared by several genes, or the approved symbol of
  another gene) are never used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from rrscore._resources import bundled_dir
from rrscore.errors import GeneSetError

REFERENCE_FILE = "gene_reference.tsv.gz"
#: The columns the lookups use (the table also has gene_type, gencode_type and name).
ID_COLUMNS = ("symbol", "entrez", "ensembl", "aliases", "ambiguous_aliases",
              "ambiguous_ensembl")
#: Where the table's data comes from (see gene_reference.README.md).
REFERENCE_SOURCE = (
    "NCBI Gene 2022-09-12 via org.Hs.eg.db 3.16.0, GENCODE v36"
)


def _split(cell: str) -> list[str]:
    return [x for x in cell.split(";") if x]


class GeneReference:
    """Lookups in the bundled human gene table.

    Use :func:`gene_reference` to get the shared, cached instance. Lookup tables are built
    lazily, each on its first use.

    Parameters
    ----------
    table
        The table with columns ``symbol``, ``entrez``, ``ensembl``, ``aliases``,
        ``ambiguous_aliases``, ``ambiguous_ensembl``, ``gene_type``, ``gencode_type``,
        ``name`` (all strings; lists are ``;``-separated): a DataFrame, or a mapping from
        column name to a list of strings (at least the first six columns).
    source
        With a mapping: the file it was read from, read whole on first access of
        :attr:`table` (lookups need only the identifier columns).
    """

    def __init__(self, table: pd.DataFrame | Mapping[str, list[str]],
                 source: Path | None = None) -> None:
        missing = [c for c in ID_COLUMNS if c not in table]
        if missing:
            raise GeneSetError(f"gene reference table lacks columns {missing}")
        self._source = source
        if isinstance(table, pd.DataFrame):
            self.table = table
            self._columns = {c: table[c].tolist() for c in ID_COLUMNS}
        else:
            self._columns = {c: list(v) for c, v in table.items()}

    @cached_property
    def table(self) -> pd.DataFrame:
        """The whole table (every column, strings), one row per gene."""
        if self._source is not None:
            return _read(self._source)
        return pd.DataFrame(self._columns, dtype=str)

    def __len__(self) -> int:
        return len(self._columns["symbol"])

    # -- lookup tables, built on first use -------------------------------------------------
    @cached_property
    def symbols(self) -> frozenset[str]:
        """All approved symbols (exact case)."""
        return frozenset(self._columns["symbol"])

    @cached_property
    def _symbol_upper(self) -> dict[str, str]:
        return {s.upper(): s for s in self._columns["symbol"]}

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self._columns["symbol"])}

    @cached_property
    def _alias_upper(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for symbol, cell in zip(self._columns["symbol"], self._columns["aliases"],
                                strict=True):
            if cell:
                for alias in _split(cell):
                    out[alias.upper()] = symbol
        return out

    def _aliases_of(self, symbol: str) -> tuple[str, ...]:
        row = self._row_of.get(symbol)
        if row is None:
            return ()
        seen: dict[str, str] = {}
        for alias in _split(self._columns["aliases"][row]):
            # the table lists some aliases twice in different case
            seen.setdefault(alias.upper(), alias)
        return tuple(seen.values())

    @cached_property
    def _ambiguous_upper(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for symbol, cell in zip(self._columns["symbol"], self._columns["ambiguous_aliases"],
                                strict=True):
            for alias in _split(cell):
                targets = out.setdefault(alias.upper(), [])
                if symbol not in targets:
                    targets.append(symbol)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _ensembl(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for symbol, cell in zip(self._columns["symbol"], self._columns["ensembl"],
                                strict=True):
            for ens in _split(cell):
                out[ens] = symbol
        return out

    @cached_property
    def _ambiguous_ensembl(self) -> frozenset[str]:
        return frozenset(x for cell in self._columns["ambiguous_ensembl"]
                         for x in _split(cell))

    @cached_property
    def _entrez(self) -> dict[str, str]:
        return dict(zip(self._columns["entrez"], self._columns["symbol"], strict=True))

    # -- symbols and aliases ---------------------------------------------------------------
    def is_approved(self, name: str) -> bool:
        """Whether ``name`` is an approved symbol, exactly as written (case included)."""
        return name in self.symbols

    def approved_symbol(self, name: str, *, aliases: bool = True) -> str | None:
        """The approved symbol that ``name`` stands for, or None.

        Tried in order: the approved symbol itself, case-insensitively; then (with
        ``aliases=True``) an unambiguous alias or previous symbol, case-insensitively.
        Ambiguous aliases give None (see :meth:`alias_candidates`).
        """
        key = str(name).strip().upper()
        symbol = self._symbol_upper.get(key)
        if symbol is None and aliases:
            symbol = self._alias_upper.get(key)
        return symbol

    def aliases(self, symbol: str) -> tuple[str, ...]:
        """The unambiguous aliases and previous symbols of an approved symbol (may be empty)."""
        return self._aliases_of(symbol)

    def alias_candidates(self, name: str) -> tuple[str, ...]:
        """Genes sharing ``name`` as an ambiguous alias (never used for matching)."""
        return self._ambiguous_upper.get(str(name).strip().upper(), ())

    def synonyms(self, gene: str) -> tuple[str, ...]:
        """Other names under which data may carry ``gene``, for gene-set matching.

        For an approved symbol: its unambiguous aliases (e.g. ``MRGBP`` → ``C20orf20``, …).
        For an outdated symbol that is an unambiguous alias: the current symbol first, then
        the current symbol's other aliases (e.g. ``H2AFX`` → ``H2AX``, …). Otherwise empty.
        This is the ``synonyms`` hook of :func:`rrscore.genesets._matching.align_gene_sets`.
        """
        symbol = self.approved_symbol(gene)
        if symbol is None:
            return ()
        key = gene.strip().upper()
        names = [] if symbol.upper() == key else [symbol]
        names.extend(a for a in self.aliases(symbol) if a.upper() != key)
        return tuple(names)

    # -- identifiers -----------------------------------------------------------------------
    def ensembl_to_symbol(self, ids: Iterable[object]) -> list[str | None]:
        """Approved symbol per unversioned Ensembl gene ID; None where unknown or ambiguous."""
        table = self._ensembl
        return [table.get(str(x)) for x in ids]

    def entrez_to_symbol(self, ids: Iterable[object]) -> list[str | None]:
        """Approved symbol per Entrez (NCBI) gene ID; None where not in the table."""
        table = self._entrez
        return [table.get(str(x).strip()) for x in ids]

    def is_ambiguous_ensembl(self, ensembl_id: str) -> bool:
        """Whether NCBI links this Ensembl ID to several genes (so it is never mapped)."""
        return ensembl_id in self._ambiguous_ensembl

    def to_symbol(self, ids: Iterable[object], id_type: str) -> list[str | None]:
        """Map ``ids`` of type ``"ensembl"``, ``"entrez"`` or ``"symbol"`` to approved symbols.

        Symbols go through :meth:`approved_symbol` (so outdated symbols are updated).
        """
        if id_type == "ensembl":
            return self.ensembl_to_symbol(ids)
        if id_type == "entrez":
            return self.entrez_to_symbol(ids)
        if id_type == "symbol":
            return [self.approved_symbol(str(x)) for x in ids]
        raise GeneSetError(
            f"the gene reference maps Ensembl, Entrez or symbol IDs, not {id_type!r}"
        )


@lru_cache(maxsize=1)
def gene_reference() -> GeneReference:
    """The bundled human gene reference, read on first call and cached.

    Returns
    -------
    GeneReference

    Examples
    --------
    >>> ref = gene_reference()
    >>> ref.approved_symbol("C20orf20"), ref.ensembl_to_symbol(["ENSG00000141510"])
    ('MRGBP', ['TP53'])
    """
    path = bundled_dir() / REFERENCE_FILE
    if not path.exists():
        raise GeneSetError(f"gene reference table not found: {path}")
    # the lookups need only the identifier columns: reading those alone is ~30 % faster, and
    # plain lists iterate faster than Series when the lookup tables are built
    ids = _read(path, usecols=list(ID_COLUMNS))
    return GeneReference({c: ids[c].tolist() for c in ID_COLUMNS}, source=path)


def _read(path: Path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_filter=False,
                       **kwargs)
