"""Bar charts as SVG for the analytics endpoints (`?format=svg`): drawn on the server with matplotlib, so the
console needs no chart library."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from fastapi.responses import Response

# Chinese intent names and examples need a CJK font; the first one installed wins (fonts-noto-cjk on Debian).
_FONTS = ["Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "DejaVu Sans"]
_COLOURS = ["#4472c4", "#70ad47", "#ed7d31", "#a5a5a5", "#ffc000"]


def bar_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]], *, stacked: bool = False,
    y_label: str = "",
) -> Response:
    """One bar per label and series (side by side, or stacked); an empty chart says so."""
    from matplotlib import rcParams
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # lazy: matplotlib is slow to import
    from matplotlib.figure import Figure

    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = _FONTS
    rcParams["svg.fonttype"] = "none"  # text stays text: small files, the browser's own CJK font
    figure = Figure(figsize=(max(6.0, 0.45 * len(labels) + 2), 3.6), dpi=100, layout="tight")
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    # labels are owner text (entry ids): `$...$` in one is text, not mathtext to parse (a bad one was a 500); set
    # on each text, since rcParams are shared by every thread drawing a chart
    axes.set_title(title, parse_math=False)
    axes.set_ylabel(y_label, parse_math=False)
    if not labels:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
    positions = list(range(len(labels)))
    width = 0.8 if stacked or len(series) == 1 else 0.8 / max(1, len(series))
    bottoms = [0.0] * len(labels)
    for n, (name, values) in enumerate(series.items()):
        offset = 0.0 if stacked or len(series) == 1 else (n - (len(series) - 1) / 2) * width
        axes.bar([p + offset for p in positions], values, width=width, label=name, color=_COLOURS[n % len(_COLOURS)],
                 bottom=bottoms if stacked else None)
        if stacked:
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_xticks(positions, list(labels), rotation=45 if len(labels) > 8 else 0, ha="right" if len(labels) > 8
                    else "center", parse_math=False)
    if len(series) > 1:
        axes.legend(fontsize="small")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return Response(buffer.getvalue(), media_type="image/svg+xml")
