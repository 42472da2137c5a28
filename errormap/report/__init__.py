"""The HTML report: one self-contained file that answers how each model fails, what each benchmark tests,
and which model fails least in the ways a user cares about; every analysed failure can be browsed."""

from errormap.report.inputs import ReportInputs
from errormap.report.render import render_html, render_report

__all__ = ["ReportInputs", "render_html", "render_report"]
