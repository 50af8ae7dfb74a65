"""One self-contained HTML report per cohort: ``rrscore.report(data, "report.html")``.

The module itself is callable (``rrscore.report(...)`` is :func:`report`), so the report is
one call whether one writes ``rrscore.report(...)`` or ``from rrscore.report import report``.
The command line is ``rrscore report INPUT -o report.html``.

Needs matplotlib and jinja2 (``pip install 'rrscore[plot,report]'``).
"""

from __future__ import annotations

import sys
import types

from rrscore.report._build import collect, render, report

__all__ = ["collect", "render", "report"]


class _CallableModule(types.ModuleType):
    """``rrscore.report(...)``: the package called as its :func:`report` function."""

    def __call__(self, *args, **kwargs):
        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
