"""The store's user-facing errors: each names the store URL or file and says how to fix it."""

from __future__ import annotations

from journeykit.errors import JourneykitError


class StoreError(JourneykitError):
    """Something about the configured store is wrong (exit 1 in the CLI)."""


class StoreUrlInvalid(StoreError):
    """A store URL that no engine understands."""

    def __init__(self, url: str, reason: str, hint: str) -> None:
        self.url = url
        self.reason = reason
        self.hint = hint
        super().__init__(f"store URL '{url}': {reason} — {hint}")


class StoreBusy(StoreError):
    """Another process held the store's file lock for longer than we were willing to wait."""

    def __init__(self, path: str, waited: float, holder: str) -> None:
        self.path = path
        self.waited = waited
        self.holder = holder
        super().__init__(
            f"{path}: the store is in use by {holder} and stayed locked for {waited:.0f} s — "
            "wait for that command to finish (a large `journeykit ingest` holds the store for "
            "the whole file) or raise JOURNEYKIT_LOCK_TIMEOUT (seconds)"
        )


class ExtraMissing(StoreError):
    """An optional dependency is not installed; the message carries the exact pip command."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        self.feature = feature
        self.extra = extra
        self.module = module
        super().__init__(
            f"{feature} needs the Python package '{module}', which is not installed — "
            f"run: pip install 'journeykit[{extra}]'"
        )


class SchemaTooNew(StoreError):
    """The store was migrated by a newer journeykit than this one."""

    def __init__(self, component: str, found: int, known: int) -> None:
        self.component = component
        self.found = found
        self.known = known
        super().__init__(
            f"the store's '{component}' tables are at schema version {found}, this journeykit "
            f"knows up to {known} — upgrade journeykit (pip install -U journeykit)"
        )
