"""Pages from templates, in the reader's language and direction, with the security headers every
response carries (web/security.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.i18n import Catalogs, Translator

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "svg"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: "" if value is None else f"{value:.0f}%"
    return env


def html_lang(tr: Translator) -> str:
    return tr.lang.replace("_", "-")


def page(
    env: Environment,
    tr: Translator,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> web.Response:
    text = env.get_template(template).render(
        t=tr.t,
        tn=tr.tn,
        tr=tr,
        lang=html_lang(tr),
        dir="rtl" if tr.rtl else "ltr",
        **values,
    )
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


def negotiate(catalogs: Catalogs, header: str | None, default: str) -> str:
    """The best of the bot's languages for a browser's Accept-Language (for people not signed
    in: the error pages)."""
    wanted: list[tuple[float, str]] = []
    for part in (header or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _semi, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        wanted.append((quality, tag.strip().replace("-", "_")))
    ordered = [tag for q, tag in sorted(wanted, key=lambda item: -item[0]) if q > 0]
    found = Locale.negotiate(ordered, list(catalogs.languages), sep="_") if ordered else None
    if found is not None:
        text = str(found)
        for lang in catalogs.languages:
            if lang == text or lang.split("_")[0] == text.split("_")[0]:
                return lang
    for tag in ordered:
        normalized = catalogs.normalize(tag)
        if normalized is not None:
            return normalized
    return default


def csv_safe(rows: Sequence[Sequence[object]]) -> str:
    """CSV text whose cells a spreadsheet never runs as formulas (a leading = + - @ is quoted
    away)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        cells = []
        for value in row:
            text = "" if value is None else str(value)
            if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
                text = "'" + text
            cells.append(text)
        writer.writerow(cells)
    return out.getvalue()
