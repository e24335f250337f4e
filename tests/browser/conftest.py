"""One Chromium per browser test file: starting Playwright's driver and the browser took about
2 s a page, and the two files opened 22 of them. Each test still opens its pages in a browser
context of its own (cookies, storage and cache of its own, as a fresh browser has) and closes it."""

from __future__ import annotations

import pytest

from tests.browser.chromium import CHROMIUM, FLAGS, need_browser


@pytest.fixture(scope="module")
def chromium():
    """The running browser (a Playwright ``Browser``), closed when the file's tests are done;
    skipped locally, failed in CI, without Chromium or Playwright."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
