"""The README's Python example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python"):text.index("## API contract")]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    block = block.replace('"luad_reference.json"', repr(str(tmp_path / "ref.json")))
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with pytest.warns(UserWarning):  # GARD is undefined where RSI <= 0 (NaN, warned)
            exec(compile(block, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert namespace["scores"].shape == (32, 50)
    assert list(namespace["rr"].columns[-5:]) == ["composite", "composite_percentile",
                                                  "proliferation", "stromal", "immune"]
    assert (tmp_path / "ref.json").exists()
    assert len(namespace["gard"]) == 37
