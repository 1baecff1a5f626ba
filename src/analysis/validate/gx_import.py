"""Great Expectations' import, without the modules it loads for expectations this project never runs.

``import great_expectations`` loads every core expectation, and one of them (the KL-divergence
test) imports ``scipy.stats`` and ``altair`` at module level, although it only uses them when it
runs. This project's suites never use it (:mod:`analysis.validate.checks`), yet the two imports
are a third of GX's import time (about 3.5 of 10.8 s on the 2-core machine), paid by every run that
validates a row: on count night, ingest waits for it.

:func:`import_gx` puts a stand-in in their place first. A stand-in is an empty module that imports
the real one the first time anything is asked of it and hands over to it: the real module takes
its place. The stand-ins are only in ``sys.modules`` while GX is imported: then they are taken out,
so anyone else imports the real modules the usual way (submodules included), and GX's own names for
them, still stand-ins, are answered by the real ones once loaded. Nothing is skipped: the code that
needs them gets them, only later.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types
from typing import Any

#: Modules GX imports eagerly for expectations the suites never use, each loaded at first use.
DEFERRED: tuple[str, ...] = ("scipy.stats", "altair")

_LOCK = threading.RLock()


class _StandIn(types.ModuleType):
    """An empty module that becomes the real one at the first attribute asked of it."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(_real(self.__name__), attr)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if only its stand-in was there."""
    with _LOCK:
        held = sys.modules.get(name)
        if not isinstance(held, _StandIn):
            return held if held is not None else importlib.import_module(name)
        del sys.modules[name]
        parent, _, child = name.rpartition(".")
        package = sys.modules.get(parent) if parent else None
        if package is not None and package.__dict__.get(child) is held:
            delattr(package, child)
        return importlib.import_module(name)  # binds it in its package too


def _stand_in(name: str) -> bool:
    """Put a stand-in for ``name`` where an import would find it (unless it is already loaded);
    whether one was put."""
    if name in sys.modules:
        return False
    parent, _, child = name.rpartition(".")
    module = _StandIn(name)
    sys.modules[name] = module
    if parent:
        setattr(importlib.import_module(parent), child, module)
    return True


def _withdraw(name: str) -> None:
    """Take an unused stand-in back out of ``sys.modules`` and its package: whoever imports the
    module from now on imports the real one the usual way (its submodules too); GX's own names
    for it stay stand-ins, which import it at first use."""
    held = sys.modules.get(name)
    if not isinstance(held, _StandIn):
        return
    del sys.modules[name]
    parent, _, child = name.rpartition(".")
    package = sys.modules.get(parent) if parent else None
    if package is not None and package.__dict__.get(child) is held:
        delattr(package, child)


def import_gx() -> types.ModuleType:
    """``great_expectations``, imported with :data:`DEFERRED` standing in (analytics off); the
    stand-ins are withdrawn as soon as GX is imported."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with _LOCK:
        if "great_expectations" not in sys.modules:
            placed = [name for name in DEFERRED if _stand_in(name)]
            try:
                importlib.import_module("great_expectations")
            finally:
                for name in placed:
                    _withdraw(name)
    return importlib.import_module("great_expectations")
