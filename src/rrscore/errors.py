"""Exception types: every user-facing error is a subclass of :class:`RRScoreError`."""


class RRScoreError(ValueError):
    """Base class of errors caused by user input (the CLI prints these without a traceback)."""


class GeneSetError(RRScoreError):
    """A gene set or collection is malformed."""


class InputDataError(RRScoreError):
    """The expression data cannot be used as given."""


class GeneMatchError(RRScoreError):
    """Gene sets and data do not share (enough) gene identifiers."""
