"""The runnable examples in the schedule docstrings stay correct."""

import doctest
import importlib
import pkgutil

import pytest

import lawfit.schedules

MODULES = ["lawfit.schedules"] + [
    f"lawfit.schedules.{m.name}" for m in pkgutil.iter_modules(lawfit.schedules.__path__)
] + ["lawfit.plot._schedules"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
