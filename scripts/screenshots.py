#!/usr/bin/env python3
"""Take the README's screenshots of the web page: the service serving the demo index, Debian's Chromium.

    make demo                              # or: .venv/bin/broker ingest corpus --data data/demo
    .venv/bin/python scripts/screenshots.py [--data data/demo] [--out docs]

`broker serve` runs as a user would start it, on a free loopback port; each shot is a fresh tab at a fixed
size (laptop 1280 × 800, phone 390 × 844 with a touch screen), Danish locale and reduced motion, taken when
the search's request is done.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import httpx
from playwright.sync_api import Browser, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@dataclass(frozen=True)
class Shot:
    file: str
    path: str  # the page's address, state in the URL
    width: int
    height: int
    touch: bool = False


SHOTS = [
    Shot("screenshot.png", "/?q=familiebehandling+i+hjemmet", 1280, 800),
    Shot("screenshot-phone.png", "/?q=familiebehandling", 390, 844, touch=True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, service: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise SystemExit(f"Tjenesten stoppede (kode {service.returncode}).")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"Tjenesten blev ikke klar på {seconds:.0f} s.")


def take(browser: Browser, url: str, shot: Shot, out: Path) -> Path:
    context = browser.new_context(
        base_url=url,
        viewport=cast(Any, {"width": shot.width, "height": shot.height}),
        locale="da-DK",
        reduced_motion="reduce",
        has_touch=shot.touch,
        is_mobile=shot.touch,
    )
    try:
        # The service's first search warms its caches; the picture shows one as a user sees it afterwards.
        httpx.get(url + "/api/search", params=dict(parse_qsl(urlsplit(shot.path).query)), timeout=120)
        page = context.new_page()
        page.goto(shot.path)
        expect(page.locator("#search-results .hit").first).to_be_visible(timeout=60_000)
        expect(page.locator("#search-results")).to_have_attribute("aria-busy", "false")
        page.locator("#search-q").blur()  # no focus ring or caret in the picture
        target = out / shot.file
        page.screenshot(path=str(target))
        return target
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Tag README'ens skærmbilleder af websiden over demo-indekset."
    )
    parser.add_argument(
        "--data", type=Path, default=ROOT / "data" / "demo", help="indeksmappen (standard: data/demo)"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="hvor billederne skrives (standard: docs)"
    )
    args = parser.parse_args()
    if not (args.data / "broker.sqlite3").exists():
        print(
            f"Intet indeks i {args.data}. Kør først: make demo (eller broker ingest corpus --data {args.data})"
        )
        return 2
    if not CHROMIUM.exists():
        print("Chromium mangler: kør ./scripts/setup-system.sh --test")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "broker.cli", "serve", "--data", str(args.data), "--port", str(port)]
    service = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_ready(url, service)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for shot in SHOTS:
                print(f"{take(browser, url, shot, args.out)} ({shot.width} × {shot.height})")
            browser.close()
    finally:
        service.terminate()
        service.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
