"""Server-rendered pages: one Jinja2 environment and the context every page shares.

Labels come from ``journeykit.i18n`` through ``t(key)``; undefined template variables are errors,
so a typo in a template fails a test instead of showing an empty gap.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from journeykit import __version__
from journeykit.i18n import LANGUAGES, Language, text
from journeykit.web.catalog import catalog_from
from journeykit.web.language import remember_language

TEMPLATE_DIR = Path(__file__).parent / "templates"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=jinja2.select_autoescape(default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


def page(
    request: Request,
    name: str,
    lang: Language,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` with the shared context; an explicit ``?lang=`` is remembered."""
    workspace = catalog_from(request).workspace
    shared = {
        "lang": lang,
        "languages": LANGUAGES,
        "t": partial(text, lang=lang),
        "workspace_name": workspace.settings.workspace.name,
        "version": __version__,
    }
    response = templates.TemplateResponse(request, name, {**shared, **context}, status_code)
    remember_language(request, response, lang)
    return response
