"""Debian's Chromium for the browser tests (``make system-deps`` installs it with the CJK
fonts); Playwright's own browser download is never used."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("OVERCAP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# headless in a container: no sandbox, no GPU, no background traffic
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
