"""Every department's extract, declared once: one module per source (`sources/<name>.py`,
each defining `SOURCE`), found here by looking, so adding a department is adding a module."""

from __future__ import annotations

import importlib
import pkgutil

from sources.contract import Source

SOURCES: dict[str, Source] = {
    declared.name: declared
    for declared in (
        importlib.import_module(f"{__name__}.{module.name}").SOURCE
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if module.name != "contract"
    )
}
