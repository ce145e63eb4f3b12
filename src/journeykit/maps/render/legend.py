"""The legend: what the icons, colours and lines on this map mean — only for what the map shows."""

from __future__ import annotations

from collections.abc import Sequence

from journeykit.maps.model import Friction, OpportunityStatus
from journeykit.maps.render import icons, theme
from journeykit.maps.render.blocks import Column, Drawn, block_width, flow, pill, text_block
from journeykit.maps.render.context import Context
from journeykit.maps.render.metrics import text_width
from journeykit.maps.render.scene import Box, Icon, Line, Polygon, Rect, Shape
from journeykit.maps.vocab import Channel, Device

PAD = 14.0
GROUP_GAP = 36.0
MAX_GROUP = 560.0


def legend(x: float, y: float, width: float, ctx: Context) -> Drawn:
    """A framed legend with one group per kind of mark; groups flow and wrap across ``width``."""
    inner = width - 2 * PAD
    column = Column(x + PAD, y + PAD, inner)
    column.text(ctx.t("legend").upper(), theme.CAPTION, theme.MUTED)
    column.skip(8)
    groups = [_group(caption, entries, min(inner, MAX_GROUP)) for caption, entries in _groups(ctx)]
    placed = flow(column.x, column.cursor, inner, groups, gap=GROUP_GAP, row_gap=14)
    column.drawn(placed.shapes)
    column.skip(placed.height)
    height = column.height + 2 * PAD
    frame = Rect(Box(x, y, width, height), theme.PAPER, theme.RULE, 10)
    return Drawn([frame, *column.shapes], height)


def _group(caption: str, entries: list[Drawn], width: float) -> Drawn:
    """A caption above entries that flow within ``width``; built at (0, 0)."""
    title_width = min(width, text_width(caption, theme.SMALL_BOLD) + 1)
    title = text_block(0, 0, title_width, caption, theme.SMALL_BOLD, theme.INK)
    natural = sum(block_width(entry) + 14 for entry in entries)
    body = flow(0, title.box.h + 6, min(width, max(natural, 1.0)), entries, gap=14, row_gap=6)
    return Drawn([title, *body.shapes], title.box.h + 6 + body.height)


def _entry(marks: Sequence[Shape], mark_width: float, label: str) -> Drawn:
    """Marks in a ``mark_width`` slot followed by a label, on one line at (0, 0)."""
    font = theme.SMALL
    label_box = text_block(mark_width + 6, 1, text_width(label, font) + 1, label, font, theme.INK)
    return Drawn([*marks, label_box], max(16.0, label_box.box.h + 2))


def _icon_entry(symbol: str, label: str, colour: str = theme.INK) -> Drawn:
    return _entry([Icon(symbol, Box(0, 0, 16, 16), colour)], 16, label)


def _groups(ctx: Context) -> list[tuple[str, list[Drawn]]]:
    stages = ctx.stages
    groups = [(ctx.t("legend.emotion"), _emotion_entries(ctx))]
    if any(stage.pain_points for stage in stages):
        frictions = [
            _icon_entry(icons.friction_symbol(f), ctx.t(f"friction.{f.value}")) for f in Friction
        ]
        groups.append((ctx.t("legend.friction"), frictions))
        groups.append((ctx.t("legend.severity"), _severity_entries()))
    if any(stage.opportunities for stage in stages):
        groups.append((ctx.t("legend.status"), _status_entries(ctx)))
    channels = _channel_entries(ctx)
    if channels:
        groups.append((ctx.t("legend.channels"), channels))
    return groups


def _emotion_entries(ctx: Context) -> list[Drawn]:
    planned: list[Shape] = [
        Line(0, 8, 34, 8, theme.CURVE, 2.5),
        Icon(icons.face_symbol(1), Box(9, 0, 16, 16), theme.INK),
    ]
    entries = [_entry(planned, 34, ctx.t("emotion.planned"))]
    if ctx.measured:
        diamond = ((17, 3), (22, 8), (17, 13), (12, 8))
        measured: list[Shape] = [
            Line(0, 8, 34, 8, theme.MEASURED, 2.0, dashed=True),
            Polygon(diamond, theme.PAPER, theme.MEASURED),
        ]
        entries.append(_entry(measured, 34, ctx.t("emotion.measured")))
    faces: list[Shape] = [
        Icon(icons.face_symbol(score), Box(18 * (score + 2), 0, 16, 16), theme.INK)
        for score in range(-2, 3)
    ]
    entries.append(_entry(faces, 88, "−2 … +2"))
    return entries


def _severity_entries() -> list[Drawn]:
    font = theme.SMALL_BOLD
    fills = zip(theme.SEVERITY_FILL, theme.SEVERITY_TEXT, strict=True)
    return [
        pill(0, 0, str(level), font, fill, text, 40) for level, (fill, text) in enumerate(fills, 1)
    ]


def _status_entries(ctx: Context) -> list[Drawn]:
    entries = []
    for status in OpportunityStatus:
        fill, colour = theme.STATUS_COLOURS[status.value]
        entries.append(
            pill(0, 0, ctx.t(f"status.{status.value}"), theme.SMALL_BOLD, fill, colour, 200)
        )
    return entries


def _channel_entries(ctx: Context) -> list[Drawn]:
    """Icons for the channels and devices this map uses, in vocabulary order."""
    touchpoints = ctx.journey_map.touchpoints
    used_channels = {tp.channel for tp in touchpoints} | set(
        ctx.journey_map.persona.preferred_channels
    )
    used_devices = {tp.device for tp in touchpoints if tp.device is not None}
    entries = [
        _icon_entry(icons.channel_symbol(c), ctx.t(f"channel.{c.value}"), theme.MUTED)
        for c in Channel
        if c in used_channels
    ]
    entries += [
        _icon_entry(icons.device_symbol(d), ctx.t(f"device.{d.value}"), theme.MUTED)
        for d in Device
        if d in used_devices
    ]
    return entries
