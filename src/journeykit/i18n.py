"""The one message catalog for labels people see (rendered maps, web pages), in German and English.

Keys are English snake_case; ``text(key, lang)`` falls back to English, then to the key itself, so a
missing translation shows up as visible text instead of an error.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # lanes of a journey map
    "lane.stages": {"de": "Phasen", "en": "Stages"},
    "lane.slots": {"de": "Tageszeit", "en": "Time of day"},
    "lane.goals": {"de": "Ziele", "en": "Goals"},
    "lane.actions": {"de": "Aktionen", "en": "Customer actions"},
    "lane.touchpoints": {"de": "Touchpoints", "en": "Touchpoints"},
    "lane.thoughts": {"de": "Gedanken", "en": "Thoughts"},
    "lane.emotions": {"de": "Emotionen", "en": "Emotions"},
    "lane.pain_points": {"de": "Pain Points", "en": "Pain points"},
    "lane.opportunities": {"de": "Chancen & Lösungen", "en": "Opportunities"},
    "lane.kpis": {"de": "KPIs & Ziele", "en": "KPIs & targets"},
    "lane.frontstage": {"de": "Frontstage", "en": "Frontstage"},
    "lane.backstage": {"de": "Backstage", "en": "Backstage"},
    "lane.support": {"de": "Unterstützende Prozesse", "en": "Support processes"},
    "lane.line_of_visibility": {"de": "Sichtbarkeitslinie", "en": "Line of visibility"},
    "lane.line_of_interaction": {"de": "Interaktionslinie", "en": "Line of interaction"},
    "lane.line_of_internal_interaction": {
        "de": "Linie der internen Interaktion",
        "en": "Line of internal interaction",
    },
    # map types
    "type.current-state": {"de": "Ist-Zustand", "en": "Current state"},
    "type.future-state": {"de": "Soll-Zustand", "en": "Future state"},
    "type.day-in-the-life": {"de": "Ein Tag im Leben", "en": "Day in the life"},
    "type.service-blueprint": {"de": "Service Blueprint", "en": "Service blueprint"},
    # friction
    "friction.interaction": {"de": "Interaktion", "en": "Interaction"},
    "friction.emotional": {"de": "Emotional", "en": "Emotional"},
    "friction.cognitive": {"de": "Kognitiv", "en": "Cognitive"},
    "severity": {"de": "Schwere", "en": "Severity"},
    # opportunity status
    "status.idea": {"de": "Idee", "en": "Idea"},
    "status.planned": {"de": "Geplant", "en": "Planned"},
    "status.in-progress": {"de": "In Arbeit", "en": "In progress"},
    "status.done": {"de": "Erledigt", "en": "Done"},
    # persona card
    "persona": {"de": "Persona", "en": "Persona"},
    "persona.goals": {"de": "Ziele", "en": "Goals"},
    "persona.frustrations": {"de": "Frustrationen", "en": "Frustrations"},
    "persona.channels": {"de": "Bevorzugte Kanäle", "en": "Preferred channels"},
    # emotions
    "emotion.planned": {"de": "geplant", "en": "planned"},
    "emotion.measured": {"de": "gemessen", "en": "measured"},
    # KPI chips
    "kpi.target": {"de": "Ziel", "en": "Target"},
    "kpi.at-least": {"de": "≥", "en": "≥"},
    "kpi.at-most": {"de": "≤", "en": "≤"},
    "kpi.actual": {"de": "Ist", "en": "Actual"},
    "kpi.rank": {"de": "Platz", "en": "rank"},
    # rendered maps: touchpoint cards, pain points, legend
    "touchpoint": {"de": "Touchpoint", "en": "Touchpoint"},
    "volume": {"de": "Kunden", "en": "customers"},
    "onward": {"de": "weiter", "en": "go on"},
    "live": {"de": "Live", "en": "Live"},
    "evidence": {"de": "Beleg", "en": "Evidence"},
    "persona.profile": {"de": "Steckbrief", "en": "Profile"},
    "legend.friction": {"de": "Reibungsart", "en": "Friction type"},
    "legend.severity": {
        "de": "Schwere: 1 gering … 5 blockiert",
        "en": "Severity: 1 minor … 5 blocking",
    },
    "legend.emotion": {"de": "Emotionskurve", "en": "Emotion curve"},
    "legend.status": {"de": "Status", "en": "Status"},
    "legend.channels": {"de": "Kanäle & Geräte", "en": "Channels & devices"},
    "channel.web": {"de": "Website", "en": "Website"},
    "channel.app": {"de": "App", "en": "App"},
    "channel.email": {"de": "E-Mail", "en": "Email"},
    "channel.sms": {"de": "SMS", "en": "SMS"},
    "channel.push": {"de": "Push", "en": "Push"},
    "channel.ads": {"de": "Werbung", "en": "Ads"},
    "channel.social": {"de": "Social Media", "en": "Social media"},
    "channel.search": {"de": "Suche", "en": "Search"},
    "channel.store": {"de": "Filiale", "en": "Store"},
    "channel.phone": {"de": "Telefon", "en": "Phone"},
    "channel.chat": {"de": "Chat", "en": "Chat"},
    "channel.marketplace": {"de": "Marktplatz", "en": "Marketplace"},
    "channel.review": {"de": "Bewertungen", "en": "Reviews"},
    "channel.referral": {"de": "Empfehlung", "en": "Referral"},
    "channel.print": {"de": "Print", "en": "Print"},
    "channel.mail": {"de": "Post", "en": "Mail"},
    "channel.delivery": {"de": "Lieferung", "en": "Delivery"},
    "channel.event": {"de": "Event", "en": "Event"},
    "channel.tv": {"de": "TV", "en": "TV"},
    "channel.other": {"de": "Sonstige", "en": "Other"},
    "device.desktop": {"de": "Desktop", "en": "Desktop"},
    "device.mobile": {"de": "Smartphone", "en": "Mobile"},
    "device.tablet": {"de": "Tablet", "en": "Tablet"},
    "device.in-person": {"de": "Persönlich", "en": "In person"},
    "device.tv": {"de": "Fernseher", "en": "TV set"},
    "device.any": {"de": "Alle Geräte", "en": "Any device"},
    # legend and page chrome
    "legend": {"de": "Legende", "en": "Legend"},
    "addresses": {"de": "löst", "en": "addresses"},
    "owner": {"de": "Verantwortlich", "en": "Owner"},
    "maps": {"de": "Journey Maps", "en": "Journey maps"},
    "language": {"de": "Sprache", "en": "Language"},
    "print": {"de": "Drucken", "en": "Print"},
    "download": {"de": "Herunterladen", "en": "Download"},
    "stages_count": {"de": "Phasen", "en": "stages"},
    "touchpoints_count": {"de": "Touchpoints", "en": "touchpoints"},
    "no_maps": {
        "de": "Noch keine Maps. Lege eine an mit: journeykit map new NAME",
        "en": "No maps yet. Create one with: journeykit map new NAME",
    },
    "invalid_map": {"de": "Diese Map hat Fehler", "en": "This map has problems"},
    # web app
    "web.api": {"de": "API-Dokumentation", "en": "API docs"},
    "web.all_maps": {"de": "Alle Maps", "en": "All maps"},
    "web.files": {"de": "Map-Dateien im Workspace", "en": "map files in the workspace"},
    "web.file": {"de": "Datei", "en": "File"},
    "web.problems": {"de": "Fehler", "en": "Problems"},
    "web.fix_and_reload": {
        "de": "Korrigiere die Datei und lade die Seite neu (`journeykit map validate` prüft sie).",
        "en": "Fix the file and reload the page (`journeykit map validate` checks it).",
    },
    "web.not_found": {"de": "Map nicht gefunden", "en": "Map not found"},
    "web.no_map_with_id": {"de": "Keine Map hat die ID", "en": "No map has the id"},
    "web.zoom": {
        "de": "Klicken: Originalgröße / an Breite anpassen",
        "en": "Click: actual size / fit to width",
    },
}


def text(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang``; English, then the key itself, when missing."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get("en") or key
