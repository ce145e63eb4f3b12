"""Which language a request is answered in: ``?lang=``, else the cookie, else the workspace's.

The query parameter makes links shareable; the cookie makes a choice stick while browsing.
Unknown values are ignored rather than refused, so an old bookmark never breaks a page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from journeykit.i18n import LANGUAGES, Language
from journeykit.web.catalog import catalog_from

COOKIE = "journeykit_lang"
ONE_YEAR = 365 * 24 * 3600

LangQuery = Annotated[
    str | None,
    Query(description="Label language, 'de' or 'en'; defaults to the cookie, then the workspace."),
]


def as_language(value: str | None) -> Language | None:
    """``value`` as a supported language, or None."""
    for language in LANGUAGES:
        if value == language:
            return language
    return None


def request_language(request: Request, lang: LangQuery = None) -> Language:
    """FastAPI dependency: the language to answer in."""
    chosen = as_language(lang) or as_language(request.cookies.get(COOKIE))
    if chosen is not None:
        return chosen
    return as_language(catalog_from(request).workspace.language) or "en"


def remember_language(request: Request, response: Response, language: Language) -> None:
    """Store an explicit ``?lang=`` choice in the cookie."""
    if as_language(request.query_params.get("lang")) is not None:
        response.set_cookie(COOKIE, language, max_age=ONE_YEAR, samesite="lax", httponly=True)
