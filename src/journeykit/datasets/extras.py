"""The one door for the optional ``datasets`` extra: imported lazily, with the install command.

``journeykit --help`` must not pay for pandas, and a missing package must say exactly how to get
it. Data files of a package are found without importing it, because importing ``lifetimes``
configures pandas in a way pandas 3 warns about.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from journeykit.errors import JourneykitError

EXTRA = "datasets"
INSTALL = f"pip install 'journeykit[{EXTRA}]'"


class MissingExtra(JourneykitError):
    """An optional package of the ``datasets`` extra is not installed."""

    def __init__(self, package: str, purpose: str) -> None:
        self.package = package
        self.purpose = purpose
        super().__init__(
            f"{purpose} needs the package '{package}', which is not installed — run: {INSTALL}"
        )


def require(module: str, package: str, purpose: str) -> ModuleType:
    """Import ``module`` (from PyPI ``package``) or raise MissingExtra with the install command."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module and not module.startswith(f"{error.name}."):
            raise
        raise MissingExtra(package, purpose) from None


def package_file(module: str, package: str, purpose: str, *parts: str) -> Path:
    """A data file shipped inside an installed package, located without importing the package."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtra(package, purpose)
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise JourneykitError(
            f"{path}: the data file of '{package}' is missing — reinstall it: "
            f"pip install --force-reinstall {package}"
        )
    return path
