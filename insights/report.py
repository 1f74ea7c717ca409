"""The insights as one HTML page (served at /insights, or written by `make insights`) and CSV.

The page is self-contained: charts are inline SVG, styles inline, no script, nothing from
another site. Every figure carries `data-measure` and every table `data-table`, so tests
read the numbers the way a person sees them.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Callable

from insights.charts import all_charts
from insights.measures import Insights, Table

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#f6f7f9}
header,main{max-width:1100px;margin:0 auto;padding:12px 16px}
header{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:baseline}
h1{font-size:1.4rem;margin:.2em 0} h2{font-size:1.1rem;margin:1.4em 0 .4em}
form.period{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid #dde;border-radius:8px;padding:10px}
.card .value{font-size:1.5rem;font-weight:600;display:block}
.card .label{font-size:.8rem;color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #dde;border-radius:8px;padding:8px}
svg.chart{width:100%;height:auto;display:block}
.scroll{overflow-x:auto;background:#fff;border:1px solid #dde;border-radius:8px}
table{border-collapse:collapse;font-size:.85rem;width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.text{text-align:left}
td.text{white-space:normal;min-width:12em}
a.csv{font-size:.8rem;margin-left:.6em}
"""

CARDS = (
    ("conversations", "conversations"),
    ("messages", "learners' messages"),
    ("containment", "contained (no ticket, no request for a person)"),
    ("asked_for_person", "asked for a person"),
    ("ticket_conversations", "conversations with a ticket action"),
    ("fallback_rate", "messages not understood"),
    ("low_confidence_rate", "messages read with low confidence"),
    ("dialogue_fallback", "turns no story or rule fitted"),
    ("apology_turns", "turns answered with the apology"),
    ("outage_replies", "account service outage replies"),
    ("handoffs_requested", "asked for a live agent"),
    ("handoff_wait_p50_s", "wait for an agent p50 (s)"),
    ("latency_p50_ms", "reply latency p50 (ms)"),
    ("latency_p90_ms", "reply latency p90 (ms)"),
)
TABLE_ORDER = (
    "daily",
    "topics",
    "steps",
    "funnel",
    "codes",
    "handoffs",
    "live_handoffs",
    "tickets",
    "misunderstood",
    "health",
    "summary",
)
TEXT_COLUMNS = ("message", "step_name")
# Long lists show their latest rows on the page; the CSV always has every row.
SHOWN_ROWS = 200


def csv_cell(value: object) -> object:
    """A cell as a spreadsheet should read it: learners' words that start like a formula
    (= + - @) get a leading apostrophe, so opening the file never runs them."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([csv_cell(value) for value in row] for row in table.rows)
    return buffer.getvalue()


def shown(value: object, column: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and (column.endswith(("share", "rate")) or column == "value"):
        return f"{value:.1%}" if column.endswith(("share", "rate")) else f"{value:g}"
    return str(value)


def card_value(name: str, value: object) -> str:
    if value is None:
        return "–"
    if name.endswith(("rate", "containment")) and isinstance(value, float):
        return f"{value:.1%}"
    return str(value)


def table_html(table: Table, csv_link: str) -> str:
    head = "".join(f"<th scope='col'>{html.escape(column)}</th>" for column in table.columns)
    body = []
    rows = table.rows[-SHOWN_ROWS:]
    for row in rows:
        cells = []
        for column, value in zip(table.columns, row, strict=False):
            kind = " class='text'" if column in TEXT_COLUMNS else ""
            cells.append(
                f"<td{kind} data-column='{html.escape(column)}'>"
                f"{html.escape(shown(value, column))}</td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not table.rows:
        body.append(f"<tr><td colspan='{len(table.columns)}'>nothing in this period</td></tr>")
    more = (
        f"<p><small>The latest {len(rows)} of {len(table.rows)}; the CSV has them all.</small></p>"
        if len(rows) < len(table.rows)
        else ""
    )
    return (
        f"<section data-table='{table.name}'><h2>{html.escape(table.title)}"
        f"<a class='csv' href='{html.escape(csv_link, quote=True)}' download='{table.name}.csv'>"
        f"CSV</a></h2><div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{more}</section>"
    )


def data_uri(table: Table) -> str:
    encoded = base64.b64encode(to_csv(table).encode()).decode()
    return f"data:text/csv;base64,{encoded}"


def render(
    insights: Insights,
    csv_link: Callable[[Table], str] = data_uri,
    period_form: str = "",
    title: str = "Support insights",
) -> str:
    """The whole page. `csv_link` names each table's download: a route on the server, a
    data: URI in the standalone report."""
    summary = insights.summary
    period = insights.period
    cards = "".join(
        f"<div class='card'><span class='value' data-measure='{name}'>"
        f"{html.escape(card_value(name, summary.get(name)))}</span>"
        f"<span class='label'>{html.escape(label)}</span></div>"
        for name, label in CARDS
    )
    charts = all_charts(insights)
    figures = "".join(
        f"<figure data-chart='{name}'>{chart}</figure>" for name, chart in charts.items()
    )
    tables = "".join(
        table_html(insights.table(name), csv_link(insights.table(name))) for name in TABLE_ORDER
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='icon' href='data:,'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>"
        f"<span data-measure='period'>{period.start.isoformat()} to {period.end.isoformat()}"
        f" (UTC)</span>{period_form}</header>"
        f"<main><div class='cards'>{cards}</div><h2>Charts</h2>"
        f"<div class='charts'>{figures}</div>{tables}"
        f"<p><small>Computed in {insights.seconds:.2f} s from the tracker store.</small></p>"
        "</main></body></html>"
    )
