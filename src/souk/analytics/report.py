"""`souk report`: one self-contained HTML page of a period's figures with inline charts."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from souk.analytics import charts, service
from souk.analytics.schemas import KpiRatioRead, KpisRead, SalesRead
from souk.settings import Settings

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:1100px}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem}
td.n{text-align:right}.muted{color:#666}
"""


def _pct(r: KpiRatioRead) -> str:
    return "–" if r.rate is None else f"{r.rate * 100:.1f} %"


def _card(label: str, value: str, note: str = "") -> str:
    return (
        f'<div class="card">{escape(label)}<b>{escape(value)}</b>'
        f'<span class="muted">{escape(note)}</span></div>'
    )


def _cards(board: KpisRead) -> str:
    cards = [
        _card(f"Revenue {s.currency}", f"{s.revenue.amount:,}", f"{s.orders:,} orders, minor units")
        for s in board.sales
    ]
    for label, ratio in (
        ("Conversion", board.conversion),
        ("Cart abandonment", board.cart_abandonment),
        ("Click & collect", board.click_and_collect_share),
        ("Ship from store", board.ship_from_store_share),
        ("Return rate (units)", board.return_rate.overall),
        ("ROPO share", board.ropo_share),
    ):
        cards.append(_card(label, _pct(ratio), f"{ratio.count:,} of {ratio.of:,}"))
    c = board.customers
    cards.append(_card("New / returning", f"{c.new:,} / {c.returning:,}", "known buyers"))
    inv = board.inventory
    cover = "–" if inv.days_of_cover is None else f"{inv.days_of_cover:g} days"
    cards.append(_card("Days of cover", cover, f"{inv.stock_outs_now:,} lines out of stock"))
    return '<div class="cards">' + "".join(cards) + "</div>"


def _revenue_over_time(daily: SalesRead) -> str:
    # Every day of the period, so that a day without sales shows as zero, not as a gap.
    days = (daily.to - daily.from_).days + 1
    labels = [(daily.from_ + timedelta(days=i)).isoformat() for i in range(days)]
    index = {d: i for i, d in enumerate(labels)}
    series: dict[str, list[float]] = {}
    for r in daily.rows:
        series.setdefault(r.revenue.currency, [0.0] * len(labels))[index[r.period.isoformat()]] += (
            r.revenue.amount
        )
    # One chart per currency: amounts in different currencies never share an axis.
    return "".join(
        charts.line_chart(f"Revenue per day, {cur} (minor units)", labels, {cur: values})
        for cur, values in sorted(series.items())
    )


def _by_channel(by_channel: SalesRead) -> str:
    out = []
    for currency in sorted({r.revenue.currency for r in by_channel.rows}):
        bars = sorted(
            ((r.channel or "–", float(r.revenue.amount)) for r in by_channel.rows
             if r.revenue.currency == currency),
            key=lambda b: -b[1],
        )  # fmt: skip
        out.append(charts.bar_chart(f"Revenue by channel, {currency}", bars))
    return "".join(out)


def _cohorts(board: KpisRead) -> str:
    if not board.cohorts:
        return '<p class="muted">No first orders in this period.</p>'
    rows = []
    for c in board.cohorts:
        kept = ", ".join(
            f"+{r.months_later}: " + ("–" if r.rate is None else f"{r.rate * 100:.1f} %")
            for r in c.retained
        )
        rows.append(
            f"<tr><td>{escape(c.cohort)}</td><td class='n'>{c.customers}</td><td>{kept}</td></tr>"
        )
    return (
        "<table><tr><th>cohort</th><th>customers</th><th>retained</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render(*, settings: Settings, start: date, end: date) -> str:
    board = service.kpi_board(settings=settings, start=start, end=end)
    daily = service.sales_report(settings=settings, start=start, end=end, by="day")
    channels = service.sales_report(settings=settings, start=start, end=end, by="channel")
    reasons = sorted(
        ((reason, float(r.count)) for reason, r in board.return_rate.reasons.items()),
        key=lambda b: -b[1],
    )
    fresh = board.refreshed_at.isoformat() if board.refreshed_at else "never refreshed"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Souk report {start} to {end}</title><style>{STYLE}</style></head><body>"
        f"<h1>Souk report, {start} to {end}</h1>"
        f"<p class='muted'>Figures as of {escape(fresh)} (UTC). Money in minor units, "
        "per currency, never summed across currencies.</p>"
        f"{_cards(board)}<h2>Sales</h2>{_revenue_over_time(daily)}{_by_channel(channels)}"
        f"<h2>Returns</h2>{charts.bar_chart('Returned units by reason', reasons)}"
        f"<h2>Cohorts</h2>{_cohorts(board)}</body></html>"
    )
