"""Modules that load on first attribute access, so a command that never uses them never pays for them."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any


def lazy_import(name: str) -> Any:
    """The module `name`, executed only when one of its attributes is first used (importlib's LazyLoader)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def is_loaded(name: str) -> bool:
    """Whether `name` has really been executed (a lazy module not yet touched does not count)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, importlib.util._LazyModule)  # type: ignore[attr-defined]
