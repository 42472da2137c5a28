"""The HTML report: one self-contained file that answers how each model fails, what each benchmark tests,
and which model fails least in the ways a user cares about; every analysed failure can be browsed.

The names below load their module (and pandas, jinja2) on first use, so that the report stage can
start the chart engine (`errormap.report.svg.start_engine`) before those imports.
"""

from errormap.lazy import lazy_attributes

_LAZY = {
    "ReportInputs": "errormap.report.inputs",
    "render_html": "errormap.report.render",
    "render_report": "errormap.report.render",
}

__all__ = list(_LAZY)

__getattr__ = lazy_attributes(__name__, _LAZY)
