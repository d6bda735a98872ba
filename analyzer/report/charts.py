"""Inline SVG charts: no script, no network, readable when printed."""

from __future__ import annotations

import math
from html import escape


def latency_strip(series: list[tuple[str, list[float], str]], width: int = 520) -> str:
    """Timed runs as dots on a log-scaled axis, one row per series (before / after), medians marked."""
    values = [v for _, vals, _ in series for v in vals if v > 0]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    lo_log, hi_log = math.log10(lo) - 0.05, math.log10(hi) + 0.05
    if hi_log - lo_log < 0.3:
        mid = (hi_log + lo_log) / 2
        lo_log, hi_log = mid - 0.15, mid + 0.15
    left, right, row_h = 70, 20, 26
    height = row_h * len(series) + 30

    def x(v: float) -> float:
        return left + (math.log10(max(v, 1e-6)) - lo_log) / (hi_log - lo_log) * (width - left - right)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="latency distribution">']
    for i, (label, vals, color) in enumerate(series):
        y = 14 + i * row_h
        parts.append(f'<text x="0" y="{y + 4}" class="axis">{escape(label)}</text>')
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" class="grid"/>')
        for v in vals:
            parts.append(f'<circle cx="{x(v):.1f}" cy="{y}" r="3.2" fill="{color}" fill-opacity="0.55"/>')
        if vals:
            med = sorted(vals)[len(vals) // 2]
            parts.append(f'<line x1="{x(med):.1f}" x2="{x(med):.1f}" y1="{y - 8}" y2="{y + 8}" stroke="{color}" stroke-width="2.5"/>')
    axis_y = height - 8
    for exp in range(math.floor(lo_log), math.ceil(hi_log) + 1):
        for mult in (1, 2, 5):
            v = mult * 10**exp
            if lo_log <= math.log10(v) <= hi_log:
                parts.append(f'<text x="{x(v):.1f}" y="{axis_y}" class="axis" text-anchor="middle">{_fmt_ms(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def gain_cost_scatter(points: list[tuple[str, float, float, bool]], width: int = 560, height: int = 300) -> str:
    """Candidates: weighted speedup (log y) against WAL overhead ratio (x); chosen filled, rejected hollow."""
    if not points:
        return ""
    left, bottom, top, right = 60, 40, 14, 20
    xs = [max(p[2], 0.0) for p in points]
    ys = [max(p[1], 1.0) for p in points]
    x_max = max(max(xs) * 1.1, 0.05)
    y_max = math.log10(max(max(ys) * 1.5, 10))

    def px(v: float) -> float:
        return left + v / x_max * (width - left - right)

    def py(v: float) -> float:
        return height - bottom - math.log10(max(v, 1.0)) / y_max * (height - bottom - top)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             'aria-label="read gain against write cost">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axisline"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axisline"/>',
             f'<text x="{(width + left) / 2}" y="{height - 6}" class="axis" text-anchor="middle">write cost: extra WAL of the write mix</text>',
             f'<text x="12" y="{(height - bottom) / 2}" class="axis" transform="rotate(-90 12 {(height - bottom) / 2})" '
             'text-anchor="middle">weighted read speedup</text>']
    for tick in (1, 10, 100, 1000, 10000):
        if math.log10(tick) <= y_max:
            parts.append(f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" class="axis" text-anchor="end">{tick:g}x</text>')
    for frac in (0.25, 0.5, 0.75, 1.0):
        v = x_max * frac
        parts.append(f'<text x="{px(v):.1f}" y="{height - bottom + 14}" class="axis" text-anchor="middle">{v:+.0%}</text>')
    for name, gain, cost, chosen in points:
        cls = "dot chosen" if chosen else "dot rejected"
        parts.append(f'<circle cx="{px(max(cost, 0)):.1f}" cy="{py(gain):.1f}" r="6" class="{cls}"><title>'
                     f'{escape(name)}: {gain:,.1f}x, WAL {cost:+.0%}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt_ms(v: float) -> str:
    if v >= 1000:
        return f"{v / 1000:g} s"
    if v >= 1:
        return f"{v:g} ms"
    return f"{v * 1000:g} µs"
