"""``report.html``: one self-contained page for the manager who signs off the go-live.

No network at all: inline CSS, an inline SVG bar chart, no scripts, no external fonts.
Rendered with Jinja2 autoescape from ``report.html.j2`` — taken from ``--template-dir`` when
the site put one there, else the packaged ``templates/``; examples come from
``report.issue_table`` (values and messages already masked). HL7 runs get a section on the
appointments not loaded and the repeated messages. Counts carry their noun in its right Polish
plural form (:func:`cer_loader.report.console.count`, the Jinja filter ``count``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from cer_loader.files import Outputs, write_private
from cer_loader.report.console import count
from cer_loader.report.not_loaded import reason_text
from cer_loader.report.rows import issue_table
from cer_loader.report.view import ReportView
from cer_loader.report.workbook_meta import rule_title
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


def _examples(
    result: RunResult, summary: Mapping[str, Any], lang: str, view: ReportView | None
) -> list[dict[str, str]]:
    """For each of the top rules: its description and one masked example."""
    top = list(summary.get("rejections_by_rule", {}).items())[:TOP_RULES]
    errors = result.errors
    errors = errors[errors["rule"].isin([code for code, _ in top])]
    # one example per rule is enough: the first issue of each (cheap on 1M rows)
    errors = errors.loc[~errors["rule"].duplicated()]
    table = issue_table(errors, result.frame, result.tables, result.rules, lang, view)
    out = []
    for code, n in top:
        rows = table[table["rule"] == code]
        first = rows.iloc[0] if len(rows) else None
        out.append(
            {
                "code": code,
                "n": n,
                "title": rule_title(result, code, lang),
                "where": f"{Path(str(first['source_file'])).name}:{first['source_row']}"
                if first is not None else "",
                "value": str(first["value"]) if first is not None else "",
                "message": str(first["message"]) if first is not None else "",
            }
        )  # fmt: skip
    return out


def _environment(template_dir: Path | None, lang: str) -> jinja2.Environment:
    """The site's ``--template-dir`` first (a ``report.html.j2`` there wins), then ours."""
    dirs = [str(template_dir)] if template_dir is not None else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*dirs, str(data_dir("templates"))]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["count"] = lambda n, noun: count(int(n), str(noun), lang)
    return env


def _hl7(summary: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    h = summary.get("hl7")
    if not h:
        return None
    by_reason = h.get("appointments_not_loaded_by_reason", h.get("not_loaded_by_reason", {}))
    return {
        **h,
        "reasons": [
            {"code": k, "n": v, "text": reason_text(k, lang)} for k, v in by_reason.items()
        ],
    }


def render_html(
    result: RunResult, summary: Mapping[str, Any], clock: Callable[[], dt.datetime] | None = None,
    view: ReportView | None = None,
) -> str:  # fmt: skip
    lang = "en" if result.settings.lang == "en" else "pl"
    env = _environment(getattr(result.settings, "template_dir", None), lang)
    counts = summary.get("rejections_by_rule", {})
    bars = _bars(dict(list(counts.items())[: TOP_RULES * 2]))
    return env.get_template(
        TEMPLATE
    ).render(
        lang=lang,
        s=summary,
        bars=bars,
        chart={
            "w": LABEL_WIDTH + BAR_WIDTH + 60,
            "h": max(len(bars), 1) * (BAR_HEIGHT + 6),
            "label": LABEL_WIDTH,
            "bar": BAR_HEIGHT,
        },  # fmt: skip
        examples=_examples(result, summary, lang, view),
        more_rules=max(len(counts) - TOP_RULES, 0),
        more_rows=sum(list(counts.values())[TOP_RULES:]),
        hl7=_hl7(summary, lang),
        sms=summary.get("patients_without_sms"),
        created=(clock or _local_now)().strftime("%Y-%m-%d %H:%M"),
    )


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def write_html_report(
    path: Path, result: RunResult, summary: Mapping[str, Any], *,
    clock: Callable[[], dt.datetime] | None = None, outputs: Outputs | None = None,
    view: ReportView | None = None,
) -> None:  # fmt: skip
    """Write ``report.html`` (mode 0600: it names files and rules, no personal data unmasked)."""
    data = render_html(result, summary, clock, view).encode("utf-8")
    if outputs is None:
        write_private(path, data)
    else:
        outputs.write(path, data)
