"""The report in real headless Chromium (Debian's `chromium`, driven by Playwright).

Skipped with the reason when Playwright or the browser is missing; with ERRORMAP_REQUIRE_BROWSER=1 (set
by .ci/run, which installs the browser) a missing browser fails instead. Screenshots are saved under
reports/screenshots/ (or $ERRORMAP_TEST_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from errormap.report import render_report
from tests import report_fixtures
from tests.conftest import REPO

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("ERRORMAP_TEST_ARTIFACTS", REPO / "reports" / "screenshots"))


def _unavailable(reason: str) -> None:
    if os.environ.get("ERRORMAP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ERRORMAP_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def launched_chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright; skipped with the reason (or failed under ERRORMAP_REQUIRE_BROWSER=1)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("no chromium on PATH (Debian: apt-get install chromium; .ci/run does this)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def long_names_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model, two datasets with very long names."""
    long_names = ["a_benchmark_with_a_very_long_name_" + "x" * 90, "another_" + "y" * 120]
    errors = report_fixtures.diagnoses(40, models=["solo-model"], datasets=long_names)
    return render_report(report_fixtures.build(errors), tmp_path_factory.mktemp("long") / "report.html")


@pytest.fixture(scope="module")
def browser(report: Path, long_names_report: Path) -> Iterator[object]:
    """Chromium, started after the report is built (Playwright's sync API holds an event loop)."""
    with launched_chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = report_fixtures.build(report_fixtures.diagnoses(90, hostile=True))
    return render_report(inputs, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture
def page(browser, report: Path):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.console_messages = []
    page.requests = []
    page.on("console", lambda message: page.console_messages.append((message.type, message.text)))
    page.on("pageerror", lambda error: page.console_messages.append(("pageerror", str(error))))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_selector("#failures-table tbody tr")
    yield page
    context.close()


def test_page_loads_without_console_errors_or_requests(page) -> None:  # type: ignore[no-untyped-def]
    assert [m for m in page.console_messages if m[0] in ("error", "pageerror", "warning")] == []
    assert page.requests == [page.url]  # the page itself, nothing else
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1440, f"the page is {width} px wide at a 1440 px viewport"
    for section in ("models", "benchmarks", "choose", "browse", "taxonomy"):
        assert page.locator(f"#{section}").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-top.png"))
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    assert (ARTIFACTS / "report-full.png").stat().st_size > 10_000


def test_filtering_by_category_and_model_shows_only_matching_rows(page) -> None:  # type: ignore[no-untyped-def]
    options = page.locator("#f-category option").evaluate_all("els => els.map(e => e.value).filter(Boolean)")
    total = page.locator("#failures-table tbody tr.row").count()
    checked = 0
    for category in options:
        page.select_option("#f-category", category)
        page.select_option("#f-model", "m2")
        rows = page.locator("#failures-table tbody tr.row")
        paths = rows.evaluate_all("els => els.map(e => [e.dataset.path, e.dataset.model])")
        assert all(category in path.split(" ") and model == "m2" for path, model in paths)
        checked += len(paths)
        count = page.locator("#f-count").inner_text()
        assert count.startswith(f"{len(paths)} of ")
    assert checked and total >= 50
    page.select_option("#f-category", "")
    page.select_option("#f-model", "")
    page.fill("#f-search", "summary 7")
    texts = page.locator("#failures-table tbody tr.row").all_inner_texts()
    assert texts and len(texts) < total


def test_a_row_expands_to_its_texts_and_criteria(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#failures-table tbody tr.row").first.click()
    detail = page.locator("#failures-table tbody tr.detail")
    assert detail.count() == 1
    text = detail.inner_text()
    assert "Wrong output" in text and "Reference" in text and "criterion" in text
    assert "<script>alert(1)</script>" in text  # the evidence shown as text
    page.locator("#failures-table tbody tr.row").first.click()
    assert page.locator("#failures-table tbody tr.detail").count() == 0


def test_expanding_a_taxonomy_node_shows_its_children(page) -> None:  # type: ignore[no-untyped-def]
    parent = page.locator("#taxonomy details.node:has(details.node)").first
    child = parent.locator("details.node").first
    assert not child.is_visible()
    parent.locator("> summary").click()
    assert child.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    parent.screenshot(path=str(ARTIFACTS / "report-taxonomy-node.png"))


def test_a_planted_script_in_a_model_output_runs_nothing(page) -> None:  # type: ignore[no-untyped-def]
    page.fill("#f-search", "__pwned")
    rows = page.locator("#failures-table tbody tr.row")
    assert rows.count() > 0
    rows.first.click()
    assert "window.__pwned = 1" in page.locator("#failures-table tbody tr.detail").inner_text()
    for example in page.locator("#taxonomy details").all():
        example.evaluate("e => e.open = true")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.requests == [page.url]


def test_a_browse_link_filters_the_table_to_its_category(page) -> None:  # type: ignore[no-untyped-def]
    node = page.locator("#taxonomy details.node").first
    node.locator("> summary").click()
    link = node.locator("a.browse-link").first
    category = link.get_attribute("data-category")
    link.click()
    assert page.locator("#f-category").input_value() == category
    paths = page.locator("#failures-table tbody tr.row").evaluate_all("els => els.map(e => e.dataset.path)")
    assert paths and all(category in p.split(" ") for p in paths)


def test_one_model_and_long_dataset_names_fit_the_viewport(browser, long_names_report: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(long_names_report.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    for chart in page.locator("figure.chart svg").all():
        box = chart.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1440
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#benchmarks").screenshot(path=str(ARTIFACTS / "report-one-model-long-names.png"))
    page.close()
