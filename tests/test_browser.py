"""Open every page of the built book in headless Chromium and check what a reader sees.

Fails on a Python traceback or stderr output in a page, an image that does not load,
math that MathJax did not render, a broken internal link, or any request that fails
(including any request that leaves this machine: the book must work offline). Saves a
full-page screenshot of every page to _build/screenshots/ for review.

Needs the built book (bash tools/book.sh) and Chromium (Debian package `chromium`,
which tools/setup-env.sh installs where apt-get is available); skipped with a message
otherwise, and a failure in CI (CI=true), where a missing requirement must not hide.
"""

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from _ci import missing, require_module

# browser: opens the built book in Chromium (tools/test.sh runs it after the build)
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")



@pytest.fixture(scope="module", autouse=True)
def built_book_and_chromium():
    # Checked when a test runs, not at import: a run that deselects the browser tests
    # (-m "not browser") collects this module before the book is built.
    if not (HTML / "index.html").exists():
        missing("the book is not built: run bash tools/book.sh first")
    if CHROMIUM is None:
        missing("Chromium is not installed: apt-get install chromium (Debian) to run the browser check")


PAGES = sorted(p.name for p in HTML.glob("*.html")) if HTML.exists() else []


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright = require_module("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


#: Hang guard for every wait in a page (ms): a stuck page fails, a slow machine does not.
HANG_GUARD_MS = 600_000


def redirect_target(page_file: Path) -> str | None:
    """The page a ``<meta http-equiv="refresh" ... url=...>`` page sends the browser to, or None."""
    match = re.search(r"""http-equiv=["']refresh["'][^>]*url=([^"'>\s]+)""", page_file.read_text(errors="replace"),
                      re.IGNORECASE)
    return unquote(match.group(1)).removeprefix("./") if match else None


def anchors_of(page_file: Path) -> set:
    return set(re.findall(r'\sid="([^"]+)"', page_file.read_text(errors="replace")))


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly(server, browser, name):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failures = []
    page.on("requestfailed", lambda r: failures.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: failures.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: failures.append(f"left the machine: {r.url}")
            if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:") else None)
    # No wall-clock verdict: every wait is for a concrete condition, with a hang guard long
    # enough for a busy machine (a page that never gets there fails with a timeout).
    page.set_default_timeout(HANG_GUARD_MS)
    page.set_default_navigation_timeout(HANG_GUARD_MS)
    page.goto(f"{server}/{name}", wait_until="load")
    target = redirect_target(HTML / name)
    if target:  # index.html redirects to the first page: wait until the browser is there
        page.wait_for_url(lambda url: unquote(urlparse(url).path).endswith("/" + target))
        page.wait_for_function("() => document.readyState === 'complete'")
    shown = unquote(urlparse(page.url).path).lstrip("/") or "index.html"  # index.html redirects to the first page

    math_count = page.locator(".math").count()
    if math_count:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        rendered = page.locator("mjx-container").count()
        assert rendered >= math_count, f"{name}: {math_count} math elements but only {rendered} rendered by MathJax"
        assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax reported a math error"

    broken_images = page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken_images, f"{name}: images that did not load: {broken_images}"

    text = page.inner_text("body")
    assert "Traceback (most recent call last)" not in text, f"{name}: a Python traceback is shown"
    assert page.locator("div.output.stderr, div.output.traceback, .output_error").count() == 0, \
        f"{name}: error or stderr output shown"

    links = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
    for href in page.evaluate(links):
        if href.startswith(("http:", "https:", "mailto:", "javascript:")):
            continue
        target, fragment = urldefrag(href)
        target_file = (HTML / shown).parent / unquote(target) if target else HTML / shown
        if target_file.is_dir():
            target_file = target_file / "index.html"
        assert target_file.exists(), f"{name}: broken link {href}"
        if fragment and target_file.suffix == ".html":
            assert unquote(fragment) in anchors_of(target_file), f"{name}: link {href} points to a missing anchor"

    if name[:2].isdigit():  # a chapter: its executed notebook is offered for download
        assert page.locator("p.notebook-download a[download]").count() == 1, f"{name}: no notebook download link"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(name).stem}.png"), full_page=True)
    page.close()
    assert not failures, f"{name}: " + "; ".join(sorted(set(failures))[:10])
