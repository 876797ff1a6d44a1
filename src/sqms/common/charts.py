"""Plotly, served from the installed package for every page with charts (the sites run on
intranets: no CDN), and what those pages need in their context (`chart_context`).

The script is `plotly_js`; Plotly's style rules come as a stylesheet (`plotly_css`), since the
CSP forbids the inline styles Plotly would otherwise inject. The routes are the complaints
dashboard's (`complaints:dashboard-plotly`, `complaints:dashboard-plotly-css`), where charts
first appeared; every chart page links them."""

from __future__ import annotations

import gzip
import logging
import re
from functools import lru_cache
from pathlib import Path

import plotly
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import condition, require_safe

log = logging.getLogger(__name__)

# --- Plotly's script, from the installed package --------------------------------------------

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY_ETAG = f'"plotly-{plotly.__version__}"'


@lru_cache(maxsize=1)
def _plotly_gzipped() -> bytes:
    """The script compressed once per process (4.8 MB → about 1.4 MB); it never changes while
    the process runs, since it comes from the installed package."""
    return gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=6, mtime=0)


@require_safe
@condition(etag_func=lambda request: PLOTLY_ETAG)
def plotly_js(request: HttpRequest) -> HttpResponse:
    """Plotly's script from the plotly package. Public (it holds no data) and cached for a year:
    the page asks for it with the package version in the query string."""
    response: HttpResponse
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(_plotly_gzipped(), content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Vary"] = "Accept-Encoding"
    return response


# Plotly injects its library-wide style rules with a <style> element, which the CSP (style-src
# 'self') blocks, leaving charts with misplaced layers and an unstyled mode bar. Plotly skips the
# injection when the page already has an element with id "plotly.js-style-global" and class
# "no-inline-styles" (plotly.js #7109), so the page links this stylesheet under that id. The
# rules are read from the installed script (a JS object literal of selector → declarations,
# with X and Y standing for Plotly's root classes), never copied by hand.
_PLOTLY_RULES_RE = re.compile(r"\{(\"X,X div\":.*?)\};for\(", re.S)
_PLOTLY_RULE_RE = re.compile(r'"((?:[^"\\]|\\.)*)":(?:\'((?:[^\'\\]|\\.)*)\'|"((?:[^"\\]|\\.)*)")')
# The map traces' style element, skipped when an element with its id exists (we draw no maps).
_PLOTLY_MAP_STYLE_RE = re.compile(
    r'document\.getElementById\("([0-9a-f]{32,})"\)\)\{var \w+=document\.createElement\("style"\)'
)


def _unescape_js(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@lru_cache(maxsize=1)
def plotly_styles() -> tuple[str, str]:
    """Plotly's style rules as CSS, and the id of its map style element ('' if not found)."""
    source = PLOTLY_JS.read_text(encoding="utf-8")
    rules = ""
    found = _PLOTLY_RULES_RE.search(source)
    if found is None:
        log.warning("plotly %s: style rules not found; charts will look wrong", plotly.__version__)
    else:
        out = []
        for key, single, double in _PLOTLY_RULE_RE.findall(found.group(1)):
            selector = re.sub(r"^,", " ,", _unescape_js(key))
            selector = selector.replace("X", ".js-plotly-plot .plotly")
            selector = selector.replace("Y", ".plotly-notifier")
            out.append(f"{selector}{{{_unescape_js(single or double)}}}")
        # Plotly inserts each rule at the top of its sheet: the last one comes first.
        rules = "\n".join(reversed(out)) + "\n"
    map_style = _PLOTLY_MAP_STYLE_RE.search(source)
    return rules, map_style.group(1) if map_style else ""


@require_safe
@condition(etag_func=lambda request: PLOTLY_ETAG)
def plotly_css(request: HttpRequest) -> HttpResponse:
    """Plotly's style rules as a stylesheet, from the installed package (see above)."""
    response = HttpResponse(plotly_styles()[0], content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def chart_context() -> dict[str, str]:
    """What a page with charts passes its template: the version in the script's and the
    stylesheet's URLs (cached for a year), and the id of the element that keeps Plotly's map
    styles off the page."""
    return {"plotly_version": plotly.__version__, "plotly_map_style_id": plotly_styles()[1]}
