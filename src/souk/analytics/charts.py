"""Inline SVG charts for the HTML report: no script, no CDN, readable in any browser and
in a mail client. Values are plotted as given; labels are escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 36
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return top if top > 0 else 1.0


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """One line per series over shared x labels (days, weeks or months)."""
    top = _scale([v for vs in series.values() for v in vs])
    n = max(len(labels) - 1, 1)
    x = [PAD + i * (WIDTH - 2 * PAD) / n for i in range(len(labels))]
    parts = [_frame(title, top)]
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(
            f"{x[i]:.1f},{HEIGHT - PAD - v / top * (HEIGHT - 2 * PAD):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{16 + 14 * k}" text-anchor="end" fill="{colour}" '
            f'font-size="12">{escape(name)}</text>'
        )
    if labels:
        parts.append(_x_label(x[0], labels[0], "start"))
        parts.append(_x_label(x[-1], labels[-1], "end"))
    return _svg(title, parts)


def bar_chart(title: str, bars: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, one per label, longest first as given."""
    top = _scale([v for _, v in bars])
    height = max(HEIGHT, PAD + 22 * len(bars))
    parts = [f'<text x="{PAD}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(bars):
        y = PAD + 22 * i
        length = value / top * (WIDTH - 260)
        parts.append(
            f'<text x="{PAD}" y="{y + 14}" font-size="12">{escape(label)[:28]}</text>'
            f'<rect x="200" y="{y + 2}" width="{length:.1f}" height="16" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {value:g}</title></rect>'
            f'<text x="{204 + length:.1f}" y="{y + 14}" font-size="12">{value:g}</text>'
        )
    return _svg(title, parts, height=height)


def _frame(title: str, top: float) -> str:
    return (
        f'<text x="{PAD}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>'
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end" font-size="11">{top:g}</text>'
    )


def _x_label(x: float, label: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="{anchor}" '
        f'font-size="11">{escape(label)}</text>'
    )


def _svg(title: str, parts: list[str], *, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        + "".join(parts)
        + "</svg>"
    )
