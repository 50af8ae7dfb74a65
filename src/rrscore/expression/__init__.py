"""Expression input: adapters for every supported input shape, ID cleaning, file readers."""

from rrscore.expression._adapters import as_expression
from rrscore.expression._matrix import ExpressionMatrix, InputReport

__all__ = ["ExpressionMatrix", "InputReport", "as_expression"]
