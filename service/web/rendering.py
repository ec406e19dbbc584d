"""How a page is drawn: the Jinja templates with what every page may call (texts, numbers, dates in the
page's language, the status palette, the CSRF token), the page's language, and the files the templates
name by content hash. Every module under ``service/web`` that answers with a page draws it here, the
error pages included; this module imports none of them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from service.db.models import User
from service.domain import texts
from service.domain.statuses import MET, STATUS_COLOURS, STATUS_ICONS
from service.domain.wording import base_already_met, fmt_value, progress_shown
from service.reports.render import attribute_text, target_text
from service.web.data import status_label
from service.web.i18n import t
from service.web.session import csrf_token


def language(request: Request) -> str:
    """The page's language: ``?lang=``, else the one chosen before (a cookie), else Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get("yrdmon_lang") or "zh"
    return "en" if lang == "en" else "zh"


Lang = Annotated[str, Depends(language)]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# `| tojson` (Jinja's own filter, which escapes < > & ') is the only way data enter a <script> element;
# the names stay readable in the page source.
TEMPLATES.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
STATIC = Path(__file__).parent / "static"
# plotly.js's official "basic" partial bundle (scatter, bar and pie traces: all that charts.py draws),
# of the same plotly.js version the Python package ships, vendored with its licence: 1.1 MB (370 kB
# compressed) where the full bundle is 4.8 MB (1.4 MB); see static/PLOTLY.md.
PLOTLY_JS = STATIC / "plotly-basic.min.js"
TEMPLATES.env.globals["plotly_version"] = hashlib.sha256(PLOTLY_JS.read_bytes()).hexdigest()[:12]
TEMPLATES.env.globals["charts_version"] = hashlib.sha256((STATIC / "charts.js").read_bytes()).hexdigest()[:12]


def mark_names(text: str, names: list[str] | None) -> Markup:
    """A message with the names it quotes (a file's labels, catalog names) marked as names; all escaped."""
    found = sorted({n for n in names or [] if n}, key=len, reverse=True)
    if not found:
        return escape(text)
    out, last = Markup(""), 0
    for m in re.finditer("|".join(re.escape(n) for n in found), text):
        out += (
            escape(text[last : m.start()])
            + Markup('<span class="name">')
            + escape(m.group(0))
            + Markup("</span>")
        )
        last = m.end()
    return out + escape(text[last:])


def render(
    request: Request, name: str, lang: str, user: User | None, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    ctx.update(
        lang=lang,
        t=lambda k: t(k, lang),
        user=user,
        colours=STATUS_COLOURS,
        icons=STATUS_ICONS,
        status_word=lambda s, preliminary=False: status_label(s, lang, bool(preliminary)),
        met_statuses=MET,
        csrf=csrf_token(request),
        other_lang="en" if lang == "zh" else "zh",
        path=request.url.path,
        query=request.url.query,
        target_text=lambda r: target_text(r, lang),
        attribute_text=lambda a: attribute_text(a, lang),
        num=lambda v, digits=None: texts.number(v, lang, digits),
        pct=lambda v, digits=1: texts.percent(v, lang, digits),
        when=lambda m: texts.when(m, lang),
        day=lambda d: texts.day(d, lang),
        note=lambda n: texts.note(n, lang),
        unit=lambda u: texts.unit(u, lang),
        unit_name=lambda u: texts.unit_name(u, lang),
        paren=lambda x: texts.paren(x, lang),
        colon=texts.colon(lang),
        mark_names=mark_names,
        fmt_value=lambda v, u=None: fmt_value(v, u, lang),
        progress_shown=progress_shown,
        base_met=base_already_met,
    )
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("yrdmon_lang", lang, max_age=365 * 86400, samesite="lax")
    return response
