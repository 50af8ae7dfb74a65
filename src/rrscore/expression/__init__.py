"""Expression input: adapters for every supported input shape, ID cleaning, file readers."""

from rrscore.expression.adapters import as_expression
from rrscore.expression.matrix import ExpressionMatrix, InputReport

__all__ = ["ExpressionMatrix", "InputReport", "as_expression"]
