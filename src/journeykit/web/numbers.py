"""Numbers as people read them on the analytics pages, with German or English separators."""

from __future__ import annotations

DE_TABLE = str.maketrans({",": ".", ".": ","})
PLOTLY_SEPARATORS = {"de": ",.", "en": ".,"}
"""plotly's ``layout.separators``: the decimal mark, then the thousands separator."""


def localized(text: str, lang: str) -> str:
    """An English-formatted number (``1,234.5``) in the language's separators (``1.234,5``)."""
    return text.translate(DE_TABLE) if lang == "de" else text


def count(value: int | float, lang: str) -> str:
    return localized(f"{value:,.0f}", lang)


def percent(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    return localized(f"{value * 100:,.{digits}f}", lang) + (" %" if lang == "de" else "%")


def duration(seconds: float | None, lang: str) -> str:
    """Seconds as 45s, 12m, 3.5h or 2.1d (days as ``T`` in German)."""
    if seconds is None:
        return "—"
    units = (("T" if lang == "de" else "d", 86400), ("h", 3600), ("m", 60))
    for unit, size in units:
        if seconds >= size:
            return localized(f"{seconds / size:.1f}", lang) + unit
    return f"{seconds:.0f}s"


def metric(value: float | None, unit: str, lang: str) -> str:
    """A KPI value by its catalog unit: ratios as percent, seconds as durations."""
    if value is None:
        return "—"
    if unit == "ratio":
        return percent(value, lang)
    if unit == "seconds":
        return duration(value, lang)
    if unit == "currency":
        return localized(f"{value:,.2f}", lang)
    if unit == "count":
        return count(value, lang)
    return localized(f"{value:,.2f}", lang)
