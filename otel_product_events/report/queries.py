"""The report questions as SQL, written once for two engines.

Each query reads a common relation ``e`` (uid, event_name, ts_ns, ts_ms, day, installation_id,
service_version, run_id, outcome, attributes, resource). :data:`DUCKDB` defines ``e`` over the
table that :func:`~otel_product_events.report.store.load` builds from the collector's files;
:data:`CLICKHOUSE` defines it over the table the collector's ClickHouse exporter writes, so the
same answers come from a warehouse. An attribute (``--by``) is the record's, else its
resource's, as for ``--where`` (``app.installation.id`` is on each product event; another
sender may put it on the resource). Functions return
``(sql, postprocess)``-free results: ``*_sql`` builds text, ``run_*`` executes on a DuckDB
connection and returns rows as dicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

COUNT_GROUPS = {"day": "day", "version": "service_version", "installation": "installation_id"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
            "w": 604_800_000}


def parse_duration_ms(text: str) -> int:
    """``"30m"``, ``"2h"``, ``"1d"`` (also ``ms``, ``s``, ``w``) as milliseconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 2h, 1d)")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)])


@dataclass(frozen=True)
class Dialect:
    """How one SQL engine spells the parts that differ."""

    name: str
    relation: str  # the body of the CTE ``e``; filters go where ``/*filters*/`` is
    attribute: Callable[[str], str]  # attribute key -> SQL expression (a string)
    literal: Callable[[str], str]
    #: Conditions on the stored rows (see :mod:`.filters`), ANDed inside ``e``.
    where: tuple[str, ...] = ()

    def with_e(self, body: str, *ctes: str) -> str:
        extra = "".join(f",\n{cte}" for cte in ctes)
        conditions = "".join(f"\n    AND {condition}" for condition in self.where)
        relation = self.relation.replace("/*filters*/", conditions)
        return f"WITH e AS (\n{relation}\n){extra}\n{body}"

    def div(self, left: str, right: int) -> str:
        """Integer division (of non-negative numbers)."""
        return f"intDiv({left}, {right})" if self.name == "clickhouse" else f"({left}) // {right}"


def _standard_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _clickhouse_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _duckdb_attribute(key: str) -> str:
    pointer = _standard_literal(_json_pointer(key))
    return (f"coalesce(json_extract_string(attributes, {pointer}), "
            f"json_extract_string(resource, {pointer}))")


DUCKDB = Dialect(
    name="duckdb",
    relation="  SELECT *, CAST(ts AS DATE) AS day FROM events\n  WHERE TRUE/*filters*/",
    attribute=_duckdb_attribute,
    literal=_standard_literal,
)


def _json_pointer(key: str) -> str:
    """A JSON pointer (RFC 6901) to the top-level ``key``: every character literal (a ``$.``
    path would read ``*`` as a wildcard and a trailing backslash as an escape)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def clickhouse(table: str = "product_events.product_events") -> Dialect:
    """The dialect for the ClickHouse exporter's logs table ``table`` (``db.table``)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", table):
        raise ValueError(f"not a ClickHouse table name: {table!r}")
    return Dialect(
        name="clickhouse",
        relation=f"""  SELECT
    LogAttributes['log.record.uid'] AS uid,
    EventName AS event_name,
    toInt64(toUnixTimestamp64Nano(Timestamp)) AS ts_ns,
    toInt64(toUnixTimestamp64Milli(Timestamp)) AS ts_ms,
    toDate(Timestamp, 'UTC') AS day,
    {_clickhouse_attribute("app.installation.id", "LogAttributes", "ResourceAttributes")}
      AS installation_id,
    ResourceAttributes['service.version'] AS service_version,
    LogAttributes['product.run.id'] AS run_id,
    LogAttributes['product.outcome'] AS outcome,
    LogAttributes AS attributes,
    ResourceAttributes AS resource
  FROM {table}
  WHERE ScopeName = 'otel_product_events' AND EventName != ''/*filters*/
  LIMIT 1 BY uid""",
        attribute=lambda key: _clickhouse_attribute(key, "attributes", "resource"),
        literal=_clickhouse_literal,
    )


def _clickhouse_attribute(key: str, record: str, resource: str) -> str:
    k = _clickhouse_literal(key)  # a Map gives '' for a missing key: ask whether it is there
    return f"if(mapContains({record}, {k}), {record}[{k}], {resource}[{k}])"


CLICKHOUSE = clickhouse()

_COMPLETED_RUNS = "SELECT run_id FROM e WHERE event_name LIKE '%.completed' AND run_id != ''"


def counts_sql(dialect: Dialect, by: Sequence[str] = ()) -> str:
    """Events per name (and per ``day`` / ``version`` / ``installation`` if asked), with the
    number of distinct installations."""
    unknown = [group for group in by if group not in COUNT_GROUPS]
    if unknown:
        raise ValueError(f"cannot group counts by {unknown}; use {sorted(COUNT_GROUPS)}")
    groups = [COUNT_GROUPS[group] for group in dict.fromkeys(by)]
    keys = ", ".join(["event_name", *groups])
    order = ", ".join([*groups, "count DESC", "event_name"])
    return dialect.with_e(
        f"SELECT {keys}, count(*) AS count, count(DISTINCT installation_id) AS installations\n"
        f"FROM e\nGROUP BY {keys}\nORDER BY {order}")


def funnel_sql(dialect: Dialect, steps: Sequence[str], by: str, window_ms: int) -> str:
    """Entities (``by`` attribute) reaching each step in order, each step strictly after the
    previous one and within ``window_ms`` of the first. Compared in nanoseconds: two steps in
    the same millisecond are still in order."""
    window_ns = window_ms * 1_000_000
    if len(steps) < 2:
        raise ValueError("a funnel needs at least two steps")
    entity = dialect.attribute(by)
    names = ", ".join(dialect.literal(step) for step in steps)
    if dialect.name == "clickhouse":
        conditions = ", ".join(f"event_name = {dialect.literal(step)}" for step in steps)
        positions = ", ".join(str(n) for n in range(1, len(steps) + 1))
        return dialect.with_e(
            f"SELECT position, countIf(level >= position) AS count\n"
            f"FROM (\n  SELECT {entity} AS entity,\n"
            f"    windowFunnel({window_ns}, 'strict_increase')(toUInt64(ts_ns), {conditions}) "
            f"AS level\n  FROM e\n  WHERE event_name IN ({names}) AND {entity} != ''\n"
            f"  GROUP BY entity\n)\nARRAY JOIN [{positions}] AS position\n"
            f"GROUP BY position\nORDER BY position")
    ctes = [f"f AS (\n  SELECT {entity} AS entity, event_name, ts_ns FROM e\n"
            f"  WHERE event_name IN ({names}) AND {entity} IS NOT NULL AND {entity} != ''\n)",
            f"s1 AS (SELECT entity, ts_ns AS t1, ts_ns AS t FROM f "
            f"WHERE event_name = {dialect.literal(steps[0])})"]
    for n, step in enumerate(steps[1:], start=2):
        ctes.append(
            f"s{n} AS (\n  SELECT s.entity, s.t1, min(f.ts_ns) AS t FROM s{n - 1} AS s\n"
            f"  JOIN f ON f.entity = s.entity AND f.event_name = {dialect.literal(step)}\n"
            f"    AND f.ts_ns > s.t AND f.ts_ns <= s.t1 + {window_ns}\n"
            f"  GROUP BY s.entity, s.t1\n)")
    union = "\nUNION ALL ".join(f"SELECT {n} AS position, count(DISTINCT entity) AS count "
                                f"FROM s{n}" for n in range(1, len(steps) + 1))
    return dialect.with_e(f"SELECT * FROM (\n{union}\n) ORDER BY position", *ctes)


def orphans_sql(dialect: Dialect, min_age_ms: int = 0) -> str:
    """Runs with a ``.started`` event and no ``.completed`` one: the process died in between.

    ``min_age_ms`` leaves out runs started less than that before the newest stored event
    (they may still be running)."""
    return dialect.with_e(
        "SELECT s.run_id AS run_id, s.event_name AS event_name, "
        "s.service_version AS service_version, s.ts_ms AS started_ms\n"
        "FROM e AS s\n"
        "WHERE s.event_name LIKE '%.started' AND s.run_id != ''\n"
        f"  AND s.run_id NOT IN ({_COMPLETED_RUNS})\n"
        f"  AND s.ts_ms <= (SELECT max(ts_ms) FROM e) - {int(min_age_ms)}\n"
        "ORDER BY service_version, started_ms, run_id")


def health_sql(dialect: Dialect, min_age_ms: int = 0) -> str:
    """Per service version: outcomes, failures, started runs and orphaned runs."""
    return dialect.with_e(
        "SELECT service_version, min(ts_ms) AS first_seen_ms,\n"
        "  sum(CASE WHEN outcome != '' THEN 1 ELSE 0 END) AS outcomes,\n"
        "  sum(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END) AS failures,\n"
        "  sum(CASE WHEN event_name LIKE '%.started' AND run_id != '' THEN 1 ELSE 0 END) "
        "AS started,\n"
        "  sum(CASE WHEN event_name LIKE '%.started' AND run_id != ''\n"
        f"    AND run_id NOT IN ({_COMPLETED_RUNS})\n"
        f"    AND ts_ms <= (SELECT max(ts_ms) FROM e) - {int(min_age_ms)} THEN 1 ELSE 0 END) "
        "AS orphaned\n"
        "FROM e\nGROUP BY service_version\nORDER BY first_seen_ms, service_version")


# --- Turning raw rows into answers (the same for both engines) --------------------------------


def funnel_rows(steps: Sequence[str], raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``step``, ``count`` and ``conversion`` (from the previous step; 1.0 for the first)."""
    counts = {int(row["position"]): int(row["count"]) for row in raw}
    rows: list[dict[str, Any]] = []
    for position, step in enumerate(steps, start=1):
        count = counts.get(position, 0)
        previous = rows[-1]["count"] if rows else count
        conversion = 1.0 if position == 1 else (count / previous if previous else 0.0)
        first = rows[0]["count"] if rows else count
        rows.append({"step": step, "position": position, "count": count,
                     "conversion": round(conversion, 4),
                     "conversion_from_first": round(count / first, 4) if first else 0.0})
    return rows


def health_rows(raw: Sequence[dict[str, Any]], factor: float = 2.0,
                min_difference: float = 0.05) -> list[dict[str, Any]]:
    """Adds failure and orphan rates, and flags a version whose rate is at least ``factor``
    times, and ``min_difference`` above, the previous version's (ordered by first seen)."""
    rows: list[dict[str, Any]] = []
    for row in raw:
        outcomes, started = int(row["outcomes"]), int(row["started"])
        current = {
            "service_version": row["service_version"] or "(none)",
            "first_seen_ms": int(row["first_seen_ms"]),
            "outcomes": outcomes, "failures": int(row["failures"]),
            "failure_rate": round(int(row["failures"]) / outcomes, 4) if outcomes else 0.0,
            "started": started, "orphaned": int(row["orphaned"]),
            "orphan_rate": round(int(row["orphaned"]) / started, 4) if started else 0.0,
            "flagged": False, "reason": "",
        }
        if rows:
            previous = rows[-1]
            reasons = [
                f"{label} {current[key]:.0%} vs {previous[key]:.0%} in "
                f"{previous['service_version']}"
                for key, label in (("failure_rate", "failure rate"), ("orphan_rate", "orphan rate"))
                if current[key] >= previous[key] * factor
                and current[key] - previous[key] >= min_difference
            ]
            current["flagged"], current["reason"] = bool(reasons), "; ".join(reasons)
        rows.append(current)
    return rows


# --- Running on DuckDB -------------------------------------------------------------------------


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def run_counts(connection: duckdb.DuckDBPyConnection, by: Sequence[str] = (),
               dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    rows = fetch(connection, counts_sql(dialect, by))
    for row in rows:
        if "day" in row:
            row["day"] = str(row["day"])
    return rows


def run_funnel(connection: duckdb.DuckDBPyConnection, steps: Sequence[str], by: str,
               window_ms: int, dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    return funnel_rows(steps, fetch(connection, funnel_sql(dialect, steps, by, window_ms)))


def run_orphans(connection: duckdb.DuckDBPyConnection, min_age_ms: int = 0,
                dialect: Dialect = DUCKDB) -> list[dict[str, Any]]:
    return fetch(connection, orphans_sql(dialect, min_age_ms))


def run_health(connection: duckdb.DuckDBPyConnection, min_age_ms: int = 0, factor: float = 2.0,
               min_difference: float = 0.05, dialect: Dialect = DUCKDB
               ) -> list[dict[str, Any]]:
    return health_rows(fetch(connection, health_sql(dialect, min_age_ms)), factor,
                       min_difference)
