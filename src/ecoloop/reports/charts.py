"""The brief's charts as PNG images (matplotlib, Agg, no display): bars or lines over categories, labelled in a
Chinese font that ships with the system (Noto Sans CJK SC from Debian's fonts-noto-cjk, else WenQuanYi, else
SimHei on a bureau's Windows machine)."""

from __future__ import annotations

import io
import threading

from ecoloop.reports.content import Chart

# The HJ 633 blue of the pages' charts, then distinguishable colours for further series.
COLOURS = ("#3b82c4", "#e8a33d", "#5aa469", "#c0504d", "#8064a2", "#4bacc6")
FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei")
WIDTH_IN, HEIGHT_IN, DPI = 6.3, 3.0, 150
_lock = threading.Lock()  # matplotlib's font and state machinery is not thread-safe
_ready: list[bool] = []


def _setup() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    names = {font.name for font in font_manager.fontManager.ttflist}
    rcParams["font.sans-serif"] = [name for name in FONTS if name in names] + list(rcParams["font.sans-serif"])
    rcParams["axes.unicode_minus"] = False
    _ready.append(True)


def png(chart: Chart) -> bytes:
    """The chart drawn as a PNG image."""
    with _lock:
        if not _ready:
            _setup()
        from matplotlib.figure import Figure

        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        axes = figure.add_subplot()
        positions = list(range(len(chart.categories)))
        count = max(len(chart.series), 1)
        width = 0.8 / count
        for n, (name, values) in enumerate(chart.series):
            colour = COLOURS[n % len(COLOURS)]
            drawn = [float("nan") if v is None else v for v in values]
            if chart.kind == "bar":
                offsets = [p - 0.4 + width * (n + 0.5) for p in positions]
                axes.bar(offsets, drawn, width=width, color=colour, label=name)
            else:
                axes.plot(positions, drawn, color=colour, marker="o", markersize=3, label=name)
        if chart.limit is not None:
            axes.axhline(chart.limit, color="#c0504d", linestyle="--", linewidth=1)
        axes.set_xticks(positions, list(chart.categories), fontsize=8, rotation=30 if len(positions) > 8 else 0)
        axes.tick_params(axis="y", labelsize=8)
        axes.set_title(chart.title, fontsize=10)
        if chart.unit:
            axes.set_ylabel(chart.unit, fontsize=8)
        if len(chart.series) > 1:
            axes.legend(fontsize=8, frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        # Fixed margins rather than tight_layout, which measures every label again (a third of a chart's time).
        figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.2 if len(positions) > 8 else 0.12)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
