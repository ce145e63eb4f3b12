"""The cards inside a lane cell: one function per kind of lane item, each measured then drawn.

A card takes its top-left corner and width and returns its shapes and height; the lane stacks cards
and grows the row to the tallest cell.
"""

from __future__ import annotations

from journeykit.maps.kpis import METRICS
from journeykit.maps.model import Comparison, Kpi, Opportunity, PainPoint, Touchpoint
from journeykit.maps.render import icons, theme
from journeykit.maps.render.blocks import Column, Drawn, chip, flow, pill, text_block
from journeykit.maps.render.context import Context
from journeykit.maps.render.metrics import text_width
from journeykit.maps.render.numbers import format_number, format_value
from journeykit.maps.render.scene import Box, Circle, Icon, Rect, Shape
from journeykit.maps.vocab import Device

PAD = theme.CARD_PAD


def _boxed(x: float, y: float, width: float, column: Column, fill: str, border: str) -> Drawn:
    """A card background behind a column of content, with padding on every side."""
    height = column.height + 2 * PAD
    background = Rect(Box(x, y, width, height), fill, border, theme.RADIUS)
    return Drawn([background, *column.shapes], height)


def note(x: float, y: float, width: float, words: str, fill: str, border: str) -> Drawn:
    """A plain note: customer actions and the service blueprint lanes."""
    column = Column(x + PAD, y + PAD, width - 2 * PAD)
    column.text(words, theme.BODY)
    return _boxed(x, y, width, column, fill, border)


def goal(x: float, y: float, width: float, words: str, colour: str) -> Drawn:
    """A goal as a bullet in the stage's colour: lighter than a card, it reads as intent."""
    column = Column(x, y, width)
    column.bullet(words, theme.BODY, colour, gap=0)
    return Drawn(column.shapes, column.height)


def thought(x: float, y: float, width: float, words: str, ctx: Context) -> Drawn:
    """A thought bubble with the customer's words in quotation marks."""
    column = Column(x + PAD + 2, y + PAD, width - 2 * PAD - 4)
    column.text(ctx.quoted(words), theme.QUOTE)
    height = column.height + 2 * PAD
    bubble = Rect(Box(x, y, width, height), theme.THOUGHT_FILL, theme.THOUGHT_BORDER, 10)
    tail = [
        Circle(x + 16, y + height + 3, 3, theme.THOUGHT_FILL, theme.THOUGHT_BORDER),
        Circle(x + 9, y + height + 7, 1.8, theme.THOUGHT_FILL, theme.THOUGHT_BORDER),
    ]
    return Drawn([bubble, *tail, *column.shapes], height + 9)


def touchpoint(
    x: float, y: float, width: float, tp: Touchpoint, colour: str, ctx: Context
) -> Drawn:
    """A touchpoint: channel icon on the stage colour, name, channel · device, description."""
    badge = 30.0
    column = Column(x + PAD + badge + 8, y + PAD, width - 2 * PAD - badge - 8)
    column.text(tp.name, theme.BODY_BOLD)
    caption = ctx.t(f"channel.{tp.channel.value}")
    if tp.device is None:
        column.text(caption, theme.SMALL, theme.MUTED, gap=2)
    else:
        _device_caption(column, tp.device, f"{caption} · {ctx.t(f'device.{tp.device.value}')}")
    if tp.description:
        column.text(tp.description, theme.SMALL, theme.INK, gap=3)
    volume = ctx.overlay.touchpoint_volumes.get(tp.id)
    if volume is not None:
        label = f"{format_number(volume, ctx.lang)} {ctx.t('volume')}"
        fill = theme.tint(colour, 0.85)
        drawn = pill(
            column.x, column.cursor + 4, label, theme.SMALL_BOLD, fill, theme.INK, column.width
        )
        column.drawn(drawn.shapes)
        column.skip(4 + drawn.height)
    height = max(column.height, badge) + 2 * PAD
    cx, cy = x + PAD + badge / 2, y + PAD + badge / 2
    shapes: list[Shape] = [
        Rect(Box(x, y, width, height), theme.PAPER, theme.CARD_BORDER, theme.RADIUS),
        Circle(cx, cy, badge / 2, colour),
        Icon(icons.channel_symbol(tp.channel), Box(cx - 9, cy - 9, 18, 18), theme.PAPER),
    ]
    return Drawn(shapes + column.shapes, height)


def _device_caption(column: Column, device: Device, caption: str) -> None:
    """The channel · device caption with the device's icon in front."""
    size = 12.0
    block = column.text(caption, theme.SMALL, theme.MUTED, indent=size + 4, gap=2)
    if block is not None:
        top = block.box.y + (theme.SMALL.line_height - size) / 2
        icon = Icon(icons.device_symbol(device), Box(column.x, top, size, size), theme.MUTED)
        column.shapes.append(icon)


def pain_point(x: float, y: float, width: float, pp: PainPoint, ctx: Context) -> Drawn:
    """A pain point: friction icon and type, severity badge in its colour, text and evidence."""
    level = pp.severity - 1
    column = Column(x + PAD, y + PAD, width - 2 * PAD)
    label = str(pp.severity)
    badge_width = text_width(label, theme.SMALL_BOLD) + 13
    fill, colour = theme.SEVERITY_FILL[level], theme.SEVERITY_TEXT[level]
    badge_x = column.x + column.width - badge_width
    badge = pill(badge_x, column.y, label, theme.SMALL_BOLD, fill, colour, badge_width)
    column.drawn(badge.shapes)
    friction = ctx.t(f"friction.{pp.friction.value}")
    header = _icon_header(column, icons.friction_symbol(pp.friction), friction, badge_width + 6)
    column.cursor = column.y + max(header, badge.height)
    column.text(pp.description, theme.BODY, gap=4)
    footer = pp.id
    if pp.touchpoint and pp.touchpoint in ctx.touchpoint_names:
        footer += f" · {ctx.t('touchpoint')}: {ctx.touchpoint_names[pp.touchpoint]}"
    column.text(footer, theme.SMALL, theme.MUTED, gap=4)
    if pp.evidence:
        column.text(f"{ctx.t('evidence')}: {pp.evidence}", theme.SMALL, theme.MUTED, gap=2)
    return _boxed(x, y, width, column, theme.SEVERITY_TINT[level], theme.SEVERITY_BORDER[level])


def _icon_header(column: Column, symbol: str, label: str, reserve: float) -> float:
    """An icon and a bold caption at the top of a card; returns the header height."""
    size = theme.ICON
    column.shapes.append(Icon(symbol, Box(column.x, column.y + 1, size, size), theme.INK))
    width = column.width - size - 6 - reserve
    caption = text_block(
        column.x + size + 6, column.y + 2, width, label, theme.SMALL_BOLD, theme.INK
    )
    column.shapes.append(caption)
    return max(size + 2, caption.box.h + 2)


def opportunity(x: float, y: float, width: float, opp: Opportunity, ctx: Context) -> Drawn:
    """An opportunity: status pill, text, a chip per pain point it addresses, owner."""
    column = Column(x + PAD, y + PAD, width - 2 * PAD)
    size = theme.ICON
    column.shapes.append(Icon("bulb", Box(column.x, column.y + 1, size, size), theme.GOOD))
    fill, colour = theme.STATUS_COLOURS[opp.status.value]
    label = ctx.t(f"status.{opp.status.value}")
    left = size + 6
    status = pill(
        column.x + left, column.y, label, theme.SMALL_BOLD, fill, colour, column.width - left
    )
    column.drawn(status.shapes)
    column.cursor = column.y + max(size + 2, status.height)
    column.text(opp.description, theme.BODY, gap=4)
    chips = [_link_chip(ref, column.width, ctx) for ref in opp.addresses]
    if chips:
        links = flow(column.x, column.cursor + 6, column.width, chips)
        column.drawn(links.shapes)
        column.skip(6 + links.height)
    if opp.owner:
        column.text(f"{ctx.t('owner')}: {opp.owner}", theme.SMALL, theme.MUTED, gap=4)
    return _boxed(x, y, width, column, theme.OPPORTUNITY_FILL, theme.OPPORTUNITY_BORDER)


def _link_chip(ref: str, max_width: float, ctx: Context) -> Drawn:
    """The chip "→ löst pp-id", coloured like the pain point it points to."""
    target = ctx.pain_points.get(ref)
    level = target.severity - 1 if target is not None else 0
    fill = theme.SEVERITY_TINT[level] if target is not None else theme.LABEL_FILL
    border = theme.SEVERITY_BORDER[level] if target is not None else theme.RULE
    return chip(0, 0, f"→ {ctx.t('addresses')} {ref}", theme.SMALL, fill, border, max_width)


def kpi(x: float, y: float, width: float, item: Kpi, stage_id: str, ctx: Context) -> Drawn:
    """A KPI chip: catalog label, target with comparison, and the actual value when known."""
    metric = METRICS[item.metric]
    comparison = item.effective_comparison()
    column = Column(x + PAD, y + PAD, width - 2 * PAD)
    column.text(metric.label(ctx.lang), theme.SMALL_BOLD)
    target = format_value(item.target, metric.unit, ctx.lang)
    column.text(f"{ctx.t('kpi.target')} {ctx.t(f'kpi.{comparison.value}')} {target}", theme.BODY)
    actual = ctx.overlay.kpi_actuals.get(stage_id, {}).get(item.metric)
    if actual is not None:
        met = actual >= item.target if comparison is Comparison.AT_LEAST else actual <= item.target
        shown = format_value(actual, metric.unit, ctx.lang)
        label = f"{ctx.t('kpi.actual')} {shown} {'✓' if met else '✗'}"
        column.text(label, theme.BODY_BOLD, theme.GOOD if met else theme.BAD)
    return _boxed(x, y, width, column, theme.KPI_FILL, theme.KPI_BORDER)
