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
    "web.live": {"de": "Live-Daten", "en": "Live data"},
    "web.live_hint": {
        "de": "KPIs, Kunden je Touchpoint und Phase und gemessene Emotionen aus den Events",
        "en": "KPIs, customers per touchpoint and stage and measured emotions from the events",
    },
    "web.plan_only": {"de": "Ohne Live-Daten", "en": "Without live data"},
    "web.no_events": {
        "de": "Noch keine Events für Live-Daten — laden Sie welche mit `journeykit ingest DATEI`.",
        "en": "No events for live data yet — load some with `journeykit ingest FILE`.",
    },
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
    # analytics pages (web/analytics_pages.py)
    "an.analytics": {"de": "Analysen", "en": "Analytics"},
    "an.funnel": {"de": "Funnel", "en": "Funnel"},
    "an.paths": {"de": "Pfade", "en": "Paths"},
    "an.retention": {"de": "Kundenbindung", "en": "Retention"},
    "an.transitions": {"de": "Übergänge", "en": "Transitions"},
    "an.transitions.lead": {
        "de": "Wie oft auf einen Knoten ein anderer folgt: vorwärts, zurück, Schleifen.",
        "en": "How often one node follows another: forward, back-steps, loops.",
    },
    "an.sessions": {"de": "Nur innerhalb einer Sitzung", "en": "Within sessions only"},
    "an.transitions_total": {"de": "Übergänge", "en": "transitions"},
    "an.loops": {"de": "Schleifen", "en": "loops"},
    "an.back_steps": {"de": "Rückschritte", "en": "back-steps"},
    "an.from": {"de": "Von", "en": "From"},
    "an.to": {"de": "Nach", "en": "To"},
    "an.count": {"de": "Anzahl", "en": "Count"},
    "an.probability": {"de": "Wahrscheinlichkeit", "en": "Probability"},
    "an.kind": {"de": "Art", "en": "Kind"},
    "an.kind.forward": {"de": "vorwärts", "en": "forward"},
    "an.kind.back": {"de": "zurück", "en": "back-step"},
    "an.kind.loop": {"de": "Schleife", "en": "loop"},
    "an.kind.same-stage": {"de": "gleiche Phase", "en": "same stage"},
    "an.kind.none": {"de": "—", "en": "—"},
    "an.kpis": {"de": "KPIs je Phase", "en": "KPIs per stage"},
    "an.funnel.lead": {
        "de": "Kunden, die vom ersten Schritt aus jeden weiteren innerhalb des Zeitfensters "
        "erreichen.",
        "en": "Customers who get from step 1 through each next step within the window.",
    },
    "an.paths.lead": {
        "de": "Die häufigsten Wege von (oder zu) einem Knoten; „Sonstige“ und „Verlassen“ "
        "ergänzen zur Summe.",
        "en": "The most common ways on from (or to) a node; 'other' and 'left' make up the total.",
    },
    "an.retention.lead": {
        "de": "Kohorten nach Erstkauf: Anteil, der in späteren Perioden erneut kauft.",
        "en": "Cohorts by first purchase: the share buying again in later periods.",
    },
    "an.kpis.lead": {
        "de": "Jede Kennzahl je Phase, gemessen an den Events, im Vergleich zum Ziel der Map.",
        "en": "Every metric per stage, measured on the events, against the map's target.",
    },
    "an.level": {"de": "Ebene", "en": "Level"},
    "an.level.event": {"de": "Event", "en": "Event"},
    "an.level.touchpoint": {"de": "Touchpoint", "en": "Touchpoint"},
    "an.level.stage": {"de": "Phase", "en": "Stage"},
    "an.steps": {"de": "Schritte", "en": "Steps"},
    "an.window": {"de": "Zeitfenster", "en": "Window"},
    "an.since": {"de": "Von", "en": "Since"},
    "an.until": {"de": "Bis (exklusiv)", "en": "Until (exclusive)"},
    "an.by": {"de": "Aufteilen nach", "en": "Break down by"},
    "an.none": {"de": "(keine)", "en": "(none)"},
    "an.apply": {"de": "Anwenden", "en": "Apply"},
    "an.customers": {"de": "Kunden", "en": "Customers"},
    "an.entered": {"de": "eingestiegen", "en": "entered"},
    "an.step": {"de": "Schritt", "en": "Step"},
    "an.of_start": {"de": "vom Start", "en": "of start"},
    "an.of_previous": {"de": "vom vorigen", "en": "of previous"},
    "an.median_time": {"de": "Median-Zeit", "en": "Median time"},
    "an.p90_time": {"de": "90%-Zeit", "en": "p90 time"},
    "an.all": {"de": "Alle", "en": "All"},
    "an.anchor": {"de": "Knoten", "en": "Node"},
    "an.direction": {"de": "Richtung", "en": "Direction"},
    "an.direction.from": {"de": "von hier weiter", "en": "going on from"},
    "an.direction.to": {"de": "hierher führend", "en": "leading to"},
    "an.path_steps": {"de": "Knoten je Pfad", "en": "Nodes per path"},
    "an.top": {"de": "Anzahl Pfade", "en": "Paths listed"},
    "an.collapse": {"de": "Wiederholungen zusammenfassen", "en": "Merge repeats"},
    "an.path": {"de": "Pfad", "en": "Path"},
    "an.share": {"de": "Anteil", "en": "Share"},
    "an.other": {"de": "Sonstige", "en": "Other"},
    "an.left": {"de": "Verlassen", "en": "Left"},
    "an.period": {"de": "Periode", "en": "Period"},
    "an.period.week": {"de": "Woche", "en": "Week"},
    "an.period.month": {"de": "Monat", "en": "Month"},
    "an.periods": {"de": "Perioden danach", "en": "Periods after"},
    "an.purchase_event": {"de": "Kauf-Event", "en": "Purchase event"},
    "an.cohort": {"de": "Kohorte", "en": "Cohort"},
    "an.cohorts": {"de": "Kohorten", "en": "Cohorts"},
    "an.yes": {"de": "ja", "en": "yes"},
    "an.no": {"de": "nein", "en": "no"},
    "an.retained": {"de": "wiedergekauft", "en": "bought again"},
    "an.metric": {"de": "Kennzahl", "en": "Metric"},
    "an.actual": {"de": "Ist", "en": "Actual"},
    "an.target": {"de": "Ziel", "en": "Target"},
    "an.of_target": {"de": "% des Ziels", "en": "% of target"},
    "an.status": {"de": "Status", "en": "Status"},
    "an.status.met": {"de": "erreicht", "en": "met"},
    "an.status.missed": {"de": "verfehlt", "en": "missed"},
    "an.status.no-target": {"de": "kein Ziel", "en": "no target"},
    "an.status.no-data": {"de": "keine Daten", "en": "no data"},
    "an.status.needs-events": {"de": "fehlende Events", "en": "missing events"},
    "an.needs_events": {"de": "braucht Events", "en": "needs events"},
    "an.no_stage": {"de": "Ohne Phase", "en": "No stage"},
    "an.chart_csv": {"de": "Daten (CSV)", "en": "Data (CSV)"},
    "an.chart_png": {"de": "Bild (PNG)", "en": "Image (PNG)"},
    "an.no_events": {"de": "Noch keine Events", "en": "No events yet"},
    "an.no_events.hint": {
        "de": "Der Event-Speicher ist leer. Lade Daten mit `journeykit ingest DATEI` "
        "(oder `journeykit demo DIR` für Beispieldaten) und lade die Seite neu.",
        "en": "The event store is empty. Load data with `journeykit ingest FILE` "
        "(or `journeykit demo DIR` for sample data) and reload the page.",
    },
    "an.bad_request": {"de": "Ungültige Angabe", "en": "Invalid parameter"},
    "an.bad_request.hint": {
        "de": "Korrigiere den Parameter im Formular oder in der Adresse.",
        "en": "Correct the parameter in the form or in the address.",
    },
    "an.parameter": {"de": "Parameter", "en": "Parameter"},
    "an.map_invalid.hint": {
        "de": "Analysen brauchen eine gültige Map. Korrigiere die Datei "
        "(`journeykit map validate` prüft sie) und lade die Seite neu.",
        "en": "Analyses need a valid map. Fix the file (`journeykit map validate` checks it) "
        "and reload the page.",
    },
    "an.nobody": {
        "de": "Kein Kunde in der Auswahl. Prüfe Zeitraum und Schritte, oder die Match-Regeln "
        "der Map mit `journeykit map coverage`.",
        "en": "No customer in the selection. Check the period and steps, or the map's match "
        "rules with `journeykit map coverage`.",
    },
    "an.no_cohorts": {
        "de": "Keine Käufe mit diesem Event im Zeitraum.",
        "en": "No purchases with this event in the period.",
    },
    "an.no_targets": {
        "de": "Keine Kennzahl mit Ziel und Messwert für ein Diagramm.",
        "en": "No metric with both a target and a value to chart.",
    },
}


def text(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang``; English, then the key itself, when missing."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get("en") or key
