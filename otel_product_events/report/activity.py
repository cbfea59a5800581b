"""Trends, active entities and retention: the questions about use over time, for both engines.

Periods are computed from Unix milliseconds with integer arithmetic, so both engines cut them
at the same UTC instants whatever their server time zone: hours and days at UTC midnight,
weeks on Mondays 00:00 UTC (ISO weeks). Post-processing (filling empty days and cells, shares)
is shared Python, like :func:`~.queries.funnel_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .queries import DUCKDB, Dialect, fetch

if TYPE_CHECKING:
    import duckdb

HOUR_MS, DAY_MS = 3_600_000, 86_400_000
WEEK_MS = 7 * DAY_MS
#: Period length and offset from the Unix epoch (a Thursday) to the period's start.
PERIODS = {"hour": (HOUR_MS, 0), "day": (DAY_MS, 0), "week": (WEEK_MS, 4 * DAY_MS)}
INSTALLATION = "app.installation.id"


def period_start_ms(ts_ms: int, every: str) -> int:
    """The start of the UTC period holding ``ts_ms`` (the same arithmetic as the SQL)."""
    size, offset = _period(every)
    return ts_ms - (ts_ms - offset) % size


def iso(ms: int) -> str:
    """Unix milliseconds as an ISO 8601 UTC time, ``2026-09-21T00:00:00Z``."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _period(every: str) -> tuple[int, int]:
    if every not in PERIODS:
        raise ValueError(f"not a period: {every!r}; use {', '.join(PERIODS)}")
    return PERIODS[every]


def _period_sql(every: str) -> str:
    size, offset = _period(every)
    return f"(ts_ms - (ts_ms - {offset}) % {size})"


def _entity(dialect: Dialect, by: str) -> str:
    return "installation_id" if by == INSTALLATION else dialect.attribute(by)


def bounds_sql(dialect: Dialect) -> str:
    """How many events, names and installations, and the first and last event's time."""
    return dialect.with_e(
        "SELECT count(*) AS events, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms,\n"
        "  count(DISTINCT event_name) AS event_names,\n"
        "  count(DISTINCT CASE WHEN installation_id != '' THEN installation_id END) "
        "AS installations\nFROM e")


def trends_sql(dialect: Dialect, every: str = "day", by: str | None = None) -> str:
    """Events per period and name (and value of the attribute ``by``)."""
    group = f", {dialect.attribute(by)} AS by_value" if by else ""
    keys = "period_ms, event_name" + (", by_value" if by else "")
    return dialect.with_e(
        f"SELECT {_period_sql(every)} AS period_ms, event_name{group}, count(*) AS count\n"
        f"FROM e\nGROUP BY {keys}\nORDER BY period_ms, count DESC, {keys}")


def active_sql(dialect: Dialect, by: str = INSTALLATION) -> str:
    """Per UTC day: distinct entities that day, over the 7 days and 28 days ending that day.

    Each (entity, day) is counted in the 28 days its windows cover, then grouped by day: no
    range join, the same plan in both engines. Days nobody was active within 28 days of are
    not in the result (:func:`active_rows` adds them)."""
    entity = _entity(dialect, by)
    day = dialect.div("ts_ms", DAY_MS)
    spread = ("ARRAY JOIN range(28) AS k" if dialect.name == "clickhouse"
              else "CROSS JOIN range(28) AS r(k)")
    return dialect.with_e(
        "SELECT seen + k AS day_n,\n"
        "  count(DISTINCT CASE WHEN k = 0 THEN entity END) AS active,\n"
        "  count(DISTINCT CASE WHEN k < 7 THEN entity END) AS active_7d,\n"
        "  count(DISTINCT entity) AS active_28d\n"
        f"FROM d\n{spread}\n"
        f"WHERE seen + k <= (SELECT max({day}) FROM e)\n"
        "GROUP BY seen + k\nORDER BY day_n",
        f"d AS (\n  SELECT DISTINCT {day} AS seen, {entity} AS entity FROM e\n"
        f"  WHERE {entity} IS NOT NULL AND {entity} != ''\n)")


def retention_sql(dialect: Dialect, every: str = "week", by: str = INSTALLATION,
                  returning: str | None = None) -> str:
    """Cohorts by the period of first appearance: their size (``k`` = 0) and, for each later
    period ``k``, how many of them were seen again (doing ``returning``, if given)."""
    size, _ = _period(every)
    entity = _entity(dialect, by)
    only = f" WHERE event_name = {dialect.literal(returning)}" if returning else ""
    return dialect.with_e(
        "SELECT cohort_ms, k, entities FROM (\n"
        "  SELECT cohort_ms, 0 AS k, count(*) AS entities FROM c GROUP BY cohort_ms\n"
        "  UNION ALL\n"
        f"  SELECT c.cohort_ms AS cohort_ms, {dialect.div('r.p - c.cohort_ms', size)} AS k,\n"
        "    count(DISTINCT c.entity) AS entities\n"
        "  FROM c JOIN r ON r.entity = c.entity\n"
        "  WHERE r.p > c.cohort_ms\n"
        "  GROUP BY cohort_ms, k\n"
        ") AS cells\nORDER BY cohort_ms, k",
        f"ep AS (\n  SELECT {entity} AS entity, {_period_sql(every)} AS p, event_name FROM e\n"
        f"  WHERE {entity} IS NOT NULL AND {entity} != ''\n)",
        "c AS (SELECT entity, min(p) AS cohort_ms FROM ep GROUP BY entity)",
        f"r AS (SELECT DISTINCT entity, p FROM ep{only})")


# --- Turning raw rows into answers (the same for both engines) --------------------------------


def trends_rows(raw: Sequence[dict[str, Any]], by: str | None = None) -> list[dict[str, Any]]:
    """``period`` (UTC start), ``event_name``, the ``by`` attribute's value, ``count``."""
    rows = []
    for row in raw:
        out: dict[str, Any] = {"period": iso(int(row["period_ms"])),
                               "event_name": row["event_name"]}
        if by:
            out[by] = "" if row["by_value"] is None else str(row["by_value"])
        out["count"] = int(row["count"])
        rows.append(out)
    return rows


def active_rows(raw: Sequence[dict[str, Any]], first_ms: int | None, last_ms: int | None
                ) -> list[dict[str, Any]]:
    """One row per UTC day from the first to the last event's: ``day``, ``active``,
    ``active_7d``, ``active_28d``, ``stickiness`` (active / active_28d)."""
    if first_ms is None or last_ms is None:
        return []
    found = {int(row["day_n"]): row for row in raw}
    rows = []
    for day_n in range(int(first_ms) // DAY_MS, int(last_ms) // DAY_MS + 1):
        row = found.get(day_n, {})
        active, month = int(row.get("active", 0)), int(row.get("active_28d", 0))
        rows.append({"day": iso(day_n * DAY_MS)[:10], "active": active,
                     "active_7d": int(row.get("active_7d", 0)), "active_28d": month,
                     "stickiness": round(active / month, 4) if month else 0.0})
    return rows


def retention_rows(raw: Sequence[dict[str, Any]], last_ms: int | None, every: str = "week"
                   ) -> list[dict[str, Any]]:
    """The triangle, one row per cell: ``cohort`` (UTC period start), ``size``, ``period``
    (periods after the first, 0 = the cohort's own), ``returned``, ``share`` (of the
    cohort). Every cell up to the last event's period is there, zeros included."""
    if last_ms is None:
        return []
    size_ms, _ = _period(every)
    last = period_start_ms(int(last_ms), every)
    cells = {(int(row["cohort_ms"]), int(row["k"])): int(row["entities"]) for row in raw}
    rows = []
    for cohort in sorted({cohort for cohort, _ in cells}):
        size = cells[(cohort, 0)]
        for k in range((last - cohort) // size_ms + 1):
            returned = size if k == 0 else cells.get((cohort, k), 0)
            rows.append({"cohort": iso(cohort), "size": size, "period": k,
                         "returned": returned, "share": round(returned / size, 4)})
    return rows


# --- Running on DuckDB -------------------------------------------------------------------------


def run_bounds(connection: duckdb.DuckDBPyConnection, dialect: Dialect = DUCKDB
               ) -> dict[str, Any]:
    return fetch(connection, bounds_sql(dialect))[0]


def run_trends(connection: duckdb.DuckDBPyConnection, every: str = "day",
               by: str | None = None, dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    return trends_rows(fetch(connection, trends_sql(dialect, every, by)), by)


def run_active(connection: duckdb.DuckDBPyConnection, by: str = INSTALLATION,
               dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    bounds = run_bounds(connection, dialect)
    return active_rows(fetch(connection, active_sql(dialect, by)), bounds["first_ms"],
                       bounds["last_ms"])


def run_retention(connection: duckdb.DuckDBPyConnection, every: str = "week",
                  by: str = INSTALLATION, returning: str | None = None,
                  dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    bounds = run_bounds(connection, dialect)
    raw = fetch(connection, retention_sql(dialect, every, by, returning))
    return retention_rows(raw, bounds["last_ms"], every)
