"""``report.html``: one self-contained page for the manager who signs off the go-live.

No network at all: inline CSS, an inline SVG bar chart, no scripts, no external fonts.
Rendered with Jinja2 autoescape from ``templates/report.html.j2``; examples come from
``report.issue_table`` (values and messages already masked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from cer_loader.files import write_private
from cer_loader.report.rows import issue_table
from cer_loader.resources import data_dir

if TYPE_CHECKING:
    from cer_loader.result import RunResult

TEMPLATE = "report.html.j2"
TOP_RULES = 10
BAR_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 420, 22, 230


def _bars(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Bar geometry for the SVG chart (largest first)."""
    top = max(counts.values(), default=0) or 1
    return [
        {"code": code, "n": n, "y": i * (BAR_HEIGHT + 6), "w": max(2, round(BAR_WIDTH * n / top))}
        for i, (code, n) in enumerate(counts.items())
    ]


def _examples(result: RunResult, summary: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    """For each of the top rules: its description and one masked example."""
    table = issue_table(result.errors, result.frame, result.tables, result.rules, lang)
    out = []
    for code, n in list(summary.get("rejections_by_rule", {}).items())[:TOP_RULES]:
        rows = table[table["rule"] == code]
        first = rows.iloc[0] if len(rows) else None
        rule = result.rules.get(code)
        out.append(
            {
                "code": code,
                "n": n,
                "title": rule.title(lang)
                if rule else "",
                "where": f"{Path(str(first['source_file'])).name}:{first['source_row']}"
                if first is not None else "",
                "value": str(first["value"]) if first is not None else "",
                "message": str(first["message"]) if first is not None else "",
            }
        )  # fmt: skip
    return out


def render_html(result: RunResult, summary: Mapping[str, Any]) -> str:
    lang = "en" if result.settings.lang == "en" else "pl"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    counts = summary.get("rejections_by_rule", {})
    bars = _bars(dict(list(counts.items())[: TOP_RULES * 2]))
    return env.get_template(TEMPLATE).render(
        lang=lang,
        s=summary,
        bars=bars,
        chart={
            "w": LABEL_WIDTH + BAR_WIDTH + 60,
            "h": max(len(bars), 1) * (BAR_HEIGHT + 6),
            "label": LABEL_WIDTH,
            "bar": BAR_HEIGHT,
        },  # fmt: skip
        examples=_examples(result, summary, lang),
        created=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    )


def write_html_report(path: Path, result: RunResult, summary: Mapping[str, Any]) -> None:
    """Write ``report.html`` (mode 0600: it names files and rules, no personal data unmasked)."""
    write_private(path, render_html(result, summary).encode("utf-8"))
