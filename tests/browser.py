"""What browser tests share: Debian's Chromium driven by Playwright, the two screens people use
(a 360 px phone, a 1366 px desktop), a guard failing every request that would leave this machine,
and axe-core's accessibility checks.

Use the `chromium` fixture (tests/conftest.py) and `new_page(chromium, "phone")`."""
from __future__ import annotations

import time
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENS = {
    "phone": dict(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                  has_touch=True, locale="vi-VN"),
    "desktop": dict(viewport={"width": 1366, "height": 768}, locale="vi-VN"),
}


def new_page(browser, screen: str = "desktop", **context_options):
    """A page in a fresh context of `screen`; `page.outside_requests` lists (and aborts) requests to
    any other host, `page.errors` collects script errors and what our CSP blocked."""
    context = browser.new_context(**{**SCREENS[screen], **context_options})
    page = context.new_page()
    page.outside_requests = []
    page.errors = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.outside_requests.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: page.errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


def wait_until(page, expression: str, timeout_s: float = 30) -> None:
    """Poll a JavaScript expression until it is true. page.evaluate goes through the DevTools
    protocol; Playwright's wait_for_function would eval() inside the page, which our CSP forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def serious_violations(page, also: tuple[str, ...] = ()) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, and those of the rules
    `also` names whatever their impact, one line each ("rule: selector, ..."); an empty list when
    there are none."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in result.response["violations"] if v.get("impact") in ("serious", "critical") or v["id"] in also]


def sign_in(page, base: str, username: str, password: str, next_path: str = "/data/") -> None:
    """Sign in through the sign-in page, as a person does, and wait to land on `next_path`."""
    from urllib.parse import quote

    page.goto(f"{base}/accounts/login/?next={quote(next_path, safe='/')}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path}")
