"""Every runnable example in the package's docstrings stays correct (doctest over all of lawfit).

Examples are real code: a docstring example that cannot run here (it needs a GPU, a server or a
long training) is written as prose, not as a commented-out ``>>> #`` line.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re

import pytest

import lawfit

MODULES = ["lawfit"] + sorted(
    m.name for m in pkgutil.walk_packages(lawfit.__path__, "lawfit.") if not m.name.endswith("__main__")
)
COMMENTED_EXAMPLE = re.compile(r"^\s*>>>\s*#\s*\S+\s*(=|\()", re.MULTILINE)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, report=True
    )
    assert result.failed == 0, f"{result.failed} failing docstring example(s) in {name}"


@pytest.mark.parametrize("name", MODULES)
def test_no_commented_out_examples(name):
    source = importlib.util.find_spec(name).origin
    with open(source, encoding="utf-8") as f:
        offenders = [m.group(0).strip() for m in COMMENTED_EXAMPLE.finditer(f.read())]
    assert not offenders, f"{name}: commented-out example(s) {offenders}; make them run or prose"
