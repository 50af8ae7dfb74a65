"""Which species gene identifiers look like: Ensembl prefixes and the case of symbols.

Gene sets are matched to data case-insensitively, so mouse symbols (``Cd3e``, ``Vim``) match
human sets (``CD3E``, ``VIM``) at high coverage without any sign that the species differ.
:func:`detect_species` reads the species off the identifiers themselves, by stated rules:

* Ensembl gene IDs carry their species in the prefix (``ENSG`` human, ``ENSMUSG`` mouse,
  ``ENSRNOG`` rat, ``ENSDARG`` zebrafish, ... :data:`ENSEMBL_PREFIXES`); FlyBase ``FBgn`` and
  WormBase ``WBGene`` IDs name fly and worm;
* symbols follow each nomenclature committee's case convention: HGNC (human) symbols are
  upper case (``CD3E``; ``C1orf112``'s ``orf`` excepted), MGI (mouse) and RGD (rat) symbols
  capitalised (``Cd3e``; the two cannot be told apart by case: ``"mouse_or_rat"``), ZFIN
  (zebrafish) symbols lower case (``cd3e``).

A species is named when at least 60 % of the labels that carry the evidence (Ensembl or
FlyBase/WormBase IDs; symbols with at least two letters) agree and at least five do;
otherwise it is ``"unknown"`` (Entrez IDs and probe IDs carry no species evidence).

No ortholog table is bundled: a verifiable mouse/rat–human table (MGI's
``HOM_MouseHumanSequence.rpt``, HGNC HCOP) is distributed under terms and at a size that do
not fit the package, and case-insensitive matching is not an ortholog mapping — so rrscore
warns instead of translating.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

#: Ensembl gene-ID prefix (between ``ENS`` and ``G``) → species.
ENSEMBL_PREFIXES = {
    "": "human", "MUS": "mouse", "RNO": "rat", "DAR": "zebrafish", "GAL": "chicken",
    "SSC": "pig", "BTA": "cow", "MMU": "macaque", "CAF": "dog", "PTR": "chimpanzee",
    "XET": "xenopus", "OAR": "sheep", "ECA": "horse", "MOD": "opossum", "OCU": "rabbit",
}
#: Readable names of the values :func:`detect_species` returns.
SPECIES_WORDS = {
    "human": "human",
    "mouse": "mouse",
    "rat": "rat",
    "mouse_or_rat": "mouse or rat",
    "zebrafish": "zebrafish",
    "fly": "fly",
    "worm": "worm",
    "unknown": "unknown",
}

_ENSEMBL_PREFIX = re.compile(r"^ENS([A-Z]*?)[GTP]\d{11}")
_ORF = re.compile(r"(?<=\d)orf(?=\d)")
_LETTER = re.compile(r"[^\W\d_]")
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")
_MIN_EVIDENCE = 5
_MAJORITY = 0.6


class Species(NamedTuple):
    """The likely species of a list of gene identifiers and the evidence for it.

    Attributes
    ----------
    name
        ``"human"``, ``"mouse"``, ``"rat"``, ``"mouse_or_rat"``, ``"zebrafish"``, another
        Ensembl species, ``"fly"``, ``"worm"`` or ``"unknown"``.
    evidence
        One sentence with the counts the rule used and an example label.
    """

    name: str
    evidence: str

    @property
    def known(self) -> bool:
        """Whether the identifiers name a species."""
        return self.name != "unknown"


def symbol_case(symbol: str) -> str | None:
    """The case convention of one symbol: ``"upper"``, ``"capitalised"``, ``"lower"``, or None.

    Parameters
    ----------
    symbol
        A gene symbol.

    Returns
    -------
    str or None
        None when the symbol has fewer than two letters or mixes cases otherwise
        (``C1orf112``: the ``orf`` of human open reading frames is ignored).
    """
    # str methods (run for thousands of labels): isupper/islower look at cased characters
    if "orf" in symbol and _ORF.search(symbol):
        rest = _ORF.sub("", symbol)
        return "upper" if rest.isupper() or not _LETTER.search(rest) else None
    if not _TWO_LETTERS.search(symbol):
        return None
    if symbol.isupper():
        return "upper"
    if symbol.islower():
        return "lower"
    if symbol[0].isupper() and symbol[1:].islower():
        return "capitalised"
    return None


_CASE_SPECIES = {"upper": "human", "capitalised": "mouse_or_rat", "lower": "zebrafish"}
_CASE_WORDS = {"upper": "upper-case symbols", "capitalised": "capitalised symbols",
               "lower": "lower-case symbols"}


def _label_species(label: str) -> tuple[str, str] | None:
    """``(species, kind of evidence)`` of one label, or None when it tells nothing."""
    if label.startswith("ENS"):
        m = _ENSEMBL_PREFIX.match(label)
        if m:
            species = ENSEMBL_PREFIXES.get(m.group(1), f"Ensembl prefix ENS{m.group(1)}G")
            return species, "Ensembl IDs"
    if label.startswith("FBgn"):
        return "fly", "FlyBase IDs"
    if label.startswith("WBGene"):
        return "worm", "WormBase IDs"
    if not label[:1].isalpha() or "|" in label:
        return None
    case = symbol_case(label)
    if case is None:
        return None
    return _CASE_SPECIES[case], _CASE_WORDS[case]


def detect_species(labels: Iterable[object], *, sample: int = 5000) -> Species:
    """The species the gene identifiers look like (see the module's rules).

    Parameters
    ----------
    labels
        Gene identifiers, cleaned (Ensembl versions and TCGA ``|ENTREZ`` parts removed).
    sample
        At most this many labels, spread evenly over ``labels``, are looked at.

    Returns
    -------
    Species
    """
    values = [str(x).strip() for x in labels]
    if len(values) > sample:
        step = len(values) / sample
        values = [values[int(i * step)] for i in range(sample)]
    votes: Counter = Counter()
    example: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for label in values:
        found = _label_species(label)
        if found is None:
            continue
        votes[found[0]] += 1
        example.setdefault(found[0], label)
        kinds.setdefault(found[0], found[1])
    total = sum(votes.values())
    if total < _MIN_EVIDENCE:
        return Species("unknown", f"only {total} identifiers tell a species")
    name, count = votes.most_common(1)[0]
    if count < _MAJORITY * total:
        summary = ", ".join(f"{n} {SPECIES_WORDS.get(s, s)}" for s, n in votes.most_common(3))
        return Species("unknown", f"no species holds {_MAJORITY:.0%} of the identifiers "
                       f"({summary})")
    return Species(name, f"{count} of {total} identifiers are {kinds[name]} "
                   f"(e.g. {example[name]!r})")


def species_words(name: str) -> str:
    """A readable form of a species name from :func:`detect_species`."""
    return SPECIES_WORDS.get(name, name)


def same_species(data: str, sets: str) -> bool:
    """Whether two detected species are compatible (unknown is compatible with anything).

    ``"mouse_or_rat"`` (symbols) is compatible with ``"mouse"`` and ``"rat"`` (Ensembl).

    Parameters
    ----------
    data, sets
        Names from :func:`detect_species`.

    Returns
    -------
    bool
    """
    if "unknown" in (data, sets) or data == sets:
        return True
    return {data, sets} in ({"mouse_or_rat", "mouse"}, {"mouse_or_rat", "rat"})
