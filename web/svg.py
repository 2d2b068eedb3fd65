"""Charts drawn on the server as inline SVG: readable without JavaScript, printable, and allowed
by the strict Content Security Policy (presentation attributes only, no style attributes).

Every function returns markup (`Markup`, already escaped where it holds text). Colours come from a
small palette that stays legible in print and for the common colour-vision deficiencies
(light/dark contrast carries the meaning, not hue alone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

AWAKE = "#cde8c9"
QUIET = "#33415c"
UNKNOWN = "#e3e3e3"
SESSION = "#e07a1f"
BAR = "#3b6ea5"
MUTED = "#8a8a8a"
INK = "#1f1f1f"
NOW = "#c0392b"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(
    x: float,
    y: float,
    body: str,
    *,
    anchor: str = "start",
    size: int = 12,
    fill: str = INK,
    cls: str = "",
) -> str:
    extra = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{escape(body)}</text>'
    )


def _svg(width: float, height: float, label: str, body: Sequence[str], cls: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" role="img" direction="ltr" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


# The 24-hour world strip ---------------------------------------------------------------------
@dataclass(frozen=True)
class StripRow:
    """The people who share a time zone and quiet hours."""

    label: str  # in the name column: their clock now and who ("14:05 · ana, bo and 38 more")
    title: str  # the hover text: everyone in the row
    zone: str | None  # None: not set yet
    quiet: tuple[time, time] | None  # their quiet hours (local), None = off


@dataclass(frozen=True)
class StripSession:
    label: str  # "#3 Tue"
    title: str
    start: datetime  # UTC
    end: datetime


def _is_quiet(local: time, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def world_strip(
    rows: Sequence[StripRow],
    sessions: Sequence[StripSession],
    *,
    day_start: datetime,  # midnight of the viewer's day, aware in the viewer's zone
    now: datetime,
    hour_labels: Sequence[str],  # 24 labels, formatted for the viewer
    label: str,
    legend: tuple[str, str, str, str],  # awake, quiet, zone not set, session
    rtl: bool = False,
) -> Markup:
    """One row per group of people (a zone and its quiet hours) across the viewer's 24 hours, in
    15-minute steps: light when it is their waking time, dark in their quiet hours; sessions as
    bands across every row; a line at the viewer's now. Hovering a row names everyone in it. In
    right-to-left pages the hours run from right to left."""
    name_w, hour_w, row_h, top, gap = 210.0, 30.0, 18.0, 34.0, 2.0
    grid_w = 24 * hour_w
    width = name_w + grid_w + 10
    height = top + len(rows) * (row_h + gap) + 64
    grid_x = 10.0 if rtl else name_w

    def x_at(hours: float) -> float:
        offset = hours * hour_w
        return grid_x + (grid_w - offset if rtl else offset)

    body: list[str] = []
    for hour in range(24):
        x = x_at(hour + 0.5)
        body.append(_text(x, 14, hour_labels[hour], anchor="middle", size=10, fill=MUTED))
        xl = x_at(hour)
        body.append(
            f'<line x1="{_num(xl)}" y1="20" x2="{_num(xl)}" y2="{_num(height - 60)}" '
            f'stroke="#ffffff" stroke-width="1"/>'
        )
    step = timedelta(minutes=15)
    for index, row in enumerate(rows):
        y = top + index * (row_h + gap)
        name_x = width - 4 if rtl else name_w - 8
        body.append(f'<g class="strip-row"><title>{escape(row.title)}</title>')
        body.append(_text(name_x, y + row_h - 5, row.label, anchor="end", size=10))
        zone = ZoneInfo(row.zone) if row.zone else None
        runs: list[tuple[int, int, str]] = []
        for quarter in range(96):
            instant = day_start + quarter * step
            if zone is None:
                colour = UNKNOWN
            else:
                local = instant.astimezone(zone).time()
                colour = QUIET if _is_quiet(local, row.quiet) else AWAKE
            if runs and runs[-1][2] == colour and runs[-1][1] == quarter:
                runs[-1] = (runs[-1][0], quarter + 1, colour)
            else:
                runs.append((quarter, quarter + 1, colour))
        for first, last, colour in runs:
            x1, x2 = sorted((x_at(first / 4), x_at(last / 4)))
            body.append(
                f'<rect x="{_num(x1)}" y="{_num(y)}" width="{_num(x2 - x1)}" '
                f'height="{_num(row_h)}" fill="{colour}"/>'
            )
        body.append("</g>")
    grid_bottom = top + len(rows) * (row_h + gap)
    day_end = day_start + timedelta(days=1)
    for item in sessions:
        # Sessions of the coming days drawn at their time of day in the viewer's zone.
        local_start = item.start.astimezone(day_start.tzinfo)
        offset_h = (
            local_start - local_start.replace(hour=0, minute=0, second=0, microsecond=0)
        ).total_seconds() / 3600
        length_h = min((item.end - item.start).total_seconds() / 3600, 24 - offset_h)
        x1, x2 = sorted((x_at(offset_h), x_at(offset_h + length_h)))
        body.append(
            f'<rect class="session" x="{_num(x1)}" y="20" width="{_num(max(x2 - x1, 2))}" '
            f'height="{_num(grid_bottom - 20)}" fill="{SESSION}" fill-opacity="0.28" '
            f'stroke="{SESSION}" stroke-width="1.5"><title>{escape(item.title)}</title></rect>'
        )
        body.append(
            _text(
                x1 + 2 if not rtl else x2 - 2,
                grid_bottom + 14,
                item.label,
                anchor="start" if not rtl else "end",
                size=10,
                fill=SESSION,
            )
        )
    if day_start <= now < day_end:
        x = x_at((now - day_start).total_seconds() / 3600)
        body.append(
            f'<line class="now" x1="{_num(x)}" y1="18" x2="{_num(x)}" y2="{_num(grid_bottom)}" '
            f'stroke="{NOW}" stroke-width="2"/>'
        )
    legend_y = grid_bottom + 40
    lx = grid_x
    for colour, text in zip((AWAKE, QUIET, UNKNOWN, SESSION), legend, strict=True):
        body.append(
            f'<rect x="{_num(lx)}" y="{_num(legend_y - 10)}" width="14" height="12" '
            f'fill="{colour}"/>'
        )
        body.append(_text(lx + 18, legend_y, text, size=11))
        lx += 30 + 7 * len(text)
    return _svg(width, height, label, body, "chart world-strip")


# Bars and lines ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: not shown (suppressed), drawn as an empty track
    text: str  # what is written at the end of the bar ("12", "75%", "<3")


def bars(
    items: Sequence[Bar], *, label: str, maximum: float | None = None, rtl: bool = False
) -> Markup:
    """Horizontal bars, one per item, scaled to `maximum` (default: the largest value)."""
    name_w, bar_w, row_h = 180.0, 160.0, 22.0
    width = name_w + bar_w + 110  # the value: "75% (3/4)"
    height = max(len(items), 1) * row_h + 6
    top = max([i.value or 0.0 for i in items] + [maximum or 0.0, 1e-9])
    body: list[str] = []
    for index, item in enumerate(items):
        y = 3 + index * row_h
        length = 0.0 if item.value is None else bar_w * item.value / top
        if rtl:
            body.append(_text(width - 4, y + 15, item.label, anchor="end", size=12))
            track_x = width - name_w - bar_w
            body.append(
                f'<rect x="{_num(track_x)}" y="{_num(y + 3)}" width="{_num(bar_w)}" '
                f'height="14" fill="#eef1f5"/>'
            )
            body.append(
                f'<rect class="bar" x="{_num(track_x + bar_w - length)}" y="{_num(y + 3)}" '
                f'width="{_num(length)}" height="14" fill="{BAR}"/>'
            )
            body.append(_text(track_x - 6, y + 15, item.text, anchor="end", size=12))
        else:
            body.append(_text(name_w - 8, y + 15, item.label, anchor="end", size=12))
            body.append(
                f'<rect x="{_num(name_w)}" y="{_num(y + 3)}" width="{_num(bar_w)}" '
                f'height="14" fill="#eef1f5"/>'
            )
            body.append(
                f'<rect class="bar" x="{_num(name_w)}" y="{_num(y + 3)}" '
                f'width="{_num(length)}" height="14" fill="{BAR}"/>'
            )
            body.append(_text(name_w + bar_w + 6, y + 15, item.text, size=12))
    return _svg(width, height, label, body, "chart bars")


@dataclass(frozen=True)
class Point:
    label: str  # under the axis
    value: float | None  # None: a gap (e.g. fewer than three answers)
    text: str


def line(
    points: Sequence[Point], *, label: str, low: float, high: float, rtl: bool = False
) -> Markup:
    """A line over ordered points (a trend), with gaps where a value is not shown."""
    width, height, pad_x, pad_top, pad_bottom = 640.0, 200.0, 40.0, 16.0, 40.0
    inner_w, inner_h = width - 2 * pad_x, height - pad_top - pad_bottom
    count = max(len(points), 1)

    def x_at(i: int) -> float:
        offset = inner_w * (i + 0.5) / count
        return pad_x + (inner_w - offset if rtl else offset)

    def y_at(value: float) -> float:
        return pad_top + inner_h * (1 - (value - low) / (high - low))

    body: list[str] = []
    for tick in range(int(low), int(high) + 1):
        y = y_at(tick)
        body.append(
            f'<line x1="{_num(pad_x)}" y1="{_num(y)}" x2="{_num(width - pad_x)}" y2="{_num(y)}" '
            f'stroke="#e3e3e3" stroke-width="1"/>'
        )
        body.append(
            _text(
                pad_x - 6 if not rtl else width - pad_x + 6,
                y + 4,
                str(tick),
                anchor="end" if not rtl else "start",
                size=10,
                fill=MUTED,
            )
        )
    segment: list[str] = []
    for index, point in enumerate(points):
        x = x_at(index)
        body.append(
            _text(x, height - pad_bottom + 16, point.label, anchor="middle", size=10, fill=MUTED)
        )
        if point.value is None:
            if len(segment) > 1:
                body.append(_polyline(segment))
            segment = []
            continue
        y = y_at(point.value)
        segment.append(f"{_num(x)},{_num(y)}")
        body.append(
            f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{BAR}">'
            f"<title>{escape(point.text)}</title></circle>"
        )
    if len(segment) > 1:
        body.append(_polyline(segment))
    return _svg(width, height, label, body, "chart line")


def _polyline(points: Sequence[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAR}" stroke-width="2"/>'


def progress(sent: int, waiting: int, failed: int, total: int, *, label: str) -> Markup:
    """One stacked bar: sent, waiting, failed (of `total` planned)."""
    width, height = 320.0, 16.0
    whole = max(total, sent + waiting + failed, 1)
    body: list[str] = [f'<rect width="{_num(width)}" height="{_num(height)}" fill="#eef1f5"/>']
    x = 0.0
    for count, colour in ((sent, BAR), (waiting, "#9fb8d6"), (failed, NOW)):
        w = width * count / whole
        if w > 0:
            body.append(
                f'<rect x="{_num(x)}" width="{_num(w)}" height="{_num(height)}" fill="{colour}"/>'
            )
        x += w
    return _svg(width, height, label, body, "chart progress")
