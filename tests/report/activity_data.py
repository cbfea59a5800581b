"""A generated data set for use over time (trends, active installations, retention), and its
expected answers computed by brute force with :mod:`datetime` (not the report's arithmetic).

Six weeks from Monday 2026-09-07 00:00 UTC: installations of three versions and two
environments arriving on different days, active on some days only (gaps, some longer than 28
days), events exactly on hour, day and week boundaries and a millisecond before them, one
weekly cohort that never comes back, and events delivered twice (same uid)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone

from tests.report.dataset import Event, installation_on_resource

START = datetime(2026, 9, 7, tzinfo=timezone.utc)  # a Monday
DAYS = 42
NAMES = ["app.opened", "report.viewed", "export.started", "export.finished", "search.run",
         "settings.changed"]
NO_RETURN_WEEK = 2  # installations first seen in this week are never seen again


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def generate(seed: int = 5) -> list[Event]:
    """The events, duplicates included (as a retried export would store them)."""
    rng = random.Random(seed)
    events: list[Event] = []
    for n in range(36):
        installation = f"inst-{n:02d}"
        version = ["1.0.0", "1.1.0", "2.0.0"][n % 3]
        environment = "prod" if n % 4 else "staging"
        user = f"user-{rng.randint(0, 9)}"
        plan = "pro" if rng.random() < 0.3 else "free"
        first_day = rng.randint(0, DAYS - 3)
        days = [first_day]
        if first_day // 7 != NO_RETURN_WEEK:
            keep = rng.choice([0.15, 0.5, 0.8])
            days += [d for d in range(first_day + 1, DAYS) if rng.random() < keep]
            if n % 7 == 0:  # away for more than 28 days, then back
                days = [d for d in days if not first_day < d <= first_day + 30]
        else:
            days += [d for d in range(first_day + 1, (first_day // 7 + 1) * 7)
                     if rng.random() < 0.5]
        for day in days:
            for _ in range(rng.randint(1, 4)):
                moment = START + timedelta(days=day, milliseconds=rng.randint(0, 86_399_999))
                events.append(Event(rng.choice(NAMES), _ms(moment), installation, version,
                                    {"user.id": user, "plan": plan},
                                    resource={"deployment.environment.name": environment}))
    # On the boundaries: Monday 00:00:00.000 UTC, and the millisecond before it (Sunday).
    for week in range(1, 6):
        monday = _ms(START + timedelta(weeks=week))
        for offset, installation in ((0, "inst-edge-a"), (-1, "inst-edge-b")):
            events.append(Event("app.opened", monday + offset, installation, "1.1.0",
                                {"user.id": "user-edge", "plan": "free"},
                                resource={"deployment.environment.name": "prod"}))
    for hour in (0, 13):  # an hour boundary inside a day
        events.append(Event("search.run", _ms(START + timedelta(days=9, hours=hour)),
                            "inst-edge-a", "1.1.0", {"user.id": "user-edge", "plan": "free"},
                            resource={"deployment.environment.name": "prod"}))
    events.sort(key=lambda e: e.ts_ms)
    installation_on_resource(events)
    return events + rng.sample(events, 25)  # delivered twice: same uid


def unique(events: Iterable[Event]) -> list[Event]:
    seen: dict[str, Event] = {}
    for event in events:
        seen.setdefault(event.uid, event)
    return list(seen.values())


def _moment(event: Event) -> datetime:
    return datetime.fromtimestamp(event.ts_ms / 1000, timezone.utc)


def period_start(moment: datetime, every: str) -> datetime:
    if every == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if every == "week" else day


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entity_of(by: str) -> Callable[[Event], str | None]:
    if by == "app.installation.id":
        return lambda e: e.installation
    return lambda e: e.attributes.get(by)


def expected_trends(events: list[Event], every: str, by: str | None = None
                    ) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for e in unique(events):
        key = (iso(period_start(_moment(e), every)), e.name)
        if by:
            key += (str(e.attributes.get(by, "")),)
        counts[key] += 1
    return counts


def expected_active(events: list[Event], by: str = "app.installation.id"
                    ) -> list[tuple[str, int, int, int]]:
    """(day, active, active over 7 days, over 28 days) for every day first to last."""
    events = unique(events)
    entity = entity_of(by)
    per_day: dict[date, set[str]] = defaultdict(set)
    for e in events:
        key = entity(e)
        if key:
            per_day[_moment(e).date()].add(key)
    first, last = min(_moment(e).date() for e in events), max(_moment(e).date() for e in events)
    rows = []
    day = first
    while day <= last:
        def within(n: int, day: date = day) -> int:
            return len(set().union(*(per_day[day - timedelta(days=k)] for k in range(n))))
        rows.append((day.isoformat(), within(1), within(7), within(28)))
        day += timedelta(days=1)
    return rows


def expected_retention(events: list[Event], every: str = "week",
                       by: str = "app.installation.id", returning: str | None = None
                       ) -> dict[tuple[str, int], tuple[int, int]]:
    """(cohort, periods later) -> (cohort size, returned), for every cell of the triangle."""
    events = unique(events)
    entity = entity_of(by)
    step = timedelta(hours=1) if every == "hour" else timedelta(days=7 if every == "week" else 1)
    seen: dict[str, set[datetime]] = defaultdict(set)
    returned: dict[str, set[datetime]] = defaultdict(set)
    for e in events:
        key = entity(e)
        if key:
            seen[key].add(period_start(_moment(e), every))
            if returning is None or e.name == returning:
                returned[key].add(period_start(_moment(e), every))
    last = period_start(max(_moment(e) for e in events), every)
    cohorts: dict[datetime, set[str]] = defaultdict(set)
    for key, periods in seen.items():
        cohorts[min(periods)].add(key)
    cells = {}
    for cohort, members in cohorts.items():
        k = 0
        while cohort + k * step <= last:
            back = len(members) if k == 0 else sum(
                cohort + k * step in returned[m] for m in members)
            cells[(iso(cohort), k)] = (len(members), back)
            k += 1
    return cells
