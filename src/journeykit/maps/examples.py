"""The example map a new workspace starts with: the preset's stages filled with typical shop
content.

Content is keyed by stage id, so every preset gets a sensible example in German or English.
"""

from __future__ import annotations

from typing import Any

from journeykit.maps.model import JourneyMap
from journeykit.maps.presets import Preset, preset_stages

# stage id → (goal, action, thought, emotion, touchpoint (id, name, channel, device, event), kpi)
_CONTENT: dict[str, dict[str, Any]] = {
    "awareness": {
        "de": (
            "Inspiration finden",
            "Sieht eine Anzeige auf Instagram",
            "Sieht gut aus – aber kenne ich nicht.",
        ),
        "en": (
            "Find inspiration",
            "Sees an ad on Instagram",
            "Looks nice – but I don't know them.",
        ),
        "emotion": 1,
        "touchpoint": (
            "instagram-ad",
            {"de": "Instagram-Anzeige", "en": "Instagram ad"},
            "social",
            "mobile",
            "ad_clicked",
        ),
        "kpi": ("reach", 20000),
    },
    "interest": {
        "de": ("Mehr erfahren", "Liest Blogartikel und Newsletter", "Passt das zu mir?"),
        "en": ("Learn more", "Reads blog posts and the newsletter", "Is this for me?"),
        "emotion": 1,
        "touchpoint": (
            "blog",
            {"de": "Ratgeber-Blog", "en": "Advice blog"},
            "web",
            "mobile",
            "page_viewed",
        ),
        "kpi": ("engagement_rate", 0.35),
    },
    "consideration": {
        "de": (
            "Das richtige Produkt wählen",
            "Vergleicht Produkte und liest Bewertungen",
            "Lohnt sich der Preis?",
        ),
        "en": (
            "Choose the right product",
            "Compares products and reads reviews",
            "Is it worth the price?",
        ),
        "emotion": 0,
        "touchpoint": (
            "product-page",
            {"de": "Produktseite", "en": "Product page"},
            "web",
            "mobile",
            "product_viewed",
        ),
        "kpi": ("click_through_rate", 0.02),
    },
    "decision": {
        "de": (
            "Sicher bezahlen",
            "Legt in den Warenkorb und bezahlt",
            "Hoffentlich sind die Versandkosten fair.",
        ),
        "en": ("Pay safely", "Adds to cart and pays", "I hope shipping is fair."),
        "emotion": -1,
        "touchpoint": (
            "checkout",
            {"de": "Kasse", "en": "Checkout"},
            "web",
            "mobile",
            "checkout_started",
        ),
        "kpi": ("cart_abandonment_rate", 0.6),
    },
    "purchase": {
        "de": (
            "Schnell und sicher bezahlen",
            "Legt in den Warenkorb und bezahlt",
            "Hoffentlich sind die Versandkosten fair.",
        ),
        "en": ("Pay quickly and safely", "Adds to cart and pays", "I hope shipping is fair."),
        "emotion": -1,
        "touchpoint": (
            "checkout",
            {"de": "Kasse", "en": "Checkout"},
            "web",
            "mobile",
            "checkout_started",
        ),
        "kpi": ("conversion_rate", 0.03),
    },
    "experience": {
        "de": ("Ware pünktlich erhalten", "Verfolgt die Sendung, packt aus", "Endlich da!"),
        "en": ("Receive the order on time", "Tracks the parcel, unpacks", "Finally here!"),
        "emotion": 2,
        "touchpoint": (
            "shipping-mail",
            {"de": "Versandbestätigung", "en": "Shipping confirmation"},
            "email",
            "mobile",
            "email_opened",
        ),
        "kpi": ("csat", 0.85),
    },
    "engagement": {
        "de": (
            "Das Produkt gut nutzen",
            "Nutzt das Produkt, fragt den Support",
            "Wie pflege ich das?",
        ),
        "en": ("Get the most out of it", "Uses the product, asks support", "How do I care for it?"),
        "emotion": 1,
        "touchpoint": (
            "support-chat",
            {"de": "Support-Chat", "en": "Support chat"},
            "chat",
            "desktop",
            "chat_started",
        ),
        "kpi": ("csat", 0.85),
    },
    "retention": {
        "de": (
            "Wieder gut einkaufen",
            "Kauft erneut mit Treuerabatt",
            "Hier weiß ich, was ich bekomme.",
        ),
        "en": ("Shop well again", "Buys again with a loyalty discount", "Here I know what I get."),
        "emotion": 1,
        "touchpoint": (
            "loyalty-mail",
            {"de": "Treue-Newsletter", "en": "Loyalty newsletter"},
            "email",
            "mobile",
            "email_clicked",
        ),
        "kpi": ("repeat_purchase_rate", 0.3),
    },
    "after-sales": {
        "de": (
            "Hilfe bei Fragen",
            "Retourniert oder kauft nach",
            "Hoffentlich klappt die Rücksendung.",
        ),
        "en": ("Help with questions", "Returns or buys again", "I hope the return is easy."),
        "emotion": 0,
        "touchpoint": (
            "returns-portal",
            {"de": "Retourenportal", "en": "Returns portal"},
            "web",
            "desktop",
            "return_requested",
        ),
        "kpi": ("repeat_purchase_rate", 0.3),
    },
    "advocacy": {
        "de": (
            "Gute Erfahrungen teilen",
            "Schreibt eine Bewertung, empfiehlt weiter",
            "Das erzähle ich meiner Freundin.",
        ),
        "en": (
            "Share a good experience",
            "Writes a review, recommends the shop",
            "I'll tell my friend.",
        ),
        "emotion": 2,
        "touchpoint": (
            "review-request",
            {"de": "Bewertungsanfrage", "en": "Review request"},
            "email",
            "mobile",
            "review_submitted",
        ),
        "kpi": ("nps", 40),
    },
}

_PERSONA = {
    "de": {
        "name": "Anna, 34, mobile Schnäppchenjägerin",
        "description": (
            "Kauft abends auf dem Smartphone, vergleicht Preise und achtet auf Versandkosten."
        ),
        "quote": "Wenn der Versand zu teuer ist, bin ich weg.",
        "demographics": {"Alter": 34, "Wohnort": "Köln", "Beruf": "Pflegefachkraft"},
        "goals": ["Gute Qualität zum fairen Preis", "Schnell bestellen, auch unterwegs"],
        "frustrations": ["Versteckte Versandkosten", "Lange Formulare auf dem Handy"],
        "preferred_channels": ["social", "app", "email"],
    },
    "en": {
        "name": "Anna, 34, mobile bargain hunter",
        "description": (
            "Shops on her phone in the evening, compares prices and watches shipping costs."
        ),
        "quote": "If shipping is too expensive, I'm gone.",
        "demographics": {"Age": 34, "City": "Cologne", "Job": "Nurse"},
        "goals": ["Good quality at a fair price", "Order quickly, even on the go"],
        "frustrations": ["Hidden shipping costs", "Long forms on the phone"],
        "preferred_channels": ["social", "app", "email"],
    },
}


def example_map(preset: Preset, language: str) -> JourneyMap:
    """A filled current-state map for ``preset`` in ``language`` ('de' or 'en')."""
    lang = "de" if language == "de" else "en"
    stages: list[dict[str, Any]] = []
    touchpoints: list[dict[str, Any]] = []
    for stage in preset_stages(preset):
        content = _CONTENT[stage.id]
        goal, action, thought = content[lang]
        tp_id, tp_names, channel, device, event = content["touchpoint"]
        metric, target = content["kpi"]
        stages.append(
            {
                "id": stage.id,
                "name": stage.label(lang),
                "goals": [goal],
                "actions": [action],
                "thoughts": [thought],
                "emotion": {"planned": content["emotion"]},
                "kpis": [{"metric": metric, "target": target}],
            }
        )
        touchpoints.append(
            {
                "id": tp_id,
                "stage": stage.id,
                "name": tp_names[lang],
                "channel": channel,
                "device": device,
                "match": {"event": event},
            }
        )
    title = "Beispiel-Journey" if lang == "de" else "Example journey"
    return JourneyMap.model_validate(
        {
            "id": f"example-{preset.value}",
            "title": f"{title} ({preset.value})",
            "language": lang,
            "persona": _PERSONA[lang],
            "stages": stages,
            "touchpoints": touchpoints,
        }
    )
