"""Inline SVG charts: no script, no network, readable when printed.

Colours come from CSS classes where they can, so the stylesheet (and print) decides them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    """One row of the latency chart: the timed runs of a query before or after an index."""

    label: str
    values: Sequence[float]
    color: str


@dataclass(frozen=True)
class ScatterPoint:
    """One index candidate on the gain/cost chart."""

    number: int
    name: str
    gain: float  # weighted workload speedup, 1.0 = none
    cost: float | None  # extra WAL of the write mix, as a ratio; None: not measured
    chosen: bool


def latency_chart(series: Sequence[Series], width: int = 560) -> str:
    """Timed runs as dots on a log time axis, one row per series, with the interquartile box and the median."""
    values = [v for s in series for v in s.values if v > 0]
    if not values:
        return ""
    lo_log, hi_log = math.log10(min(values)), math.log10(max(values))
    pad = max((hi_log - lo_log) * 0.08, 0.04)
    lo_log, hi_log = lo_log - pad, hi_log + pad
    if hi_log - lo_log < 0.4:
        mid = (hi_log + lo_log) / 2
        lo_log, hi_log = mid - 0.2, mid + 0.2
    left, right, row_h, top = 52, 74, 30, 8
    height = top + row_h * len(series) + 24

    def x(v: float) -> float:
        return left + (math.log10(max(v, 1e-6)) - lo_log) / (hi_log - lo_log) * (width - left - right)

    parts = [(f'<svg class="chart latency" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="distribution of the timed runs">')]
    axis_y = top + row_h * len(series)
    for v in _log_ticks(lo_log, hi_log):
        parts.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top}" y2="{axis_y}" class="grid"/>'
                     f'<text x="{x(v):.1f}" y="{axis_y + 14}" class="axis" text-anchor="middle">{_fmt_ms(v)}</text>')
    for i, s in enumerate(series):
        y = top + i * row_h + row_h / 2
        vals = sorted(v for v in s.values if v > 0)
        parts.append(f'<text x="0" y="{y + 4:.1f}" class="axis">{escape(s.label)}</text>')
        if not vals:
            continue
        q1, med, q3 = _quantile(vals, 0.25), _quantile(vals, 0.5), _quantile(vals, 0.75)
        parts.append(f'<rect x="{x(q1):.1f}" y="{y - 8:.1f}" width="{max(x(q3) - x(q1), 1):.1f}" height="16" rx="3" '
                     f'fill="{s.color}" fill-opacity="0.12" stroke="{s.color}" stroke-opacity="0.5"/>')
        for j, v in enumerate(s.values):
            if v > 0:
                jitter = ((j * 7919) % 11 - 5) * 1.2  # deterministic: the same report renders the same
                parts.append(f'<circle cx="{x(v):.1f}" cy="{y + jitter:.1f}" r="2.6" fill="{s.color}" '
                             f'fill-opacity="0.6"/>')
        parts.append(f'<line x1="{x(med):.1f}" x2="{x(med):.1f}" y1="{y - 11:.1f}" y2="{y + 11:.1f}" '
                     f'stroke="{s.color}" stroke-width="2.5"/>'
                     f'<text x="{width - right + 8}" y="{y + 4:.1f}" class="val" fill="{s.color}">'
                     f'{_fmt_ms(med)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" class="axisline"/></svg>')
    return "".join(parts)


def gain_cost_scatter(points: Sequence[ScatterPoint], width: int = 560, height: int = 320) -> str:
    """Candidates: weighted workload speedup (log y) against extra WAL of the write mix (x).

    Chosen candidates are filled, rejected ones hollow; each is numbered like the table beside it.
    """
    if not points:
        return ""
    unmeasured = any(p.cost is None for p in points)
    left, bottom, top, right = 58 + (44 if unmeasured else 0), 44, 16, 24
    costs = [p.cost for p in points if p.cost is not None] or [0.0]
    x_lo = min(0.0, min(costs))
    x_hi = max(max(costs) * 1.12, 0.05)
    y_lo = min(0.0, math.log10(max(min(p.gain for p in points), 1e-3)))
    y_hi = max(math.log10(max(max(p.gain for p in points), 1e-3)), math.log10(1.05))
    pad = max((y_hi - y_lo) * 0.1, 0.008)
    y_lo, y_hi = y_lo - pad, y_hi + pad

    def px(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * (width - left - right)

    def py(v: float) -> float:
        return height - bottom - (math.log10(max(v, 1e-3)) - y_lo) / (y_hi - y_lo) * (height - bottom - top)

    parts = [(f'<svg class="chart scatter" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'role="img" aria-label="read gain against write cost of every candidate">')]
    last_y = float("inf")
    tick_x = left - 6 - (44 if unmeasured else 0)  # left of the n/m column, so no dot sits on a tick label
    for gain in _gain_ticks(y_lo, y_hi):
        if abs(py(gain) - last_y) < 16:  # keep tick labels apart
            continue
        last_y = py(gain)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(gain):.1f}" y2="{py(gain):.1f}" class="grid"/>'
                     f'<text x="{tick_x}" y="{py(gain) + 4:.1f}" class="axis" text-anchor="end">{gain:g}×</text>')
    for cost in _cost_ticks(x_lo, x_hi):
        parts.append(f'<line x1="{px(cost):.1f}" x2="{px(cost):.1f}" y1="{top}" y2="{height - bottom}" class="grid"/>'
                     f'<text x="{px(cost):.1f}" y="{height - bottom + 15}" class="axis" text-anchor="middle">'
                     f'{cost:+.0%}</text>')
    parts.append(
        f'<line x1="{left}" y1="{py(1.0):.1f}" x2="{width - right}" y2="{py(1.0):.1f}" class="axisline"/>'
        f'<line x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{height - bottom}" class="axisline"/>'
        f'<text x="{(width + left - right) / 2:.0f}" y="{height - 8}" class="axis title" text-anchor="middle">'
        'write cost: extra WAL of the write mix →</text>'
        f'<text x="13" y="{(height - bottom + top) / 2:.0f}" class="axis title" text-anchor="middle" '
        f'transform="rotate(-90 13 {(height - bottom + top) / 2:.0f})">read gain: weighted speedup →</text>'
    )
    if unmeasured:
        parts.append(f'<line x1="{left - NM_OFFSET}" x2="{left - NM_OFFSET}" y1="{top}" y2="{height - bottom}" class="grid"/>'
                     f'<text x="{left - NM_OFFSET}" y="{height - bottom + 15}" class="axis" text-anchor="middle">'
                     'n/m</text>')
    placed: list[tuple[float, float]] = []
    leaders: list[str] = []  # drawn under every dot, so no leader line crosses a number
    dots: list[str] = []
    for p in sorted(points, key=lambda p: (p.cost if p.cost is not None else -1e9, p.gain)):
        x0, y0 = (px(p.cost) if p.cost is not None else left - NM_OFFSET), py(p.gain)
        cx, cy = _free_spot(x0, y0, placed, (left + 9 - (44 if unmeasured else 0), width - right - 9),
                            (top + 9, height - bottom - 9))
        placed.append((cx, cy))
        if (cx, cy) != (x0, y0):
            leaders.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{cx:.1f}" y2="{cy:.1f}" class="leader"/>'
                         f'<circle cx="{x0:.1f}" cy="{y0:.1f}" r="2" class="leader"/>')
        cls = "dot chosen" if p.chosen else "dot rejected"
        verdict = "chosen" if p.chosen else "rejected"
        dots.append(f'<g class="{cls}"><title>#{p.number} {escape(p.name)} ({verdict}): {p.gain:,.2f}× '
                     f'for {"unmeasured" if p.cost is None else format(p.cost, "+.0%")} WAL</title><circle cx="{cx:.1f}" cy="{cy:.1f}" r="9"/>'
                     f'<text x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle">{p.number}</text></g>')
    parts += leaders + dots
    parts.append("</svg>")
    return "".join(parts)


NM_OFFSET = 28  # the "n/m" (write cost not measured) column, this far left of the plot
DOT_GAP = 21.0  # numbered dots have r=9: centres this far apart leave 3 px between them


def _free_spot(x0: float, y0: float, placed: list[tuple[float, float]], xs: tuple[float, float],
               ys: tuple[float, float]) -> tuple[float, float]:
    """The nearest spot to (x0, y0) inside the plot where a numbered dot overlaps no placed one.

    Crowded candidates move aside; a leader line marks the true position.
    """
    def free(x: float, y: float) -> bool:
        return all(abs(x - ox) >= DOT_GAP or abs(y - oy) >= DOT_GAP for ox, oy in placed)

    for dx, dy in _offsets():  # nearest first, out to the far corner of the plot
        x, y = x0 + dx, y0 + dy
        if xs[0] <= x <= xs[1] and ys[0] <= y <= ys[1] and free(x, y):
            return x, y
    return x0, y0


_OFFSETS: list[tuple[float, float]] = []


def _offsets() -> list[tuple[float, float]]:
    """Offsets on a 5 px grid, nearest first: computed once."""
    if not _OFFSETS:
        grid = [(dx * 5.0, dy * 5.0) for dx in range(-120, 121) for dy in range(-70, 71)]
        _OFFSETS.extend(sorted(grid, key=lambda o: (o[0] ** 2 + o[1] ** 2, abs(o[0]), o[1])))
    return _OFFSETS


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _log_ticks(lo_log: float, hi_log: float) -> list[float]:
    ticks = [m * 10.0**e for e in range(math.floor(lo_log), math.ceil(hi_log) + 1) for m in (1, 2, 5)]
    inside = [v for v in ticks if lo_log <= math.log10(v) <= hi_log]
    return inside if len(inside) <= 7 else [v for v in inside if str(v).lstrip("0.").startswith("1")]


GAIN_TICKS = (0.5, 0.8, 0.9, 0.95, 1.0, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0,
              200.0, 500.0, 1000.0, 10000.0)


def _gain_ticks(y_lo: float, y_hi: float) -> list[float]:
    inside = [v for v in GAIN_TICKS if y_lo <= math.log10(v) <= y_hi]
    while len(inside) > 7:
        inside = [v for i, v in enumerate(inside) if i % 2 == 0 or v == 1.0]
    return inside


def _cost_ticks(x_lo: float, x_hi: float) -> list[float]:
    span = x_hi - x_lo
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0) if span / s <= 6)
    return [i * step for i in range(math.ceil(x_lo / step), math.floor(x_hi / step) + 1)]


def _fmt_ms(v: float) -> str:
    if v >= 1000:
        return f"{v / 1000:.3g} s"
    if v >= 1:
        return f"{v:.3g} ms"
    return f"{v * 1000:.3g} µs"
