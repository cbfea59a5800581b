"""The filters every report takes: a time range, service versions, and ``KEY=VALUE`` matches.

Times are UTC. ``--since``/``--until`` take a date (``2026-09-21``, midnight UTC), a date and
time (``2026-09-21T10:00``, UTC unless it says otherwise) or a duration back from now (``7d``,
``12h``). ``since`` is inclusive; ``until`` is exclusive, except that a bare date means up to
the end of that day. A ``KEY=VALUE`` filter keeps events whose log attribute or resource
attribute ``KEY`` is exactly ``VALUE``; keys and values only ever reach SQL as quoted literals.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .queries import Dialect, parse_duration_ms

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Filters:
    """Which stored events a report looks at; the default keeps them all."""

    since_ns: int | None = None
    until_ns: int | None = None
    versions: tuple[str, ...] = ()
    matches: tuple[tuple[str, str], ...] = ()

    def apply(self, dialect: Dialect) -> Dialect:
        """``dialect`` whose relation ``e`` holds only the matching events."""
        return dataclasses.replace(dialect, where=dialect.where + self.conditions(dialect))

    def conditions(self, dialect: Dialect) -> tuple[str, ...]:
        clickhouse = dialect.name == "clickhouse"
        ts_ns = "toUnixTimestamp64Nano(Timestamp)" if clickhouse else "ts_ns"
        conditions = []
        if self.since_ns is not None:
            conditions.append(f"{ts_ns} >= {int(self.since_ns)}")
        if self.until_ns is not None:
            conditions.append(f"{ts_ns} < {int(self.until_ns)}")
        if self.versions:
            version = ("ResourceAttributes['service.version']" if clickhouse
                       else "service_version")
            listed = ", ".join(dialect.literal(v) for v in self.versions)
            conditions.append(f"{version} IN ({listed})")
        for key, value in self.matches:
            conditions.append(_match(dialect, key, value))
        return tuple(conditions)


def _match(dialect: Dialect, key: str, value: str) -> str:
    k, v = dialect.literal(key), dialect.literal(value)
    if dialect.name == "clickhouse":
        # A Map returns '' for a missing key: check presence so that KEY= matches only set keys.
        return (f"((mapContains(LogAttributes, {k}) AND LogAttributes[{k}] = {v})"
                f" OR (mapContains(ResourceAttributes, {k}) AND ResourceAttributes[{k}] = {v}))")
    path = dialect.literal("$." + '"' + key.replace('"', '\\"') + '"')
    return (f"(json_extract_string(attributes, {path}) = {v}"
            f" OR json_extract_string(resource, {path}) = {v})")


def parse_time(text: str, *, end: bool = False, now: datetime | None = None) -> int:
    """A ``--since``/``--until`` value as Unix nanoseconds (see the module docstring)."""
    text = text.strip()
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        except ValueError as error:
            raise ValueError(f"not a time: {text!r} ({error})") from None
        return _ns(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))
    if text and text[0].isdigit() and text[-1].isalpha() and text[-1] not in "zZ":
        moment = (now or datetime.now(timezone.utc)) - timedelta(
            milliseconds=parse_duration_ms(text))
        return _ns(moment)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use a date 2026-09-21, 2026-09-21T10:00, "
                         "or a duration back from now: 7d, 12h)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return _ns(moment)


def _ns(moment: datetime) -> int:
    return (int(moment.timestamp()) * 1_000_000_000) + moment.microsecond * 1000


def parse_match(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (the value may hold ``=``; the key may not be empty)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"not KEY=VALUE: {text!r}")
    return key, value


def from_options(since: str | None = None, until: str | None = None,
                 versions: Sequence[str] = (), where: Sequence[str] = (),
                 now: datetime | None = None) -> Filters:
    """The filters from the command line's ``--since --until --version --where``."""
    return Filters(
        since_ns=None if since is None else parse_time(since, now=now),
        until_ns=None if until is None else parse_time(until, end=True, now=now),
        versions=tuple(versions), matches=tuple(parse_match(m) for m in where))
