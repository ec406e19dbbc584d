"""A small line chart of one target as a PNG, drawn with Pillow (no browser, no plotting library).

Plotly's static export needs kaleido and a Chrome; matplotlib would bring numpy and four more
packages for one kind of chart. The picture holds only digits (years, values), so Pillow's own
scalable font serves and no CJK font is needed: the words (title, unit, legend) are in the
document beside it. Colours are Okabe–Ito, and every line also differs by its dash or marker.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from service.domain.wording import fmt_number

BLUE, VERMILION, GREY, GRID, INK = "#0072B2", "#D55E00", "#777777", "#DDDDDD", "#222222"
SCALE = 2  # drawn at twice the size, then reduced: smooth lines without anti-aliasing support


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _label(v: float) -> str:
    """A tick or point label: 2.8, 150, 37987.55 (never 1.5e+02 or 2.8000000001)."""
    return fmt_number(v)


def _dashed(
    draw: ImageDraw.ImageDraw,
    a: tuple[float, float],
    b: tuple[float, float],
    fill: str,
    width: int,
    dash: float,
) -> None:
    length = math.dist(a, b)
    if length == 0:
        return
    n = max(1, int(length // (2 * dash)))
    for i in range(n + 1):
        s, e = (2 * i * dash) / length, min(1.0, (2 * i + 1) * dash / length)
        if s >= 1:
            break
        draw.line(
            [
                (a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s),
                (a[0] + (b[0] - a[0]) * e, a[1] + (b[1] - a[1]) * e),
            ],
            fill=fill,
            width=width,
        )


def line_chart(
    series: list[tuple[int, float]],
    *,
    base: tuple[int, float],
    target: tuple[int, float],
    preliminary_last: bool = False,
    size: tuple[int, int] = (1200, 520),
    path: bool = True,
) -> bytes:
    """The actual values (solid, dots; the last one hollow when preliminary), the straight path from
    the base to the target (dashed; left out with ``path=False``, for a target met at its base, whose
    path would run away from the better side) and the target (a diamond), as PNG bytes."""
    w, h = size[0] * SCALE, size[1] * SCALE
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=22 * SCALE)
    left, right, top, bottom = 130 * SCALE, 40 * SCALE, 30 * SCALE, 60 * SCALE
    years = [y for y, _ in series] + [base[0], target[0]]
    values = [v for _, v in series] + [base[1], target[1]]
    x0, x1 = min(years) - 0.5, max(years) + 0.5
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    ticks = _nice_ticks(lo - pad, hi + pad)
    y0, y1 = ticks[0], ticks[-1]

    def px(year: float, value: float) -> tuple[float, float]:
        return (
            left + (year - x0) / (x1 - x0) * (w - left - right),
            h - bottom - (value - y0) / (y1 - y0) * (h - top - bottom),
        )

    for v in ticks:  # grid and value labels
        _, y = px(x0, v)
        draw.line([(left, y), (w - right, y)], fill=GRID, width=SCALE)
        text = _label(v)
        tw = draw.textlength(text, font=font)
        draw.text((left - 12 * SCALE - tw, y - 12 * SCALE), text, fill=INK, font=font)
    span = int(x1 - x0)
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    for year in range(math.ceil(x0), math.floor(x1) + 1):
        if (year - math.ceil(x0)) % step and year not in (base[0], target[0]):
            continue
        x, _ = px(year, y0)
        draw.line([(x, h - bottom), (x, h - bottom + 8 * SCALE)], fill=INK, width=SCALE)
        text = str(year)
        draw.text(
            (x - draw.textlength(text, font=font) / 2, h - bottom + 14 * SCALE), text, fill=INK, font=font
        )
    draw.line([(left, h - bottom), (w - right, h - bottom)], fill=INK, width=SCALE)
    draw.line([(left, top), (left, h - bottom)], fill=INK, width=SCALE)
    # the straight path from the base to the target, and the target level
    if path:
        _dashed(draw, px(*base), px(*target), GREY, 3 * SCALE, 10 * SCALE)
    _dashed(draw, px(x0, target[1]), px(x1, target[1]), VERMILION, SCALE, 4 * SCALE)
    tx, ty = px(*target)
    d = 14 * SCALE
    draw.polygon([(tx, ty - d), (tx + d, ty), (tx, ty + d), (tx - d, ty)], fill=VERMILION)
    # the actual values
    pts = [px(y, v) for y, v in series]
    if len(pts) > 1:
        draw.line(pts, fill=BLUE, width=4 * SCALE, joint="curve")
    r = 8 * SCALE
    for i, (x, y) in enumerate(pts):
        hollow = preliminary_last and i == len(pts) - 1
        draw.ellipse(
            [(x - r, y - r), (x + r, y + r)], fill="white" if hollow else BLUE, outline=BLUE, width=3 * SCALE
        )
    if series:  # the latest value and the target, written beside their points
        lx, ly = pts[-1]
        text = _label(series[-1][1])
        draw.text((lx - draw.textlength(text, font=font) / 2, ly - 40 * SCALE), text, fill=BLUE, font=font)
    # the target's value at the left end of its line, away from the latest value near the target year
    draw.text((left + 10 * SCALE, ty - 30 * SCALE), _label(target[1]), fill=VERMILION, font=font)
    out = io.BytesIO()
    img.resize(size, Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()
