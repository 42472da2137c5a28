"""`dvc plots show` with the project's templates: right axes and stacks, and a page that works offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from errormap import artifacts
from errormap.report.dvc_plots import write_plots_template
from errormap.settings import default_settings
from errormap.steps.signatures import compute_signatures
from tests import report_fixtures
from tests.conftest import REPO, pipeline_env
from tests.report.test_report_browser import launched_chromium


@pytest.fixture(scope="module")
def plots_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DVC project with this repository's dvc.yaml and templates, and plots files from a small fixture."""
    root = tmp_path_factory.mktemp("plots")
    for name in ("dvc.yaml", "params.yaml"):  # dvc.yaml interpolates params
        shutil.copy(REPO / name, root / name)
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=root, env=pipeline_env(), check=True)
    shutil.copytree(REPO / ".dvc" / "plots", root / ".dvc" / "plots")
    inputs = report_fixtures.build()
    results = pd.concat([
        inputs.failures[["model", "dataset", "failure_id"]].assign(is_failure=True),
        pd.DataFrame([{"model": m, "dataset": d, "is_failure": False, "failure_id": ""}
                      for m in report_fixtures.MODELS for d in report_fixtures.DATASETS for _ in range(20)]),
    ])
    result = compute_signatures(inputs.assignments, results, default_settings())
    artifacts.SIGNATURE_PLOT.write(result.signature_plot, root)
    artifacts.PROFILE_PLOT.write(result.profile_plot, root)
    artifacts.DISTANCE_PLOT.write(result.distance_plot, root)
    accuracy = pd.DataFrame([{"model": m, "dataset": d, "rows": 50, "accuracy": 0.5 + 0.1 * i, "failures": 10}
                             for i, m in enumerate(report_fixtures.MODELS) for d in report_fixtures.DATASETS])
    artifacts.ACCURACY_PLOT.write(accuracy, root)
    return root


def _specs(root: Path) -> dict[str, dict]:
    shown = subprocess.run(["dvc", "plots", "show", "--json"], cwd=root, env=pipeline_env(), capture_output=True,
                           text=True, check=True)
    return {name: entries[0]["content"] for name, entries in json.loads(shown.stdout)["data"].items()}


def _svg_texts(spec: dict) -> list[str]:
    import vl_convert

    return re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(spec))


def test_plots_use_the_local_templates_and_draw_the_right_scales(plots_repo: Path) -> None:
    specs = _specs(plots_repo)
    assert {"plots/signatures.csv", "plots/profiles.csv", "plots/distances.csv", "plots/accuracy.csv"} <= set(specs)
    accuracy = _svg_texts(specs["plots/accuracy.csv"])
    assert "100%" in accuracy and not any(t in accuracy for t in ("150%", "1.5", "2.0"))  # never summed over datasets
    signatures = _svg_texts(specs["plots/signatures.csv"])
    assert "100%" in signatures and "110%" not in signatures  # each model's shares stack to one
    categories = set(pd.read_csv(plots_repo / "plots/signatures.csv")["category"])
    assert categories <= set(signatures)  # one colour per category, named in the legend
    distances = _svg_texts(specs["plots/distances.csv"])
    assert "0.00" in distances and set(report_fixtures.MODELS) <= set(distances)


def test_the_offline_template_renders_every_plot_without_network(plots_repo: Path, tmp_path: Path) -> None:
    template = write_plots_template(tmp_path / "template.html")
    subprocess.run(["dvc", "plots", "show", "--html-template", str(template), "-o", str(tmp_path / "out")],
                   cwd=plots_repo, env=pipeline_env(), check=True, capture_output=True)
    page_path = tmp_path / "out" / "index.html"
    html = page_path.read_text()
    assert "cdn.jsdelivr" not in html and "<script src=" not in html
    with launched_chromium() as browser:
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(page_path.as_uri())
        page.wait_for_function(f"document.querySelectorAll('svg.marks, canvas').length >= {len(_specs(plots_repo))}")
        assert errors == [] and requests == [page_path.as_uri()]
        assert page.locator("text=Open in Vega Editor").count() == 0
