"""Charts as PNG, drawn by plotly.js in headless Chromium — the same drawing the page shows.

kaleido is not a dependency: the figure goes into a Chromium page holding the plotly.js of the
installed plotly wheel, and ``Plotly.toImage`` returns the picture (as the modebar's camera button
does in the browser). Nothing is fetched from a network.

Starting Chromium and compiling plotly.js take seconds, so one worker thread keeps a page with
plotly.js loaded and draws every PNG in it; it closes the browser after a minute without work
(and at exit), so an idle server holds no Chromium. Playwright's sync API must stay on the thread
that started it, hence the queue.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from journeykit.browser import launch_chromium

PNG_WIDTH = 1200
PNG_SCALE = 2
IDLE_SECONDS = 60.0
_TO_IMAGE = """async ([figure, width, height, scale]) => {
  const div = document.createElement("div");
  document.body.appendChild(div);
  try {
    await Plotly.newPlot(div, figure.data, figure.layout, {staticPlot: true});
    return await Plotly.toImage(div, {format: "png", width, height, scale});
  } finally {
    Plotly.purge(div);
    div.remove();
  }
}"""


def plotly_js_path() -> Path:
    """The plotly.js bundle shipped inside the plotly wheel."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


@cache
def plotly_js_version() -> str:
    """A short content hash of the bundle, for a URL that can be cached for ever."""
    return hashlib.sha256(plotly_js().encode()).hexdigest()[:12]


@dataclass
class _Job:
    figure: dict[str, Any]
    width: int
    height: int
    done: Future[bytes] = field(default_factory=Future)


class _Renderer:
    """One thread owning a Chromium page with plotly.js; started on demand, ends when idle."""

    def __init__(self, idle_seconds: float) -> None:
        self._idle = idle_seconds
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def render(self, job: _Job) -> bytes:
        with self._lock:
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chart-png", daemon=True)
                self._thread.start()
        return job.done.result()

    def stop(self) -> None:
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._jobs.put(None)
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        try:
            with launch_chromium() as browser:
                page = browser.new_page()
                page.set_content("<!doctype html><html><body></body></html>")
                page.add_script_tag(path=str(plotly_js_path()))
                while (job := self._next()) is not None:
                    try:
                        url: str = page.evaluate(
                            _TO_IMAGE, [job.figure, job.width, job.height, PNG_SCALE]
                        )
                    except Exception as error:
                        job.done.set_exception(error)
                        raise
                    job.done.set_result(base64.b64decode(url.split(",", 1)[1]))
        except Exception as error:  # no usable browser: fail what waits, restart on demand
            self._fail_waiting(error)

    def _next(self) -> _Job | None:
        """The next job; None to stop (asked to, or idle with nothing queued)."""
        while True:
            try:
                job = self._jobs.get(timeout=self._idle)
            except queue.Empty:
                job = None
            with self._lock:
                if job is not None or not self._jobs.empty():
                    return job or self._jobs.get_nowait()
                self._thread = None
                return None

    def _fail_waiting(self, error: Exception) -> None:
        with self._lock:
            self._thread = None
            while not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is not None and not job.done.done():
                    job.done.set_exception(error)


_renderer = _Renderer(IDLE_SECONDS)
atexit.register(_renderer.stop)


def render_png(figure: go.Figure, *, width: int = PNG_WIDTH) -> bytes:
    """``figure`` as PNG bytes, ``width`` CSS pixels wide at twice the pixel density.

    Raises:
        BrowserMissing: no Chromium on this machine.
    """
    height = int(figure.layout.height or 500)
    return _renderer.render(_Job(json.loads(figure.to_json()), width, height))
