"""Sphinx configuration of the rrscore documentation.

Build from the repository root: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(needs ``pip install -e ".[docs]"``). Tutorials are MyST notebooks executed during the build on
the bundled data; the API reference, the CLI reference and the catalogue are generated from
the package itself, so they follow its public names, commands and gene sets.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

from _ext import write_generated  # noqa: E402

import rrscore  # noqa: E402

project = "rrscore"
author = "rrscore developers"
copyright = "rrscore developers, BSD-3-Clause"  # noqa: A001 - Sphinx's name
release = version = rrscore.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_click",
]

# NumPy-style docstrings (napoleon), types from the signatures in the descriptions
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_param = True
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "inherited-members": False}

# MyST notebooks: executed on every build, an error in a cell fails the build
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
# the generated catalogue and methods table are included into catalogue.md and methods.md
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints",
                    "_generated/catalogue.md", "_generated/methods_table.md"]
templates_path = []

html_theme = "sphinx_book_theme"
html_title = f"rrscore {version}"
html_theme_options = {"show_toc_level": 2, "navigation_with_keys": False}
html_static_path: list[str] = []
html_last_updated_fmt = ""

# the API list, the catalogue and the methods table, written before autosummary looks for
# its directives (its own builder-inited handler runs before any connected here)
write_generated(DOCS / "_generated")
