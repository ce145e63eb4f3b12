"""The OpenAPI page at ``/docs``, served from local files so it works without a network.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package (Apache-2.0, Swagger UI 5, which
reads the OpenAPI 3.1 documents FastAPI writes). Without that package the app falls back to
FastAPI's own page, which loads Swagger UI from a CDN.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/static/swagger-ui"


def swagger_ui_folder() -> Path | None:
    """The folder holding ``swagger-ui-bundle.js``, or None when the package is not installed."""
    try:
        bundle = importlib.import_module("swagger_ui_bundle")
    except ImportError:
        return None
    folder = Path(str(getattr(bundle, "swagger_ui_path", "")))
    if not (folder / "swagger-ui-bundle.js").is_file() or _major_version(folder.name) < 5:
        return None  # Swagger UI 4 (package swagger-ui-bundle) cannot read OpenAPI 3.1
    return folder


def _major_version(folder_name: str) -> int:
    """5 for a folder named 'swagger-ui-5.31.0'; 0 when the name carries no version."""
    found = re.search(r"(\d+)\.\d+\.\d+$", folder_name)
    return int(found.group(1)) if found else 0


def add_offline_docs(app: FastAPI, folder: Path) -> None:
    """Serve Swagger UI from ``folder`` at ``/docs`` (build the app with ``docs_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=folder), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/favicon.svg",
            oauth2_redirect_url=None,
        )
