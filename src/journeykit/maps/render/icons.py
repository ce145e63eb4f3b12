"""The map's icons, drawn on a 24 × 24 grid and emitted once each as ``<symbol>``.

Icons are our own line drawings in ``currentColor`` (so one symbol serves white-on-colour and
grey-on-white), one per channel and device of the vocabulary, plus friction types, emotion faces and
lane markers. No icon font: the SVG must render offline and identically in every viewer.
"""

from __future__ import annotations

from journeykit.maps.model import Friction
from journeykit.maps.render import theme
from journeykit.maps.vocab import Channel, Device

_DOT = 'fill="currentColor" stroke="none"'

CHANNEL_ICONS: dict[Channel, str] = {
    Channel.WEB: (
        '<circle cx="12" cy="12" r="9"/><ellipse cx="12" cy="12" rx="4" ry="9"/>'
        '<path d="M3 12h18M4.6 7.5h14.8M4.6 16.5h14.8"/>'
    ),
    Channel.APP: (
        '<rect x="6" y="2.5" width="12" height="19" rx="2.5"/>'
        f'<path {_DOT} d="M8.5 6h3v3h-3zM12.5 6h3v3h-3zM8.5 10h3v3h-3zM12.5 10h3v3h-3z"/>'
        '<path d="M10.5 18.5h3"/>'
    ),
    Channel.EMAIL: (
        '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3.5 6.5 12 13l8.5-6.5"/>'
    ),
    Channel.SMS: (
        '<path d="M4 4.5h16a1 1 0 0 1 1 1V16a1 1 0 0 1-1 1h-9l-5 4v-4H4a1 1 0 0 1-1-1V5.5'
        'a1 1 0 0 1 1-1z"/>'
        f'<g {_DOT}><circle cx="8" cy="10.8" r="1.3"/><circle cx="12" cy="10.8" r="1.3"/>'
        '<circle cx="16" cy="10.8" r="1.3"/></g>'
    ),
    Channel.PUSH: (
        '<path d="M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 20.5a2 2 0 0 0 4 0"/>'
    ),
    Channel.ADS: (
        '<path d="M3 9.5h3.5L15 5v14l-8.5-4.5H3z"/>'
        '<path d="M18.5 9.5a3.5 3.5 0 0 1 0 5"/>'
        '<path d="M6.5 14.5 8 20h2.5"/>'
    ),
    Channel.SOCIAL: (
        '<circle cx="6" cy="12" r="2.6"/><circle cx="18" cy="5.5" r="2.6"/>'
        '<circle cx="18" cy="18.5" r="2.6"/><path d="m8.3 10.8 7.4-4M8.3 13.2l7.4 4"/>'
    ),
    Channel.SEARCH: '<circle cx="10.5" cy="10.5" r="6.5"/><path d="m15.3 15.3 5.7 5.7"/>',
    Channel.STORE: (
        '<path d="M3 9.5 5 4h14l2 5.5"/>'
        '<path d="M3 9.5a3 3 0 0 0 6 0 3 3 0 0 0 6 0 3 3 0 0 0 6 0"/>'
        '<path d="M5 12v8.5h14V12M10 20.5v-5h4v5"/>'
    ),
    Channel.PHONE: (
        '<path d="M6.6 3.5h2.8l1.5 4.1-2 1.6a11 11 0 0 0 5.9 5.9l1.6-2 4.1 1.5v2.8'
        'a2 2 0 0 1-2.2 2A16.5 16.5 0 0 1 4.6 5.7a2 2 0 0 1 2-2.2z"/>'
    ),
    Channel.CHAT: (
        '<path d="M3 4.5h11a1 1 0 0 1 1 1V12a1 1 0 0 1-1 1H8l-4 3v-3H3a1 1 0 0 1-1-1V5.5'
        'a1 1 0 0 1 1-1z"/>'
        '<path d="M17.5 8.5H21a1 1 0 0 1 1 1V16a1 1 0 0 1-1 1h-1v3l-4-3h-5a1 1 0 0 1-1-1v-.5"/>'
    ),
    Channel.MARKETPLACE: (
        '<path d="M4.5 8h15l-1.2 13H5.7z"/><path d="M9 10.5V6.5a3 3 0 0 1 6 0v4"/>'
    ),
    Channel.REVIEW: (
        '<path d="m12 3 2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z"/>'
    ),
    Channel.REFERRAL: (
        '<circle cx="9" cy="8" r="3.2"/><path d="M3 20a6 6 0 0 1 12 0"/>'
        '<circle cx="17" cy="9" r="2.6"/><path d="M15.5 14.3A4.8 4.8 0 0 1 21.5 19"/>'
    ),
    Channel.PRINT: (
        '<path d="M4 4h13v16H6a2 2 0 0 1-2-2z"/><path d="M17 8h3v10a2 2 0 0 1-2 2"/>'
        '<path d="M7 8h7M7 12h7M7 16h4"/>'
    ),
    Channel.MAIL: (
        '<rect x="2.5" y="6" width="19" height="13" rx="1.5"/>'
        '<rect x="15" y="8.5" width="4" height="4.5"/>'
        '<path d="M5.5 10h6.5M5.5 13.5h6.5M5.5 16.5h10"/>'
    ),
    Channel.DELIVERY: (
        '<path d="M2 5.5h11v10.5H2zM13 9h4.2l3.8 3.8V16h-8"/>'
        '<circle cx="6" cy="17.5" r="2"/><circle cx="17" cy="17.5" r="2"/>'
    ),
    Channel.EVENT: (
        '<rect x="3" y="5" width="18" height="16" rx="2"/>'
        '<path d="M3 10h18M8 3v4M16 3v4"/>'
        f'<circle {_DOT} cx="12" cy="15.5" r="2"/>'
    ),
    Channel.TV: (
        '<rect x="2.5" y="7" width="19" height="12" rx="1.5"/><path d="m8 3 4 4 4-4M8 21.5h8"/>'
    ),
    Channel.OTHER: (
        '<circle cx="12" cy="12" r="9"/>'
        f'<g {_DOT}><circle cx="8" cy="12" r="1.4"/><circle cx="12" cy="12" r="1.4"/>'
        '<circle cx="16" cy="12" r="1.4"/></g>'
    ),
}

DEVICE_ICONS: dict[Device, str] = {
    Device.DESKTOP: (
        '<rect x="3" y="4" width="18" height="12" rx="1.5"/><path d="M12 16v4M8.5 20h7"/>'
    ),
    Device.MOBILE: '<rect x="7" y="2.5" width="10" height="19" rx="2"/><path d="M11 18.5h2"/>',
    Device.TABLET: (
        f'<rect x="4.5" y="3" width="15" height="18" rx="2"/><circle {_DOT} cx="12" cy="18" r="1"/>'
    ),
    Device.IN_PERSON: '<circle cx="12" cy="7" r="3.6"/><path d="M5 21a7 7 0 0 1 14 0"/>',
    Device.TV: (
        '<rect x="2" y="5" width="20" height="12" rx="1.5"/><path d="m6 17-1.5 3M18 17l1.5 3"/>'
    ),
    Device.ANY: (
        '<rect x="2" y="4" width="14" height="10" rx="1"/><path d="M6 18h5M8.5 14v4"/>'
        '<rect x="15" y="8" width="7" height="13" rx="1.5" fill="#fff"/>'
    ),
}

FRICTION_ICONS: dict[Friction, str] = {
    Friction.INTERACTION: (
        f'<path {_DOT} d="M5 2.5 19.5 10l-6.3 1.9-2.7 6.6z"/><path d="m13.5 12.5 5.5 7"/>'
    ),
    Friction.EMOTIONAL: (
        f'<path {_DOT} d="M12 20.5s-7.5-4.6-9-9.3C1.9 7.7 4 4.5 7.3 4.5c2 0 3.6 1.1 4.7 2.8 '
        '1.1-1.7 2.7-2.8 4.7-2.8 3.3 0 5.4 3.2 4.3 6.7-1.5 4.7-9 9.3-9 9.3z"/>'
    ),
    Friction.COGNITIVE: (
        '<circle cx="12" cy="12" r="9.5" stroke-width="2.2"/>'
        '<path stroke-width="2.2" d="M9.3 9.4a2.7 2.7 0 1 1 3.9 2.4c-.8.4-1.2 1-1.2 1.9v.5"/>'
        f'<circle {_DOT} cx="12" cy="17.3" r="1.3"/>'
    ),
}

_MOUTHS = (
    "M7.5 17.5q4.5-5 9 0",
    "M8 16.5q4-2.4 8 0",
    "M8 15.5h8",
    "M8 14.5q4 3 8 0",
    "M7 13.5q5 6 10 0",
)

_BULB = (
    '<path d="M9 18h6M10 21h4"/>'
    '<path d="M12 3a6 6 0 0 0-3.5 10.9c.6.5 1 1.2 1 2v.1h5v-.1c0-.8.4-1.5 1-2A6 6 0 0 0 12 3z"/>'
)

OTHER_ICONS: dict[str, str] = {
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3.5 2"/>',
    "bulb": _BULB,
    "lane-goals": '<path d="M5 21V3.5M5 4h12l-2.5 4L17 12H5"/>',
    "lane-actions": (
        '<circle cx="12" cy="12" r="9"/><path d="M7.5 12h8.5M12.5 8.5 16 12l-3.5 3.5"/>'
    ),
    "lane-touchpoints": (
        '<circle cx="12" cy="12" r="4"/><path d="M12 2.5v4M12 17.5v4M2.5 12h4M17.5 12h4"/>'
    ),
    "lane-thoughts": (
        '<path d="M7 17a4 4 0 0 1-.6-8A5.5 5.5 0 0 1 17 8.2 4.5 4.5 0 0 1 17.5 17z"/>'
        '<circle cx="5" cy="20.5" r="1.3"/>'
    ),
    "lane-emotions": (
        '<circle cx="12" cy="12" r="9"/><path d="M8 14.5q4 3.5 8 0"/>'
        f'<g {_DOT}><circle cx="9" cy="9.5" r="1.2"/><circle cx="15" cy="9.5" r="1.2"/></g>'
    ),
    "lane-pain_points": '<path d="M13 2 4 14h7l-1 8 9-12h-7z"/>',
    "lane-opportunities": _BULB,
    "lane-kpis": '<path d="M3.5 20.5h17M7 20.5v-6M12 20.5V8M17 20.5v-10"/>',
    "lane-frontstage": '<circle cx="12" cy="7" r="3.6"/><path d="M5 21a7 7 0 0 1 14 0"/>',
    "lane-backstage": (
        '<circle cx="12" cy="12" r="3"/><circle cx="12" cy="12" r="7"/>'
        '<path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9 7 7M17 17l2.1 2.1M4.9 19.1 7 17'
        'M17 7l2.1-2.1"/>'
    ),
    "lane-support": '<path d="m12 3 9 5-9 5-9-5z"/><path d="m3 12.5 9 5 9-5M3 16.5l9 5 9-5"/>',
}


def _face(score: int) -> str:
    fill = theme.EMOTION_FILL[score + 2]
    return (
        f'<circle cx="12" cy="12" r="11" fill="{fill}" stroke="#FFFFFF" stroke-width="1.5"/>'
        f'<g fill="{theme.INK}" stroke="none"><circle cx="8.5" cy="9.5" r="1.5"/>'
        f'<circle cx="15.5" cy="9.5" r="1.5"/></g>'
        f'<path d="{_MOUTHS[score + 2]}" stroke="{theme.INK}" stroke-width="1.7"/>'
    )


def face_symbol(score: int) -> str:
    """The face for a planned emotion −2 … +2."""
    return f"face-{'m' if score < 0 else 'p' if score > 0 else ''}{abs(score)}"


SYMBOLS: dict[str, str] = {
    **{f"channel-{channel.value}": body for channel, body in CHANNEL_ICONS.items()},
    **{f"device-{device.value}": body for device, body in DEVICE_ICONS.items()},
    **{f"friction-{friction.value}": body for friction, body in FRICTION_ICONS.items()},
    **{face_symbol(score): _face(score) for score in range(-2, 3)},
    **OTHER_ICONS,
}


def channel_symbol(channel: Channel) -> str:
    return f"channel-{channel.value}"


def device_symbol(device: Device) -> str:
    return f"device-{device.value}"


def friction_symbol(friction: Friction) -> str:
    return f"friction-{friction.value}"
