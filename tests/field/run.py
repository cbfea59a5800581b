"""``make field``: runs the test suites of click, Flask, jinja2 and attrs (their sdists from
PyPI) plainly, then under ``otel-product-events run`` with 20+ targets each, and fails if a
test newly fails or a target emits no event.

    .venv/bin/python tests/field/run.py [--python PYTHON] [--only click] [--work DIR]

Each project gets a virtualenv made with ``--python`` (default: this interpreter; ``make
field`` passes Python 3.12) in the work directory (default ``field-work/``, ignored by git),
with this package, the project from its sdist and its test requirements. Under zero-code the
events of every process are counted by ``capture_sitecustomize.py`` (chained after the
launcher's bootstrap). Not part of ``make test``: it downloads and takes minutes.

On Python 3.10 and 3.11 targets are wrapped, and what wrapping cannot do is known: a target
that reads its caller's frame sees the wrapper's, and a function the project stores in a table
while its module imports is never reached. Those targets are listed in ``wrapping_limits``
with the reason, left out of the run there (the reason is printed), and tracked on 3.12+.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass
class Project:
    name: str  # as on PyPI
    version: str
    tests: str  # the suite's directory inside the sdist
    requirements: tuple[str, ...]
    targets: dict[str, str] = field(default_factory=dict)  # module:qualname -> event
    #: Targets left out on Python < 3.12 (wrapping), and why: module:qualname -> reason.
    wrapping_limits: dict[str, str] = field(default_factory=dict)


def targets(module: str, *qualnames: str) -> dict[str, str]:
    return {f"{module}:{q}": f"{module.split('.')[0]}.{q.lower().replace('.', '_')}"
            for q in qualnames}


PROJECTS = {
    "click": Project("click", "8.5.1", "tests", ("pytest",), {
        **targets("click.core", "Command.main", "Command.invoke", "Command.make_context",
                  "Command.parse_args", "Command.get_help", "Group.invoke",
                  "Group.resolve_command", "Context.invoke", "Context.exit",
                  "Parameter.process_value", "Option.prompt_for_value"),
        **targets("click.utils", "echo"),
        **targets("click.termui", "prompt", "confirm", "style", "secho"),
        **targets("click.testing", "CliRunner.invoke", "CliRunner.isolation"),
        **targets("click.decorators", "command", "option", "argument", "group"),
        **targets("click.types", "Choice.convert", "Path.convert", "File.convert"),
    }),
    "flask": Project("flask", "3.1.3", "tests", ("pytest<9", "asgiref", "greenlet",
                                                 "python-dotenv"), {
        **targets("flask.app", "Flask.wsgi_app", "Flask.full_dispatch_request",
                  "Flask.dispatch_request", "Flask.handle_user_exception",
                  "Flask.make_response", "Flask.preprocess_request", "Flask.process_response",
                  "Flask.test_client", "Flask.test_request_context", "Flask.app_context"),
        **targets("flask.helpers", "url_for", "flash", "get_flashed_messages", "send_file"),
        **targets("flask.json", "jsonify", "dumps", "loads"),
        **targets("flask.templating", "render_template", "render_template_string"),
        **targets("flask.sansio.blueprints", "Blueprint.register"),
        **targets("flask.sessions", "SecureCookieSessionInterface.open_session",
                  "SecureCookieSessionInterface.save_session"),
        **targets("flask.ctx", "RequestContext.push", "RequestContext.pop"),
        **targets("flask.config", "Config.from_mapping", "Config.from_object"),
    }),
    "jinja2": Project("jinja2", "3.1.6", "tests", ("pytest", "trio"), {
        **targets("jinja2.environment", "Environment.from_string", "Environment.get_template",
                  "Environment.compile", "Environment.parse", "Template.render",
                  "Template.generate", "Template.render_async"),
        **targets("jinja2.lexer", "Lexer.tokenize"),
        **targets("jinja2.parser", "Parser.parse"),
        **targets("jinja2.compiler", "generate"),
        **targets("jinja2.filters", "do_upper", "do_lower", "sync_do_join", "do_default",
                  "do_replace", "do_truncate", "do_wordcount", "do_indent", "do_urlize",
                  "do_title", "do_center"),
        **targets("jinja2.loaders", "FileSystemLoader.get_source", "DictLoader.get_source"),
        **targets("jinja2.utils", "urlize"),
    }, wrapping_limits=dict.fromkeys(
        (f"jinja2.filters:{name}" for name in (
            "do_upper", "do_lower", "do_default", "do_replace", "do_truncate", "do_wordcount",
            "do_indent", "do_urlize", "do_title", "do_center")),
        "jinja2 puts its filters in its FILTERS dict while jinja2.filters imports, before the "
        "hook runs: a wrapper would never be called, and the originals held there would no "
        "longer pickle by reference (test_pickle)")),
    "attrs": Project("attrs", "26.1.0", "tests", ("pytest", "hypothesis", "cloudpickle",
                                                  "pympler"), {
        **targets("attr._make", "attrs", "make_class", "fields", "fields_dict", "validate",
                  "attrib", "_ClassBuilder.build_class"),
        **targets("attr._next_gen", "define", "field", "asdict", "astuple"),
        **targets("attr._funcs", "asdict", "astuple", "has"),
        **targets("attr._make", "evolve"),
        **targets("attr.validators", "instance_of", "optional", "in_"),
        **targets("attr.converters", "optional", "default_if_none"),
        **targets("attr.filters", "include", "exclude"),
        **targets("attr._cmp", "cmp_using"),
    }, wrapping_limits={
        "attr._make:make_class": "make_class names the new class's module after its caller's "
                                 "frame (sys._getframe(1)); a wrapper adds a frame, so classes "
                                 "would be made 'in' the library (7 of attrs' tests)"}),
}


def sh(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, check=check, text=True,
                          capture_output=True)


def version_of(python: Path | str) -> tuple[int, int]:
    done = sh(python, "-c", "import sys; print(*sys.version_info[:2])")
    major, minor = done.stdout.split()
    return int(major), int(minor)


def prepare(project: Project, work: Path, base: Path | str) -> tuple[Path, Path]:
    """The project's virtualenv python (made with ``base``) and its extracted sdist."""
    major, minor = version_of(base)
    venv = work / f"venv-{project.name}-{major}.{minor}"
    python = venv / "bin" / "python"
    if not python.exists():
        sh(base, "-m", "venv", venv)
        sh(python, "-m", "pip", "install", "--quiet", "-c", REPO / "constraints.txt",
           "-e", REPO)
        sh(python, "-m", "pip", "install", "--quiet", f"{project.name}=={project.version}",
           *project.requirements)
    sdists = work / "sdists"
    found = list(sdists.glob(f"{project.name}-{project.version}.tar.gz")) + list(
        sdists.glob(f"{project.name.lower()}-{project.version}.tar.gz"))
    if not found:
        sh(python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
           "-d", sdists, f"{project.name}=={project.version}")
        found = [p for p in sdists.glob("*.tar.gz")
                 if p.name.lower().startswith(f"{project.name.lower()}-{project.version}")]
    source = work / found[0].name.removesuffix(".tar.gz")
    if not source.exists():
        with tarfile.open(found[0]) as archive:
            archive.extractall(work, filter="data")
    return python, source


def run_suite(python: Path, source: Path, project: Project, work: Path, zero_code: bool,
              targets: dict[str, str]) -> tuple[dict[str, str], Counter[str]]:
    """Outcome per test id, and (under zero-code) event counts over every process."""
    label = ("zero-code" if zero_code else "plain") + "-{}.{}".format(*version_of(python))
    junit = work / f"{project.name}-{label}.xml"
    events_dir = work / f"events-{project.name}"
    events_dir.mkdir(exist_ok=True)
    for old in events_dir.glob("*.json"):
        old.unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                "OTEL_METRICS_EXPORTER": "none", "FIELD_EVENTS_DIR": str(events_dir),
                "OTEL_PRODUCT_EVENTS_STATE_DIR": str(work / "state")})
    command: list[str | Path] = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 f"--junitxml={junit}", project.tests]
    if zero_code:
        capture = work / "capture"
        capture.mkdir(exist_ok=True)
        (capture / "sitecustomize.py").write_text((HERE / "capture_sitecustomize.py")
                                                  .read_text())
        env["PYTHONPATH"] = str(capture)
        env["OTEL_PRODUCT_EVENTS_TRACK"] = ",".join(
            f"{function}={event}" for function, event in targets.items())
        command = [python.parent / "otel-product-events", "run", "--", *command]
    done = sh(*command, cwd=source, env=env, check=False)
    (work / f"{project.name}-{label}.log").write_text(done.stdout + done.stderr)
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcomes[name] = ("failed" if kinds & {"failure", "error"} else
                          "skipped" if "skipped" in kinds else "passed")
    events: Counter[str] = Counter()
    for path in events_dir.glob("*.json"):
        events.update(json.loads(path.read_text()))
    return outcomes, events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the projects' virtualenvs (default: this one)")
    parser.add_argument("--only", action="append", choices=sorted(PROJECTS))
    parser.add_argument("--work", type=Path, default=REPO / "field-work")
    options = parser.parse_args()
    options.work.mkdir(exist_ok=True)
    version = version_of(options.python)
    wrapping = version < (3, 12)
    print("Python {}.{}: targets are {}".format(*version, "wrapped (targets known not to work "
          "when wrapped are left out)" if wrapping else "tracked by their code objects"))
    ok = True
    for name in options.only or list(PROJECTS):
        project = PROJECTS[name]
        left_out = project.wrapping_limits if wrapping else {}
        targets = {f: e for f, e in project.targets.items() if f not in left_out}
        python, source = prepare(project, options.work, options.python)
        plain, _ = run_suite(python, source, project, options.work, False, targets)
        traced, events = run_suite(python, source, project, options.work, True, targets)
        newly_failed = sorted(t for t, o in traced.items()
                              if o == "failed" and plain.get(t) != "failed")
        silent = sorted(f for f, e in targets.items() if not events[e])
        label = "{}-zero-code-{}.{}".format(project.name, *version)
        log = (options.work / f"{label}.log").read_text()
        warnings = sorted(set(re.findall(r"otel_product_events: .*", log)))
        counts = Counter(plain.values())
        print(f"{project.name} {project.version}: {len(plain)} tests ({dict(counts)}), "
              f"{len(targets)} targets, {sum(events.values())} events; newly failing "
              f"under zero-code: {len(newly_failed)}; targets without events: {len(silent)}")
        by_reason: dict[str, list[str]] = {}
        for function, reason in left_out.items():
            by_reason.setdefault(reason, []).append(function)
        for reason, functions in by_reason.items():
            print(f"    left out, wrapping cannot track {', '.join(functions)}: {reason}")
        for line in newly_failed[:20]:
            print(f"    newly failing: {line}")
        for line in silent:
            print(f"    no event: {line}")
        for line in warnings[:10]:
            print(f"    {line}")
        ok = ok and not newly_failed and not silent
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
