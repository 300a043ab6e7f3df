#!/usr/bin/env python3
"""Check a report written by `lstmtune report --html FILE`, and screenshot it with headless Chromium.

    python scripts/check_html.py report.html [--screenshot OUT.png] [--width 1200] [--height 3000]

The page must be self-contained: every <img src> a data: URI, no <script> but inline ones that
reach nothing outside the page (no src, no fetch, XMLHttpRequest, WebSocket, import or URL), no <link>, <iframe>, <object>, <embed>, no url(...) in CSS or a style attribute that leaves the page, no
http(s):// or protocol-relative src/href. The problems are listed and the exit status is 1; otherwise the
number of images is printed. Then the page is rendered with headless Chromium (found as `chromium` or
`chromium-browser`, or $CHROMIUM) and the screenshot's path printed; without Chromium the check still
runs and the script says how to install it (exit status 3 when the screenshot was asked for explicitly).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

INSTALL = "apt-get update && apt-get install -y chromium"
URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background", "xlink:href"}
FORBIDDEN_TAGS = {"link", "iframe", "object", "embed", "frame", "base", "applet", "audio", "video", "source"}
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!data:|#)([^)'\"]*)", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
# What an inline script would need to reach outside the page.
SCRIPT_REACH = re.compile(
    r"fetch\s*\(|XMLHttpRequest|WebSocket|EventSource|import\s*\(|sendBeacon|https?:|//[a-z]|location", re.IGNORECASE
)


class Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.images = 0
        self.data_images = 0
        self._in_style = False
        self._in_script = False
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]}"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"{where}: <{tag}> (a self-contained report has none)")
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            self.problems.append(f"{where}: <meta http-equiv=refresh>")
        if tag == "style":
            self._in_style = True
        if tag == "script":
            self._in_script = True
            self.scripts += 1
            if any(name == "src" for name, _ in attrs):
                self.problems.append(f"{where}: <script src=...> (a self-contained report's scripts are inline)")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{where}: <{tag} {name}=...> (an inline script)")
            if name == "style":
                self._check_css(value, where)
            if name in URL_ATTRIBUTES and value and not value.startswith(("data:", "#")):
                self.problems.append(f"{where}: <{tag} {name}={value[:80]!r}> refers outside the page")
        if tag == "img":
            self.images += 1
            src = dict(attrs).get("src") or ""
            if src.startswith("data:image/"):
                self.data_images += 1
            else:
                self.problems.append(f"{where}: <img> without a data:image src ({src[:60]!r})")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data, f"line {self.getpos()[0]}")
        if self._in_script:
            for match in SCRIPT_REACH.finditer(data):
                self.problems.append(f"line {self.getpos()[0]}: the inline script uses {match.group(0)!r}")

    def _check_css(self, css: str, where: str) -> None:
        for match in CSS_URL.finditer(css):
            self.problems.append(f"{where}: CSS url({match.group(1)[:60]}) refers outside the page")
        if CSS_IMPORT.search(css):
            self.problems.append(f"{where}: CSS @import")


def check(text: str) -> Checker:
    checker = Checker()
    checker.feed(text)
    checker.close()
    return checker


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def screenshot(chromium: str, page: Path, out: Path, width: int, height: int) -> subprocess.CompletedProcess:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check_html_") as profile:
        command = [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-extensions",
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="the report written by lstmtune report --html")
    parser.add_argument("--screenshot", type=Path, help="where to write the PNG (default: beside the page)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)

    if not args.html.is_file():
        print(f"error: {args.html}: no such file", file=sys.stderr)
        return 2
    checker = check(args.html.read_text(encoding="utf-8"))
    size = args.html.stat().st_size
    print(f"{args.html}: {size / 1024:.0f} kB, {checker.images} images ({checker.data_images} inline data: images)")
    for problem in checker.problems:
        print(f"problem: {problem}")
    status = 1 if checker.problems else 0
    if not checker.problems:
        print("self-contained: no link, no external reference, inline scripts only")

    chromium = find_chromium()
    if chromium is None:
        print(
            f"Chromium was not found (chromium or chromium-browser); install it with:\n    {INSTALL}", file=sys.stderr
        )
        return status or (3 if args.screenshot else 0)
    out = args.screenshot or args.html.with_suffix(".png")
    done = screenshot(chromium, args.html, out, args.width, args.height)
    if done.returncode != 0 or not out.is_file():
        print(f"error: Chromium failed ({done.returncode}): {done.stderr.strip()[-400:]}", file=sys.stderr)
        return status or 4
    print(f"screenshot: {out} ({args.width}x{args.height})")
    return status


if __name__ == "__main__":
    sys.exit(main())
