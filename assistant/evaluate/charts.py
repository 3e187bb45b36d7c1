"""Inline SVG charts for the evaluation report: metric bars and a latency histogram.

Drawn by hand (a few rectangles and lines) so that the report is one self-contained file with no
plotting library, no script and no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

FONT = 'font-family="system-ui, sans-serif" font-size="12"'
GOOD, BAD, MUTED, INK = "#3b7dd8", "#c0392b", "#999", "#222"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # 0..1, None for "n/a"
    before: float | None = None  # the baseline's value, drawn as a tick
    regression: bool = False


def bars(rows: Sequence[Bar], width: int = 640) -> str:
    """Horizontal bars on a 0..1 scale, each with its value; a black tick marks the baseline value."""
    label_w, value_w, row_h = 160, 110, 24
    area = width - label_w - value_w
    height = row_h * len(rows) + 24
    out = [_open(width, height, "metric bars")]
    for x in (0.0, 0.5, 1.0):
        gx = label_w + x * area
        out.append(_line(gx, 0, gx, height - 18, 'stroke="#ddd"'))
        out.append(f'<text x="{gx:.1f}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">{x:g}</text>')
    for i, row in enumerate(rows):
        y = i * row_h + 4
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(row.label)}</text>')
        if row.value is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 15}" fill="{MUTED}">n/a</text>')
        else:
            colour = BAD if row.regression else GOOD
            out.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{max(row.value, 0.0) * area:.1f}" height="{row_h - 8}" '
                f'fill="{colour}"/>'
            )
            text = f"{row.value:.3f}"
            if row.before is not None:
                text += f" ({row.value - row.before:+.3f})"
            out.append(f'<text x="{label_w + area + 6}" y="{y + 15}" fill="{INK}">{text}</text>')
        if row.before is not None:
            bx = label_w + row.before * area
            out.append(_line(bx, y, bx, y + row_h - 2, f'stroke="{INK}" stroke-width="2"'))
    out.append("</svg>")
    return "\n".join(out)


def histogram(
    values: Sequence[float], marks: Mapping[str, float | None], unit: str = "ms", bins: int = 12, width: int = 640
) -> str:
    """Counts of `values` in equal bins, with dashed lines at `marks` (e.g. p50, p95)."""
    height, pad, top = 180, 36, 12 + 13 * len(marks)  # a line of its own for each mark's label
    if not values:
        return f'{_open(width, 40, "no values")}<text x="8" y="24" fill="{MUTED}">no timings</text></svg>'
    lo, hi = min(values), max(values)
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    step = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    area_w, area_h = width - 2 * pad, height - pad - top
    peak = max(counts)
    out = [_open(width, height, f"histogram of {len(values)} values")]
    for i, count in enumerate(counts):
        h = area_h * count / peak
        x = pad + i * area_w / bins
        out.append(
            f'<rect x="{x + 1:.1f}" y="{top + area_h - h:.1f}" width="{area_w / bins - 2:.1f}" height="{h:.1f}" '
            f'fill="{GOOD}"><title>{lo + i * step:.0f}-{lo + (i + 1) * step:.0f} {unit}: {count}</title></rect>'
        )
        if count:
            out.append(
                f'<text x="{x + area_w / bins / 2:.1f}" y="{top + area_h - h - 3:.1f}" text-anchor="middle" '
                f'fill="{INK}">{count}</text>'
            )
    base = top + area_h
    out.append(_line(pad, base, pad + area_w, base, f'stroke="{INK}"'))
    for x_value, anchor in ((lo, "start"), (hi, "end")):
        x = pad + (x_value - lo) / (hi - lo) * area_w
        label = f"{x_value:,.0f} {unit}"
        out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="{anchor}" fill="{MUTED}">{label}</text>')
    for i, (name, at) in enumerate(marks.items()):
        if at is None:
            continue
        x = pad + (at - lo) / (hi - lo) * area_w
        y = 12 + 13 * i
        out.append(_line(x, y + 2, x, base, f'stroke="{BAD}" stroke-dasharray="4 3"'))
        out.append(f'<text x="{x + 3:.1f}" y="{y}" fill="{BAD}">{escape(name)} {at:,.0f}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}><title>{escape(title)}</title>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {style}/>'
