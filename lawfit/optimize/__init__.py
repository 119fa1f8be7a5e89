"""``lawfit.optimize``: public names re-exported from the private modules of this package.

Each private module (``_name.py``, one concept per file) lists its public names in ``__all__``;
they are collected here on first access, so adding a module never touches this file.
"""

from lawfit._reexport import reexport_private_modules

__getattr__, __dir__ = reexport_private_modules(__name__, __path__)
