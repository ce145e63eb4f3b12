"""The web app in a real browser: a uvicorn server on a free port, driven by Chromium.

This is what a person does: open the index, click a map, switch the language, print to PDF, and
download the PNG and PDF renderings (which start a second Chromium on the server side).
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page

from journeykit.browser import BrowserMissing, chromium_path, launch_chromium
from journeykit.web import create_app
from journeykit.workspace import init_workspace

pytestmark = pytest.mark.browser

MAP_TITLE = "Beispiel-Journey (ecommerce)"
MAP_ID = "example-ecommerce"


def _chromium_missing() -> bool:
    try:
        chromium_path()
    except BrowserMissing:
        return True
    return False


if _chromium_missing():
    pytest.skip("Chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server for a fresh workspace, on 127.0.0.1 and a free port; stopped after."""
    workspace = init_workspace(tmp_path_factory.mktemp("web") / "ws")
    config = uvicorn.Config(
        create_app(workspace), log_level="warning", ws="none", http="h11", lifespan="off"
    )
    server = uvicorn.Server(config)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            _wait_until_started(server, thread)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    assert not thread.is_alive(), "the server did not stop"


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)


def test_browse_switch_language_and_print(base_url: str, tmp_path: Path) -> None:
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{base_url}/")
        assert page.locator("h1").inner_text() == "Journey Maps"
        page.get_by_role("link", name=MAP_TITLE).click()
        page.wait_for_url(f"{base_url}/maps/{MAP_ID}")
        svg = page.locator(".map-canvas svg")
        assert svg.is_visible()
        assert svg.bounding_box() is not None
        labels = _svg_texts(page)
        assert "Ziele" in labels
        assert "Goals" not in labels

        page.get_by_role("link", name="EN", exact=True).click()
        page.wait_for_url(f"{base_url}/maps/{MAP_ID}?lang=en")
        labels = _svg_texts(page)
        assert "Goals" in labels
        assert "Ziele" not in labels
        page.goto(f"{base_url}/")  # the cookie keeps English without ?lang=
        assert page.locator("h1").inner_text() == "Journey maps"

        page.goto(f"{base_url}/maps/{MAP_ID}")
        pdf = page.pdf(format="A3", landscape=True, print_background=True)
        page.close()
    assert pdf.startswith(b"%PDF")
    _assert_first_page_renders(pdf, tmp_path)


def test_png_and_pdf_downloads(base_url: str, tmp_path: Path) -> None:
    with launch_chromium() as browser:
        context = browser.new_context()
        png = context.request.get(f"{base_url}/maps/{MAP_ID}.png?lang=en")
        pdf = context.request.get(f"{base_url}/maps/{MAP_ID}.pdf")
        assert png.status == 200
        assert png.headers["content-type"] == "image/png"
        assert png.body().startswith(b"\x89PNG\r\n\x1a\n")
        assert pdf.status == 200
        assert pdf.headers["content-type"] == "application/pdf"
        pdf_bytes = pdf.body()
        context.close()
    assert pdf_bytes.startswith(b"%PDF")
    _assert_first_page_renders(pdf_bytes, tmp_path)


def _svg_texts(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".map-canvas svg text").all_text_contents()]


def _assert_first_page_renders(pdf: bytes, folder: Path) -> None:
    """pdftoppm (poppler) turns page 1 into a PNG: the PDF is readable by another tool."""
    source = folder / "page.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            source,
            folder / "p1",
        ],
        check=True,
        timeout=60,
    )
    picture = folder / "p1.png"
    assert picture.stat().st_size > 1000
    assert picture.read_bytes().startswith(b"\x89PNG")
