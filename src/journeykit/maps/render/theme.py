"""The look of a rendered map in one place: sizes, fonts and colours.

Sizes are CSS px at print scale 1: an A3 landscape page holds about 1510 px across, so a five-stage
map prints at its natural size with 12 px body text (9 pt). Colours are chosen to survive greyscale
printing: severity and emotion also carry a number or a face, never colour alone.
"""

from __future__ import annotations

from journeykit.maps.render.metrics import Font

# geometry
MARGIN = 32.0
LABEL_WIDTH = 160.0
COLUMN_WIDTH = 240.0
MIN_CANVAS_WIDTH = 1512.0
CELL_PAD = 10.0
CARD_PAD = 8.0
GAP = 8.0
RADIUS = 6.0
ICON = 16.0

# fonts
TITLE = Font(28, "bold")
SUBTITLE = Font(14)
HEADING = Font(15, "bold")
SLOT = Font(20, "bold")
LANE = Font(13, "bold")
BODY = Font(12)
BODY_BOLD = Font(12, "bold")
QUOTE = Font(12, "italic")
SMALL = Font(10.5)
SMALL_BOLD = Font(10.5, "bold")
CAPTION = Font(9.5, "bold")

# neutral colours
INK = "#1F2733"
MUTED = "#5B6678"
FAINT = "#8A94A6"
RULE = "#D8DEE8"
GRID = "#E6EAF0"
PAPER = "#FFFFFF"
STRIPE = "#F7F9FC"
LABEL_FILL = "#EEF2F7"
CARD_BORDER = "#CCD4E0"

# one colour per stage column, repeated after eight stages
STAGE_COLOURS = (
    "#2F6DB5", "#1E8C7E", "#6E56C2", "#C96A1E", "#B23D6E", "#3E8A4F", "#9A7422", "#4F5F80",
)  # fmt: skip

# severity 1 (minor) … 5 (blocks the journey): badge fill, badge text, card tint, card border
SEVERITY_FILL = ("#FFF1A8", "#FFD45C", "#FFA24A", "#EE5F3B", "#A8201A")
SEVERITY_TEXT = (INK, INK, INK, "#FFFFFF", "#FFFFFF")
SEVERITY_TINT = ("#FFFCE8", "#FFF7DA", "#FFF1E3", "#FDE8E2", "#F8DEDC")
SEVERITY_BORDER = ("#D9C456", "#E0AE2C", "#E0862E", "#D0502E", "#A8201A")

# emotion −2 … +2: face colours and the tinted halves of the curve lane
EMOTION_FILL = ("#D64541", "#F08A4B", "#F2C94C", "#8CC97A", "#3FA45B")
POSITIVE_TINT = "#F1F9F3"
NEGATIVE_TINT = "#FCF1F1"
CURVE = "#2E3A4D"
MEASURED = "#7A3FC1"

# lane cards
THOUGHT_FILL = "#F4F1FB"
THOUGHT_BORDER = "#CFC4EC"
OPPORTUNITY_FILL = "#EAF6EF"
OPPORTUNITY_BORDER = "#86C59D"
KPI_FILL = "#EEF3FB"
KPI_BORDER = "#AFC3E4"
GOOD = "#1E7A3C"
BAD = "#B3261E"
BLUEPRINT_FILL = {"frontstage": "#E6F1FC", "backstage": "#EFEAF8", "support": "#EEF0F3"}
BLUEPRINT_BORDER = {"frontstage": "#9CC3EC", "backstage": "#BFAEE3", "support": "#C3C9D3"}
BLUEPRINT_LINE = "#4F5F80"

# opportunity status: pill fill, pill text
STATUS_COLOURS = {
    "idea": ("#E4E8EE", INK),
    "planned": ("#D6E6FA", "#1B4F8F"),
    "in-progress": ("#FFE9C2", "#7A4B00"),
    "done": ("#D3F0DC", "#1E6B36"),
}


def stage_colour(index: int) -> str:
    """The header colour of the stage at ``index`` (0-based)."""
    return STAGE_COLOURS[index % len(STAGE_COLOURS)]


def tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white: 0 keeps it, 1 is white (for light cell backgrounds)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02X}" for c in mixed)
