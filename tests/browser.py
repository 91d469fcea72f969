"""Loading a page in headless Chromium (Debian's package) through Playwright."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, sync_playwright

# Root has no sandbox; the rest keeps Chromium from calling out to the network.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Browsers ask for it unprompted; the site has none, and that is no error of the page.
IGNORED_URLS = ("/favicon.ico",)


@dataclass
class PageVisit:
    problems: list[str] = field(default_factory=list)
    colour: str = ""


def console_line(message: ConsoleMessage) -> str:
    return f"console: {message.text} ({message.location.get('url', '')})"


def visit(
    chromium: str, url: str, headers: dict[str, str], styled: str, screenshot: Path
) -> PageVisit:
    """Load `url`; collect console errors, page errors and failed requests; read the
    computed background colour of the `styled` element; save a screenshot."""
    found = PageVisit()

    def note(problem: str) -> None:
        if not any(ignored in problem for ignored in IGNORED_URLS):
            found.problems.append(problem)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(extra_http_headers=headers).new_page()
            page.on("console", lambda m: note(console_line(m)) if m.type == "error" else None)
            page.on("pageerror", lambda error: note(f"page error: {error}"))
            page.on("requestfailed", lambda r: note(f"failed: {r.url} {r.failure}"))
            page.on(
                "response", lambda r: note(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            )
            page.goto(url, wait_until="networkidle", timeout=20_000)
            found.colour = page.evaluate(
                "selector => getComputedStyle(document.querySelector(selector)).backgroundColor",
                styled,
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return found


WAITING = "waiting for a worker"


def answer_shown_without_reload(
    chromium: str, page_url: str, headers: dict[str, str], let_answer: Callable[[], None]
) -> str:
    """Open a page that shows a ping no worker could answer yet (the highlighted
    one); call `let_answer` and wait for the page to show who answered, by itself.
    Who answered, as the page shows it."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(extra_http_headers=headers).new_page()
            page.goto(page_url, timeout=20_000)
            answer = page.locator("tr.highlighted .answered-by")
            shown_at_first = answer.text_content(timeout=5_000)
            assert shown_at_first == WAITING, f"before any worker ran: {shown_at_first!r}"
            # Gone if the page loads again: the answer must come without a reload.
            page.evaluate("window.sameLoad = true")
            let_answer()
            page.wait_for_function(
                f"el => !el.textContent.startsWith({WAITING!r})",
                arg=answer.element_handle(),
                timeout=30_000,
            )
            assert page.evaluate("window.sameLoad === true"), "the page was loaded again"
            return answer.text_content() or ""
        finally:
            browser.close()
