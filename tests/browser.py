"""Open built pages in headless Chromium with the network blocked, as a reader on a train would,
and report what they would see wrong.

`Reader` serves a folder on 127.0.0.1 and drives the system's Chromium through Playwright;
`Reader.look(path)` returns the problems of one page: requests that tried to leave the machine,
JavaScript errors, formulas MathJax did not render, Markdown tables left as text, images that
did not load, interactive (plotly) figures that did not draw their points, code blocks wider than
their column, and warnings a cell wrote to stderr; and it counts the formulas and the interactive
figures drawn. It saves a screenshot of every page it is asked to.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]

INSPECT = """() => {
  const maths = [...document.querySelectorAll('.math')];
  const unrendered = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
  const raw = [], tables = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, .math, mjx-container')) continue;
    const text = node.textContent;
    if (text.includes('\\\\(') || text.includes('\\\\[') || text.includes('$$')) raw.push(text.trim().slice(0, 80));
    if (/\\|\\s*:?-{3,}:?\\s*\\|/.test(text)) tables.push(text.trim().slice(0, 80));
  }
  const images = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80));
  const wide = [...document.querySelectorAll('div.highlight pre, div.cell_output pre, div.output pre')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60));
  const stderr = [...document.querySelectorAll('div.output.stderr')].map(e => e.textContent.trim().slice(0, 120));
  const plots = [...document.querySelectorAll('div.plotly-graph-div')];
  const drawn = plots.filter(p => p.querySelector('svg.main-svg .scatterlayer .point')).length;
  const undrawn = plots.filter(p => !p.querySelector('svg.main-svg .scatterlayer .point')).map(p => p.id);
  return {maths: maths.length, unrendered, raw, tables, images, wide, stderr, drawn, undrawn};
}"""


def need_chromium() -> None:
    """Skip without Chromium, with how to get it; in CI (CI set) the test must run, never skip."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run the browser tests (.ci/run installs it)")
        pytest.skip("the browser tests need Chromium: `apt-get install chromium` (Debian/Ubuntu), or your "
                    "system's package")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a page that moves on before a file is sent is not a problem of the page


class Reader:
    """A local web server for `folder` and a headless Chromium that may reach only it."""

    def __init__(self, folder: Path, screenshots: Path | None = None):
        from playwright.sync_api import sync_playwright

        handler = functools.partial(_Quiet, directory=str(folder))
        self.server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.screenshots = screenshots
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()
        self.server.shutdown()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def look(self, path: str, screenshot: bool = True) -> dict:
        """The problems of the page at `path` (relative to the folder): empty lists when none."""
        page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        left, errors = [], []

        def route(request_route):
            url = request_route.request.url
            if url.startswith(self.origin) or url.startswith("data:") or url.startswith("blob:"):
                request_route.continue_()
            else:
                left.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(self.origin + path, wait_until="load")
        page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                               ? MathJax.startup.promise.then(() => true) : true""")
        found = page.evaluate(INSPECT)
        if self.screenshots is not None and screenshot:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(self.screenshots / (path.replace("/", "_").removesuffix(".html") + ".png")),
                            full_page=True)
        page.close()
        counts = {"formulas": found.pop("maths"), "interactive figures": found.pop("drawn")}
        return {"left the machine": left, "console errors": errors,
                "interactive figures not drawn": found.pop("undrawn"), **found, **counts}


COUNTS = ("formulas", "interactive figures")  # what `look` counts, as opposed to what it finds wrong


def problems(seen: dict) -> dict:
    """The entries of `Reader.look` that are problems (everything but the counts)."""
    return {k: v for k, v in seen.items() if k not in COUNTS and v}
