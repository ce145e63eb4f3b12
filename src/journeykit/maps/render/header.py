"""The map's header: title, map type, description, and the persona card the map is drawn for."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from journeykit.maps.model import Persona, Scalar
from journeykit.maps.render import icons, theme
from journeykit.maps.render.blocks import Column, Drawn, block_width, pill
from journeykit.maps.render.context import Context
from journeykit.maps.render.numbers import format_number
from journeykit.maps.render.scene import Box, Circle, Icon, Line, Rect, Shape, Text

AVATAR = 64.0
CARD_PAD = 16.0
SECTION_GAP = 28.0
DESCRIPTION_WIDTH = 1100.0


def header(x: float, y: float, width: float, ctx: Context) -> Drawn:
    """Title block and persona card, ``width`` px wide, starting at (x, y)."""
    journey_map = ctx.journey_map
    column = Column(x, y, width)
    column.text(journey_map.title, theme.TITLE)
    _meta_row(column, ctx)
    if journey_map.description:
        narrow = Column(x, column.cursor, min(width, DESCRIPTION_WIDTH))
        narrow.text(journey_map.description, theme.SUBTITLE, theme.MUTED, gap=10)
        column.drawn(narrow.shapes)
        column.skip(narrow.height)
    card = persona_card(x, column.cursor + 18, width, journey_map.persona, ctx)
    column.drawn(card.shapes)
    column.skip(18 + card.height)
    return Drawn(column.shapes, column.height)


def _meta_row(column: Column, ctx: Context) -> None:
    """The map type as a dark pill, the "live" pill with the measured period, then the owner."""
    journey_map = ctx.journey_map
    kind = ctx.t(f"type.{journey_map.type.value}")
    top = column.cursor + 6
    meta = pill(column.x, top, kind, theme.SMALL_BOLD, theme.INK, theme.PAPER, column.width)
    column.drawn(meta.shapes)
    row_height = meta.height
    if ctx.overlay.period is not None:
        x = block_width(meta) + 8
        live = pill(x, top, _live_label(ctx), theme.SMALL_BOLD, theme.GOOD, theme.PAPER, 400)
        column.drawn(live.shapes)
        meta = live
    if journey_map.owner:
        used = block_width(meta) - column.x + 12
        owner = Column(column.x + used, top + 2, column.width - used)
        owner.text(f"{ctx.t('owner')}: {journey_map.owner}", theme.SMALL, theme.MUTED)
        column.drawn(owner.shapes)
        row_height = max(row_height, owner.height + 2)
    column.skip(6 + row_height)


def _live_label(ctx: Context) -> str:
    """ "Live · 01.01.2024 – 30.06.2024": the days whose events the numbers come from."""
    assert ctx.overlay.period is not None
    first, last = ctx.overlay.period
    pattern = "%d.%m.%Y" if ctx.lang == "de" else "%Y-%m-%d"
    return f"{ctx.t('live')} · {first.strftime(pattern)} – {last.strftime(pattern)}"


def persona_card(x: float, y: float, width: float, persona: Persona, ctx: Context) -> Drawn:
    """Avatar and the persona's sections side by side; as tall as the longest section."""
    inner_x = x + CARD_PAD + AVATAR + 20
    inner_width = x + width - CARD_PAD - inner_x
    sections = _sections(persona, ctx)
    weights = [weight for weight, _ in sections]
    unit = (inner_width - SECTION_GAP * (len(sections) - 1)) / sum(weights)
    shapes: list[Shape] = []
    height = AVATAR
    cursor = inner_x
    for weight, fill in sections:
        column = Column(cursor, y + CARD_PAD, unit * weight)
        fill(column)
        shapes += column.shapes
        height = max(height, column.height)
        cursor += unit * weight + SECTION_GAP
    height += 2 * CARD_PAD
    card = Rect(Box(x, y, width, height), "#F5F7FB", theme.RULE, 10)
    return Drawn([card, *_avatar(x + CARD_PAD, y + CARD_PAD, persona.name), *shapes], height)


def _avatar(x: float, y: float, name: str) -> list[Shape]:
    initial = next((char.upper() for char in name if char.isalpha()), "?")
    font = theme.TITLE
    radius = AVATAR / 2
    box = Box(x, y + radius - font.line_height / 2, AVATAR, font.line_height)
    return [
        Circle(x + radius, y + radius, radius, "#34465F"),
        Text(box, (initial,), font, theme.PAPER, "middle"),
    ]


Section = tuple[float, Callable[[Column], None]]


def _sections(persona: Persona, ctx: Context) -> list[Section]:
    """(relative width, drawer) of each section the persona has content for."""
    sections: list[Section] = [(2.2, partial(_identity, persona=persona, ctx=ctx))]
    if persona.demographics:
        sections.append((1.0, partial(_profile, demographics=persona.demographics, ctx=ctx)))
    if persona.goals:
        goals = ctx.t("persona.goals")
        sections.append(
            (1.3, partial(_bullets, caption=goals, items=persona.goals, colour=theme.GOOD))
        )
    if persona.frustrations:
        pains = ctx.t("persona.frustrations")
        items = persona.frustrations
        sections.append((1.3, partial(_bullets, caption=pains, items=items, colour=theme.BAD)))
    if persona.preferred_channels:
        sections.append((1.0, partial(_channels, persona=persona, ctx=ctx)))
    return sections


def _caption(column: Column, label: str) -> None:
    column.text(label.upper(), theme.CAPTION, theme.MUTED)
    column.skip(4)


def _identity(column: Column, persona: Persona, ctx: Context) -> None:
    _caption(column, ctx.t("persona"))
    column.text(persona.name, theme.HEADING)
    if persona.description:
        column.text(persona.description, theme.BODY, gap=4)
    if persona.quote:
        column.skip(8)
        top = column.cursor
        column.text(ctx.quoted(persona.quote), theme.QUOTE, "#34465F", indent=10)
        column.shapes.append(Line(column.x + 1.5, top, column.x + 1.5, column.cursor, "#9AA8BD", 3))


def _profile(column: Column, demographics: dict[str, Scalar], ctx: Context) -> None:
    _caption(column, ctx.t("persona.profile"))
    for key, value in demographics.items():
        column.text(f"{key}: {_scalar(value, ctx.lang)}", theme.BODY, gap=2)


def _scalar(value: Scalar, lang: str) -> str:
    """A demographic value: years and ages stay "1990", "34"; large amounts get separators."""
    if isinstance(value, bool):
        return "✓" if value else "–"
    if isinstance(value, str):
        return value
    if abs(value) >= 10000:
        return format_number(value, lang)
    plain = str(value) if isinstance(value, int) else f"{value:.2f}".rstrip("0").rstrip(".")
    return plain.replace(".", ",") if lang == "de" else plain


def _bullets(column: Column, caption: str, items: list[str], colour: str) -> None:
    _caption(column, caption)
    for item in items:
        column.bullet(item, theme.BODY, colour)


def _channels(column: Column, persona: Persona, ctx: Context) -> None:
    _caption(column, ctx.t("persona.channels"))
    size = 18.0
    for channel in persona.preferred_channels:
        block = column.text(ctx.t(f"channel.{channel.value}"), theme.BODY, indent=size + 8, gap=5)
        if block is not None:
            top = block.box.y + (theme.BODY.line_height - size) / 2
            box = Box(column.x, top, size, size)
            column.shapes.append(Icon(icons.channel_symbol(channel), box, "#34465F"))
