"""Size and first paint of an HTML report in headless Chromium.

    python bench/report_size.py [REPORT] [--runs N]     (default: reports/report.html, made by `make demo`)

Prints the file size with what takes the room (inline SVG charts, the failure browser's data, the rest),
then first paint and first contentful paint as Chromium's Paint Timing API reports them, over N fresh
pages (median and slowest). Needs Debian's chromium and the playwright package (the test extra).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAINT = """() => new Promise(resolve => {
  const read = () => {
    const entries = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
    const nav = performance.getEntriesByType('navigation')[0];
    if (entries['first-contentful-paint'] !== undefined && nav && nav.loadEventEnd > 0)
      resolve({...entries, dom: nav.domContentLoadedEventEnd, load: nav.loadEventEnd});
    else setTimeout(read, 20);
  };
  read();
})"""


def composition(html: str) -> dict[str, int]:
    svg = sum(len(m.encode()) for m in re.findall(r"<svg.*?</svg>", html, re.S))
    data = re.search(r'<script type="application/json" id="failures-data">(.*?)</script>', html, re.S)
    data_bytes = len(data.group(1).encode()) if data else 0
    total = len(html.encode())
    return {"total": total, "svg charts": svg, "failure data": data_bytes, "rest": total - svg - data_bytes}


def paint_times(path: Path, runs: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        sys.exit("no chromium on PATH (apt-get install chromium)")
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(path.resolve().as_uri(), wait_until="load")
            results.append(page.evaluate(PAINT))
            context.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="reports/report.html", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not args.report.exists():
        sys.exit(f"{args.report} not found: run `make demo` first")
    parts = composition(args.report.read_text(encoding="utf-8"))
    print(f"report: {args.report}")
    print(f"size: {parts['total']:,} bytes ({parts['total'] / 1e6:.2f} MB)")
    for name in ("svg charts", "failure data", "rest"):
        print(f"  {name:<13} {parts[name]:>10,} bytes ({parts[name] / parts['total']:.0%})")
    times = paint_times(args.report, args.runs)
    print(f"headless Chromium, 1440×900, {args.runs} fresh pages (median / slowest, ms):")
    for key, label in (("first-paint", "first paint"), ("first-contentful-paint", "first contentful paint"),
                       ("dom", "DOMContentLoaded"), ("load", "load")):
        values = [t[key] for t in times if key in t]
        print(f"  {label:<24} {statistics.median(values):7.0f} / {max(values):7.0f}")


if __name__ == "__main__":
    main()
