"""Consent pages of message recipients: one-click unsubscribe (RFC 8058) and double opt-in.

- ``GET /u/{token}`` — asks "unsubscribe?" with a button; changes nothing (link scanners and
  previews load every URL of a mail, so a GET must never withdraw consent).
- ``POST /u/{token}`` — withdraws: the form's button, or a mailbox provider's one-click POST
  with the body ``List-Unsubscribe=One-Click``. Repeating it appends another ``withdrawn`` row
  and is otherwise harmless.
- ``GET /consent/confirm/{token}`` — confirms a double opt-in (the token names what to grant).

A token that does not verify, or a confirmation link older than 7 days, answers 400 with a page
saying so, and records nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from journeykit.flows.consent import BadConsentLink, ExpiredConsentLink
from journeykit.flows.unsubscribe import confirm, read_unsubscribe, withdraw
from journeykit.i18n import Language
from journeykit.web.catalog import catalog_from
from journeykit.web.language import request_language
from journeykit.web.templating import page

router = APIRouter(tags=["consent"])
Lang = Annotated[Language, Depends(request_language)]
NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

TEXT: dict[str, tuple[str, str]] = {  # key → (de, en)
    "ask": ("Abmelden?", "Unsubscribe?"),
    "ask.text": (
        "Sie erhalten dann keine Nachrichten zum Thema „{topic}“ mehr an diese Adresse.",
        "You will no longer get messages about “{topic}” at this address.",
    ),
    "button": ("Ja, abmelden", "Yes, unsubscribe"),
    "done": ("Sie sind abgemeldet", "You are unsubscribed"),
    "done.text": (
        "Wir senden Ihnen keine Nachrichten zum Thema „{topic}“ mehr.",
        "We will not send you messages about “{topic}” any more.",
    ),
    "confirmed": ("Anmeldung bestätigt", "Subscription confirmed"),
    "confirmed.text": (
        "Danke! Sie erhalten ab jetzt Nachrichten zum Thema „{topic}“.",
        "Thank you! You will get messages about “{topic}” from now on.",
    ),
    "expired": ("Dieser Link ist abgelaufen", "This link has expired"),
    "expired.text": (
        "Bestätigungslinks gelten 7 Tage. Bitte melden Sie sich erneut an. "
        "Es wurde nichts geändert.",
        "Confirmation links work for 7 days. Please sign up again. Nothing was changed.",
    ),
    "invalid": ("Dieser Link ist ungültig", "This link is not valid"),
    "invalid.text": (
        "Der Link wurde verändert, ist abgeschnitten oder stammt nicht von uns. "
        "Es wurde nichts geändert.",
        "The link was changed, cut off or is not ours. Nothing was changed.",
    ),
}


def _text(lang: Language, key: str, **values: str) -> str:
    de, en = TEXT[key]
    return (de if lang == "de" else en).format(**values)


def _message(
    request: Request, lang: Language, key: str, topic: str = "", status_code: int = 200
) -> HTMLResponse:
    context = {
        "heading": _text(lang, key),
        "message": _text(lang, f"{key}.text", topic=topic),
        "error": status_code >= 400,
    }
    response = page(request, "flows_message.html", lang, context, status_code=status_code)
    response.headers.update(NO_CACHE)
    return response


@router.get("/u/{token}", include_in_schema=False)
def ask(request: Request, token: str, lang: Lang) -> HTMLResponse:
    """The confirmation page: what the link would do, and the button that does it."""
    try:
        target = read_unsubscribe(catalog_from(request).workspace, token)
    except BadConsentLink:
        return _message(request, lang, "invalid", status_code=400)
    context = {
        "heading": _text(lang, "ask"),
        "message": _text(lang, "ask.text", topic=target.topic),
        "button": _text(lang, "button"),
        "action": request.url.path,
    }
    response = page(request, "consent_unsubscribe.html", lang, context)
    response.headers.update(NO_CACHE)
    return response


@router.post("/u/{token}", include_in_schema=False)
def unsubscribe(request: Request, token: str, lang: Lang) -> HTMLResponse:
    """Withdraw consent (button or RFC 8058 one-click POST); durable before the answer."""
    workspace = catalog_from(request).workspace
    try:
        target = read_unsubscribe(workspace, token)
    except BadConsentLink:
        return _message(request, lang, "invalid", status_code=400)
    withdraw(workspace, target)
    return _message(request, lang, "done", topic=target.topic)


@router.get("/consent/confirm/{token}", include_in_schema=False)
def confirm_opt_in(request: Request, token: str, lang: Lang) -> HTMLResponse:
    """Confirm a double opt-in: the pending consent becomes granted."""
    try:
        entry = confirm(catalog_from(request).workspace, token)
    except ExpiredConsentLink:
        return _message(request, lang, "expired", status_code=400)
    except BadConsentLink:
        return _message(request, lang, "invalid", status_code=400)
    return _message(request, lang, "confirmed", topic=entry.topic)
