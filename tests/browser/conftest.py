"""Browser tests: Debian's Chromium driven by Playwright against the app served on localhost.

Without Chromium the browser tests are skipped with a loud warning, except in CI
(CI=true), where a missing browser is a failure.

Every browser test runs with real commits (the live server reads in its own threads). A module
whose tests can share their rows makes them once (`pytestmark = pytest.mark.commits(scope="module")`
and a module-scoped fixture) and opens pages already signed in: `new_page(signed_in_as=email)` signs
that person in through the login form once per module and reuses the browser's storage state (the
session cookie). A stored cookie only holds while its user row does (it carries the row's id, session
version and password fingerprint), so the states live no longer than the module's rows. A test that
signs out, or that checks signing in itself, uses its own context and `sign_in`.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def _served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_server(app, _served, monkeypatch):
    """The app served on localhost; for the test's length, links in e-mails point to it (BASE_URL)."""
    monkeypatch.setitem(app.config, "BASE_URL", _served)
    return _served


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: the browser tests cannot run (apt-get install chromium)."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def storage_states(browser, _served):
    """Each person's browser storage state once signed in through the login form, for the module."""
    states: dict[tuple[str, str], dict] = {}

    def state_of(email: str, password: str) -> dict:
        if (email, password) not in states:
            context = browser.new_context(locale="fr-FR")
            try:
                page = context.new_page()
                sign_in(page, _served, email, password)
                assert "/login" not in page.url, f"{email} could not sign in"
                states[email, password] = context.storage_state()
            finally:
                context.close()
        return states[email, password]

    return state_of


@pytest.fixture
def new_page(browser, request):
    """Open pages in fresh browser contexts (one per person); a failing test leaves a screenshot.

    With `signed_in_as`, the context starts signed in as that person (see the module docstring) and the
    page opens on their home page, where signing in through the form would have led.
    """
    contexts = []

    def open_page(width: int = 1280, height: int = 800, color_scheme: str = "light", *,
                  signed_in_as: str | None = None, password: str = "tremplin-demo", **options):
        state = request.getfixturevalue("storage_states")(signed_in_as, password) if signed_in_as else None
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                      color_scheme=color_scheme, storage_state=state, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if signed_in_as:
            page.goto(request.getfixturevalue("live_server") + "/")
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, context in enumerate(contexts):
        if failed and context.pages:
            ARTIFACTS.mkdir(exist_ok=True)
            context.pages[-1].screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def sign_in(page, base: str, email: str, password: str = "tremplin-demo") -> None:
    page.goto(base + "/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():  # wait for the page after sign-in, not the login page still there
        page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
