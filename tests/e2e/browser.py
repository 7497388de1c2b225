"""Driving Debian's Chromium through Playwright's sync API, shared by every browser test.

Playwright never downloads a browser here: `CHROMIUM_PATH` (default /usr/bin/chromium) is
launched directly, and a test module is skipped when it is missing.
"""

import os
from dataclasses import dataclass, field

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM_PATH),
        reason=f"no Chromium at {CHROMIUM_PATH} (set CHROMIUM_PATH; .ci/run installs it)",
    ),
]


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
    )


@dataclass
class Watch:
    """What went wrong in the page: console errors, uncaught exceptions, failed or refused
    requests, and any request to a host other than the live server."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failed.append(f"{response.status} {response.url}")
            ),
        )
        page.on("request", self._check_host)

    def _check_host(self, request) -> None:
        url = request.url
        if not (url.startswith(f"{self.origin}/") or url.startswith(("data:", "blob:"))):
            self.foreign.append(url)

    @property
    def problems(self) -> list[str]:
        return self.console_errors + self.failed + [f"foreign {url}" for url in self.foreign]
