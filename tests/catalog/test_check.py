"""`catalog check`: the host application's sources against its catalog, read, never imported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from otel_product_events.catalog.check import Report, check
from otel_product_events.catalog.model import load_catalog, parse_catalog
from otel_product_events.catalog.sources import env_targets
from tests.catalog.conftest import EXAMPLE_CATALOG, SAMPLE, run
from tests.helpers import REPO

CATALOG = SAMPLE / "catalog.yaml"


def findings(report: Report, root: Path) -> list[tuple[str, str, str, int, str | None,
                                                       str | None]]:
    return [(f.severity, f.kind, Path(f.file).relative_to(root).as_posix(), f.line, f.event,
             f.attribute) for f in report.findings]


def project(tmp_path: Path, files: dict[str, str],
            catalog: str = "events:\n  a.b: {description: A.}\n") -> Report:
    """Writes ``files`` under tmp_path/src and checks them against ``catalog``."""
    for name, text in files.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return check(parse_catalog(catalog), [str(tmp_path / "src")])


def test_the_sample_project_has_exactly_these_findings() -> None:
    """Errors for the undeclared attribute, the undeclared event, the wrong targets (env and
    catalog); warnings for the dynamic name and spread; notes for the unused event and the
    target outside the paths. Declared uses (a lifecycle, an emit, env targets) are clean."""
    report = check(load_catalog(CATALOG), [str(SAMPLE)])
    assert findings(report, SAMPLE) == [
        ("error", "missing-function", "catalog.yaml", 10, "cart.item.added", None),
        ("error", "missing-function", "catalog.yaml", 26, "user.signed_up", None),
        ("error", "undeclared-attribute", "shop/orders.py", 40, "order.placed",
         "customer.email"),
        ("error", "undeclared-event", "shop/orders.py", 47, "coupon.applied", None),
        ("error", "undeclared-event", "targets.env", 4, "cart.cleared", None),
        ("error", "missing-function", "targets.env", 5, "cart.item.removed", None),
        ("error", "bad-target", "targets.env", 6, None, None),
        ("warning", "dynamic-event", "shop/jobs.py", 15, None, None),
        ("warning", "dynamic-attributes", "shop/orders.py", 47, "coupon.applied", None),
        ("note", "unchecked-target", "catalog.yaml", 29, "newsletter.sent", None),
        ("note", "unused-event", "catalog.yaml", 30, "refund.issued", None),
    ]
    assert (report.python_files, report.env_files, report.exit_status) == (3, 1, 1)


def test_the_report_is_one_line_per_finding_then_a_summary(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """`file:line: severity: message`, as compilers print them; exit status 1."""
    monkeypatch.chdir(SAMPLE)
    status, out = run("check", "catalog.yaml", ".")
    assert status == 1
    assert out.splitlines() == [
        "catalog.yaml:10: error: target 'shop.orders:Cart.empty' (event 'cart.item.added'): "
        "shop/orders.py defines no Cart.empty",
        "catalog.yaml:26: error: target 'shop.accounts:sign_up' (event 'user.signed_up'): "
        "no module shop.accounts in the scanned paths",
        "shop/orders.py:40: error: track('order.placed') sends attribute 'customer.email', "
        "which the catalog does not declare for event 'order.placed'",
        "shop/orders.py:47: error: emit('coupon.applied') sends event 'coupon.applied', which "
        "the catalog does not declare",
        "targets.env:4: error: target 'shop.orders:Cart.clear' sends event 'cart.cleared', "
        "which the catalog does not declare",
        "targets.env:5: error: target 'shop.orders:Cart.remvoe' (event 'cart.item.removed'): "
        "shop/orders.py defines no Cart.remvoe",
        "targets.env:6: error: OTEL_PRODUCT_EVENTS_TRACK: 'shop.orders:Cart.view' needs an "
        "event name: module:qualname=event.name; this target is ignored",
        "shop/jobs.py:15: warning: emit() with the event name f'report.{kind}.exported', not a "
        "string literal: it cannot be checked",
        "shop/orders.py:47: warning: emit('coupon.applied') attributes **extra are not literal "
        "keys: they cannot be checked",
        "catalog.yaml:29: note: target 'mailer.jobs:send_newsletter' (event "
        "'newsletter.sent'): module mailer.jobs is not under the scanned paths; not checked",
        "catalog.yaml:30: note: event 'refund.issued' is declared, but nothing in the scanned "
        "paths sends it",
        "catalog check: 7 errors, 2 warnings, 2 notes (3 Python files, 1 env file checked "
        "against catalog.yaml)",
    ]


def test_json_output_has_the_same_findings_and_the_counts(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """--json: counts per severity and one object per finding, in the same order."""
    monkeypatch.chdir(SAMPLE)
    status, out = run("check", "catalog.yaml", ".", "--json")
    document = json.loads(out)
    assert status == 1
    assert {k: document[k] for k in ("errors", "warnings", "notes", "python_files",
                                     "env_files")} == {
        "errors": 7, "warnings": 2, "notes": 2, "python_files": 3, "env_files": 1}
    assert document["findings"][2] == {
        "severity": "error", "kind": "undeclared-attribute", "file": "shop/orders.py",
        "line": 40, "event": "order.placed", "attribute": "customer.email",
        "message": "track('order.placed') sends attribute 'customer.email', which the catalog "
                   "does not declare for event 'order.placed'"}


def test_sources_that_send_only_declared_events_and_attributes_are_clean(tmp_path: Path
                                                                         ) -> None:
    """Exit status 0 and no findings."""
    report = project(tmp_path, {"app.py": """
        import otel_product_events as pe

        @pe.track("a.b", attributes={"k": "k"})
        def f(k): ...
        """}, "events:\n  a.b: {description: A., attributes: {k: {type: int, "
                  "description: K.}}}\n")
    assert (report.findings, report.exit_status) == ([], 0)


def test_the_example_app_is_clean_against_its_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """The zero-code example: catalog targets and targets.env all name existing methods (one
    of them in a module of the decorated example, given as a file)."""
    monkeypatch.chdir(REPO)
    status, out = run("check", str(EXAMPLE_CATALOG.relative_to(REPO)),
                      "examples/incident_response_plain", "examples/incident_response/models.py")
    assert (status, out.splitlines()) == (0, [
        "catalog check: 0 errors, 0 warnings, 0 notes (4 Python files, 1 env file checked "
        "against examples/incident_response_plain/catalog.yaml)"])


def test_every_way_of_naming_the_library_functions_is_recognised(tmp_path: Path) -> None:
    """Module aliases, submodules, imported and renamed functions, keyword arguments."""
    report = project(tmp_path, {"app.py": """
        import otel_product_events
        import otel_product_events as pe
        import otel_product_events.instrument.api
        from otel_product_events import emit as send, track
        from otel_product_events.instrument.lifecycle import track_lifecycle

        pe.emit("e1")
        otel_product_events.emit("e2", {})
        otel_product_events.instrument.api.emit("e3")
        send(event_name="e4")
        track("e5")
        track_lifecycle(name="e6")
        """})
    assert [(f.line, f.event) for f in report.findings if f.kind == "undeclared-event"] == [
        (8, "e1"), (9, "e2"), (10, "e3"), (11, "e4"), (12, "e5"), (13, "e6.completed"),
        (13, "e6.started")]


def test_functions_of_the_same_name_from_elsewhere_are_not_checked(tmp_path: Path) -> None:
    """A Segment-style `analytics.track`, a local `emit`: not ours, no findings."""
    report = project(tmp_path, {"app.py": """
        import analytics
        import otel_product_events as pe

        def emit(name): ...

        analytics.track("Order Placed", {"x": 1})
        emit("not.ours")
        pe.emit("a.b")
        """})
    assert report.findings == []


def test_a_lifecycle_needs_both_its_events_and_its_attributes_on_both(tmp_path: Path) -> None:
    """`track_lifecycle("sync")` sends `sync.started` and `sync.completed` with the same
    attributes."""
    report = project(tmp_path, {"jobs.py": """
        import otel_product_events as pe

        @pe.track_lifecycle("sync", attributes={"source": "source"})
        def sync(source): ...
        """}, "events:\n  sync.started: {description: S., attributes: {source: {type: string, "
              "description: S.}}}\n  sync.completed: {description: C.}\n")
    assert [(f.kind, f.event, f.attribute) for f in report.findings] == [
        ("undeclared-attribute", "sync.completed", "source")]


def test_attribute_keys_from_module_constants_and_spreads_are_checked(tmp_path: Path) -> None:
    """`attributes=BASE` and `{**BASE, ...}` with `BASE = {...}` at module level count as
    literal; a constant changed in place does not."""
    report = project(tmp_path, {"app.py": """
        import otel_product_events as pe

        BASE = {"k": "k", "bad.one": "x"}
        CHANGED = {"k": "k"}
        CHANGED["bad.three"] = "x"

        @pe.track("a.b", attributes=BASE)
        def f(k, x): ...

        @pe.track("a.b", attributes={**BASE, "bad.two": "x"})
        def g(k, x): ...

        @pe.track("a.b", attributes=CHANGED)
        def h(k, x): ...
        """}, "events:\n  a.b: {description: A., attributes: {k: {type: int, "
              "description: K.}}}\n")
    assert [(f.severity, f.line, f.attribute) for f in report.findings] == [
        ("error", 8, "bad.one"), ("error", 11, "bad.one"), ("error", 11, "bad.two"),
        ("warning", 14, None)]


def test_virtualenvs_site_packages_and_hidden_directories_are_not_scanned(tmp_path: Path
                                                                          ) -> None:
    """Only the application's own files are read."""
    use = "import otel_product_events as pe\npe.emit('undeclared')\n"
    report = project(tmp_path, {"app.py": use, ".venv/lib/x.py": use, "env/pyvenv.cfg": "",
                                "env/lib/y.py": use, "lib/site-packages/z.py": use,
                                ".git/hooks/h.py": use, ".secret.env": ""})
    assert [Path(f.file).name for f in report.findings if f.severity == "error"] == ["app.py"]
    assert (report.python_files, report.env_files) == (1, 1)


def test_a_file_that_does_not_parse_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """The rest is still checked; the check fails, since that file may send anything."""
    report = project(tmp_path, {"broken.py": "def (:\n"})
    assert [(f.severity, f.kind, f.line) for f in report.findings] == [
        ("error", "unreadable", 1), ("note", "unused-event", 0)]
    assert report.exit_status == 1


def test_a_path_that_does_not_exist_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit status 2, naming the path."""
    status, _ = run("check", str(CATALOG), "/no/such/dir")
    assert status == 2
    assert "/no/such/dir: no such file or directory" in capsys.readouterr().err


def test_env_targets_keep_their_line_even_across_lines_and_quotes() -> None:
    """Quoted values spanning lines, `export`, comments after unquoted values."""
    text = ("# OTEL_PRODUCT_EVENTS_TRACK=commented:out=x\n"
            "export OTEL_PRODUCT_EVENTS_TRACK=a:f=e1,b:g=e2  # a comment\n"
            "OTHER=1\n"
            "OTEL_PRODUCT_EVENTS_TRACK='\n  c:h=e3,\n\n  d:i=e4'\n")
    assert list(env_targets(text)) == [(2, "a:f=e1"), (2, "b:g=e2"), (5, "c:h=e3"),
                                       (7, "d:i=e4")]
