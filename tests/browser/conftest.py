"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (the
`chromium` package; .ci/run installs it). When a test fails, a screenshot of its
page is kept in test-artifacts/<test name>.png. Every page a test visits is
watched for Content-Security-Policy violations (the `securitypolicyviolation`
event and Chromium's "Refused to …" console errors): any one fails the test.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM
# calls from a thread with a running loop unless told it is fine (it is: tests).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
# Runs before any script of every document (and frame) the page loads.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " +
    (e.blockedURI || "inline") + " in " + e.documentURI +
    (e.sample ? " (" + e.sample + ")" : ""));
});
"""


def _is_csp_error(message) -> bool:
    text = message.text
    return message.type == "error" and (
        text.startswith("CSP violation:") or "Content Security Policy" in text
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Install Debian's: apt-get install chromium "
            "(never `playwright install`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _artifact_path(item) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name) + ".png")


@pytest.fixture
def browser_context_args() -> dict:
    return {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page(browser, browser_context_args, request):
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}") if _is_csp_error(m) else None
        ),
    )
    # A page without the header could not report a violation: that is one too.
    page.on(
        "response",
        lambda r: (
            violations.append(f"{r.url}: no Content-Security-Policy header")
            if r.request.resource_type == "document"
            and r.url.startswith("http://localhost")
            and "content-security-policy" not in r.headers
            else None
        ),
    )
    yield page
    failed = getattr(request.node, "rep_call", None)
    if (failed is not None and failed.failed) or os.environ.get("SCREENSHOT_ALL"):
        page.screenshot(path=str(_artifact_path(request.node)), full_page=True)
    context.close()
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(violations),
            pytrace=False,
        )


@pytest.fixture
def log_in(live_server):
    def log_in(page, user) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in
