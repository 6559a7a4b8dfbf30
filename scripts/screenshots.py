"""Take screenshots of the main pages of a running Tremplin, desktop and phone sized.

Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR]   (defaults: http://127.0.0.1:5000 screenshots/)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAGES = [
    (None, "/login"),
    ("reseau@tremplin.test", "/network/"),
    ("reseau@tremplin.test", "/network/associations/new"),
    ("reseau@tremplin.test", "/network/associations/2"),
    ("reseau@tremplin.test", "/network/mailbox"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/members"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/mailbox"),
    ("staff.lille@tremplin.test", "/a/lille/"),
    ("staff.lille@tremplin.test", "/a/lille/beneficiaries"),
    ("staff.lille@tremplin.test", "/a/lille/beneficiaries/new"),
    ("staff.lille@tremplin.test", "/a/lille/beneficiaries/82"),
    ("staff.lille@tremplin.test", "/a/lille/beneficiaries/82/journeys/new"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/programs"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/calendar"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/availability"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/resources"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/follow-ups"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/partners"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/partners/follow-ups"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/partners/figures"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/referrals"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/volunteers"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/volunteers/hours"),
    ("admin.bordeaux@tremplin.test", "/account"),
    ("benevole.bordeaux@tremplin.test", "/me/availability"),
    ("reseau@tremplin.test", "/network/programs"),
    ("reseau@tremplin.test", "/network/partners"),
    ("reseau@tremplin.test", "/network/esf"),
    ("benevole.bordeaux@tremplin.test", "/me/"),
    ("benevole.bordeaux@tremplin.test", "/account"),
]


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width, label in ((1280, "desktop"), (375, "phone")):
            signed_in = None
            context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
            page = context.new_page()
            for email, path in PAGES:
                if email != signed_in:
                    context.clear_cookies()
                    if email:
                        page.goto(base + "/login")
                        page.fill("input[name=email]", email)
                        page.fill("input[name=password]", "tremplin-demo")
                        page.click("button[type=submit]")
                    signed_in = email
                page.goto(base + path)
                name = f"{label}{path.replace('/', '_')}_{(email or 'anon').split('@')[0]}.png"
                page.screenshot(path=str(out / name), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000",
         Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots"))
