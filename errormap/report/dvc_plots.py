"""An HTML page template for `dvc plots show --html-template`: Vega, Vega-Lite and Vega-Embed inline.

DVC's own page loads them from a CDN, so offline its plots are blank. This template carries the
libraries bundled by vl-convert (a PyPI package, no network), and turns off Vega-Embed's actions
that would open a chart in the online editor.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_PATH = ".errormap/dvc_plots_template.html"
_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC plots (offline)</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:">
<script>__BUNDLE__</script>
<script>
(function () {
  const embed = window.vegaEmbed;
  const actions = {export: true, source: false, compiled: false, editor: false};
  window.vegaEmbed = (el, spec, options) => embed(el, spec, Object.assign({}, options, {actions: actions}));
})();
</script>
<style>body { font-family: Arial, Liberation Sans, sans-serif; } table { border-spacing: 15px; }</style>
</head>
<body>
{plot_divs}
</body>
</html>
"""


def plots_template() -> str:
    """The template's text (about 1 MB: the bundled libraries)."""
    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version="5.21")  # DVC templates are Vega-Lite v5
    bundle = bundle.replace("</script", "<\\/script")  # the inline <script> must not end inside the bundle
    return _PAGE.replace("__BUNDLE__", bundle)


def write_plots_template(path: Path | str = DEFAULT_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plots_template(), encoding="utf-8")
    return path
