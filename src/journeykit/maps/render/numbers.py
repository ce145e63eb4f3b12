"""Numbers as people read them in German and English: separators, units, signs.

German writes "1.234,5" and "3 %", English "1,234.5" and "3%"; a no-break space keeps a number and
its unit on one line when text wraps.
"""

from __future__ import annotations

from journeykit.i18n import text
from journeykit.maps.kpis import Unit

NBSP = "\u00a0"
MINUS = "\u2212"


def format_number(value: float, lang: str, max_decimals: int = 2) -> str:
    """``value`` with thousands separators and at most ``max_decimals`` decimals, zeros trimmed."""
    text = f"{abs(value):,.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "de":
        text = text.translate(str.maketrans(",.", ".,"))
    negative = value < 0 and text.strip("0.,") != ""
    return f"{MINUS}{text}" if negative else text


def format_signed(value: float, lang: str, max_decimals: int = 1) -> str:
    """A score with an explicit sign, as on the emotion axis: "+1,5", "−2", "0"."""
    text = format_number(value, lang, max_decimals)
    return text if text.startswith(MINUS) or text == "0" else f"+{text}"


def format_value(value: float, unit: Unit, lang: str) -> str:
    """A KPI value in its unit: ratios as percent, money in euro, durations in s or min."""
    if unit is Unit.RATIO:
        number = format_number(value * 100, lang)
        return f"{number}{NBSP}%" if lang == "de" else f"{number}%"
    if unit is Unit.CURRENCY:
        whole = float(value).is_integer()
        number = format_number(value, lang, 0) if whole else _two_decimals(value, lang)
        return f"{number}{NBSP}€" if lang == "de" else f"€{number}"
    if unit is Unit.SECONDS:
        if abs(value) >= 120:
            return f"{format_number(value / 60, lang, 1)}{NBSP}min"
        return f"{format_number(value, lang, 1)}{NBSP}s"
    if unit is Unit.RANK:
        return f"{text('kpi.rank', lang)}{NBSP}{format_number(value, lang, 1)}"
    return format_number(value, lang)


def _two_decimals(value: float, lang: str) -> str:
    """Money keeps both decimals ("0,50 €", not "0,5 €")."""
    text = f"{abs(value):,.2f}"
    if lang == "de":
        text = text.translate(str.maketrans(",.", ".,"))
    return f"{MINUS}{text}" if value < 0 else text
