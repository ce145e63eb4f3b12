"""German and English labels of the flow pages (kept beside them, as the flows have their own
words: runs, outbox, holdout, lift)."""

from __future__ import annotations

from collections.abc import Callable

from journeykit.i18n import Language

LABELS: dict[str, tuple[str, str]] = {
    "flows": ("Flows", "Flows"),
    "flows.lead": ("Automationen je Journey-Phase", "Automations per journey stage"),
    "flows.none": (
        "Noch keine Flows — anlegen mit `journeykit flows new NAME --scenario …`.",
        "No flows yet — create one with `journeykit flows new NAME --scenario …`.",
    ),
    "flow": ("Flow", "Flow"),
    "files": ("Flow-Dateien", "flow files"),
    "value": ("Wert", "Value"),
    "stage": ("Phase", "Stage"),
    "trigger": ("Auslöser", "Trigger"),
    "steps": ("Schritte", "Steps"),
    "runs": ("Durchläufe", "Runs"),
    "messages": ("Nachrichten", "Messages"),
    "file": ("Datei", "File"),
    "holdout": ("Kontrollgruppe", "Holdout"),
    "invalid": ("Fehlerhafte Flow-Datei", "Invalid flow file"),
    "problems": ("Probleme", "Problems"),
    "not_found": ("Kein Flow", "No flow"),
    "not_found.text": ("Es gibt keinen Flow mit der Id", "There is no flow with the id"),
    "back": ("Alle Flows", "All flows"),
    "goals": ("Ziele", "Goals"),
    "step": ("Schritt", "Step"),
    "type": ("Art", "Type"),
    "what": ("Was", "What"),
    "waiting": ("wartet jetzt", "waiting now"),
    "past": ("weiter als hier", "moved past"),
    "past.help": (
        "Durchläufe (ohne Kontrollgruppe), die über diesen Schritt hinaus sind — genommen oder "
        "per Verzweigung übersprungen.",
        "Runs (without holdout) that went beyond this step — took it or were branched past it.",
    ),
    "holdout_runs": ("Durchläufe in der Kontrollgruppe", "Runs in the holdout"),
    "outbox": ("Postausgang", "Outbox"),
    "lift": ("Wirkung (Lift)", "Lift"),
    "lift.lead": (
        "Behandelte gegen Kontrollgruppe: Konversionsrate und Umsatz je Profil, 95-%-Konfidenz"
        "intervall.",
        "Treated against holdout: conversion rate and revenue per profile, 95 % confidence "
        "interval.",
    ),
    "lift.unavailable": ("Wirkung nicht berechenbar", "Lift not available"),
    "group": ("Gruppe", "Group"),
    "treated": ("Behandelt", "Treated"),
    "converted": ("konvertiert", "converted"),
    "rate": ("Rate", "Rate"),
    "revenue_per_run": ("Umsatz je Profil", "Revenue per profile"),
    "absolute_lift": ("Absoluter Lift", "Absolute lift"),
    "relative_lift": ("Relativer Lift", "Relative lift"),
    "revenue_difference": ("Umsatzdifferenz je Profil", "Revenue difference per profile"),
    "ci": ("95-%-KI", "95 % CI"),
    "verdict": ("Ergebnis", "Verdict"),
    "verdict.too small to conclude": (
        "Stichprobe zu klein für eine Aussage",
        "Sample too small to conclude",
    ),
    "verdict.no significant difference": (
        "Kein signifikanter Unterschied",
        "No significant difference",
    ),
    "verdict.lift": ("Der Flow wirkt: signifikanter Lift", "The flow works: significant lift"),
    "verdict.harm": (
        "Der Flow schadet: signifikant schlechter",
        "The flow harms: significantly worse",
    ),
    "rule": (
        "Regel: je Gruppe mindestens 30 Durchläufe und 5 Konversionen; das 95-%-KI des absoluten "
        "Lifts schließt 0 aus.",
        "Rule: at least 30 runs and 5 conversions per group; the 95 % CI of the absolute lift "
        "excludes 0.",
    ),
    "status.active": ("aktiv", "active"),
    "status.converted": ("konvertiert", "converted"),
    "status.done": ("fertig", "done"),
    "status.exited": ("ausgestiegen", "exited"),
    "status.pending": ("wartend", "pending"),
    "status.sent": ("gesendet", "sent"),
    "status.skipped": ("übersprungen", "skipped"),
    "status.failed": ("fehlgeschlagen", "failed"),
    "status.held": ("zurückgehalten", "held"),
    "survey.thanks": ("Danke für Ihre Antwort!", "Thank you for your answer!"),
    "survey.recorded": ("Ihre Bewertung wurde gespeichert:", "Your rating was recorded:"),
    "link.invalid": ("Dieser Link ist ungültig", "This link is not valid"),
    "link.invalid.text": (
        "Der Link wurde verändert oder stammt nicht von uns. Es wurde nichts gespeichert.",
        "The link was changed or is not ours. Nothing was recorded.",
    ),
    "score.invalid": ("Ungültige Bewertung", "Invalid rating"),
}


def flow_text(lang: Language) -> Callable[[str], str]:
    """``ft(key)`` for templates: the label in ``lang`` (the key itself when unknown)."""
    index = 0 if lang == "de" else 1

    def text(key: str) -> str:
        found = LABELS.get(key)
        return key if found is None else found[index]

    return text
