"""Headless Chromium through Playwright: the one place that launches a browser.

journeykit never downloads a browser: it drives the system's Chromium (Debian's ``chromium``
package), with the flags a closed network and a root user need.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from journeykit.errors import JourneykitError

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ENV_CHROMIUM = "JOURNEYKIT_CHROMIUM"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
)


class BrowserMissing(JourneykitError):
    """No Chromium to render PNG/PDF with."""


def chromium_path() -> Path:
    """The Chromium executable: ``JOURNEYKIT_CHROMIUM``, else /usr/bin/chromium, else on PATH."""
    candidates = [os.environ.get(ENV_CHROMIUM), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise BrowserMissing(
        "Chromium is not installed — PNG and PDF output need it: `sudo apt-get install chromium` "
        f"(or set {ENV_CHROMIUM} to a Chromium executable); SVG and HTML work without it"
    )


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
