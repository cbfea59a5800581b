"""`otel-product-events run -- COMMAND`: the child gets an SDK and its targets, any other
sitecustomize still runs, opt-outs switch everything off, and the app's exit status is kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_product_events import cli
from otel_product_events.auto import launcher
from tests.auto.conftest import TRACKED, how_tracked
from tests.helpers import REPO

BIN = Path(sys.executable).parent
#: Prints what the child sees: the tracer provider and whether json.dumps is wrapped.
PROBE = ("import json; from opentelemetry import trace; "
         f"print(type(trace.get_tracer_provider()).__name__, {how_tracked('json.dumps')})")
QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
         "OTEL_METRICS_EXPORTER": "none"}


def run(*command: str, env: dict[str, str] | None = None, cwd: Path = REPO
        ) -> subprocess.CompletedProcess[str]:
    """Runs ``otel-product-events run -- command`` in a clean environment (no opt-outs)."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "OTEL_PRODUCT_EVENTS_ENABLED", "OTEL_SDK_DISABLED",
                            "OTEL_PRODUCT_EVENTS_STRICT", "OTEL_PRODUCT_EVENTS_TRACK",
                            "OTEL_PRODUCT_EVENTS_CATALOG")}
    environ.update({**QUIET, **(env or {})})
    return subprocess.run([str(BIN / "otel-product-events"), "run", "--", *command],
                          env=environ, cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=False)


class TestChildEnvironment:
    def test_the_bootstrap_comes_first_on_pythonpath_and_the_rest_is_kept(self) -> None:
        """Our sitecustomize must be found before any other one."""
        env = launcher.child_environment({"PYTHONPATH": os.pathsep.join(["/a", "/b"])})
        assert env["PYTHONPATH"].split(os.pathsep) == [str(launcher.BOOTSTRAP_DIR), "/a", "/b"]

    def test_a_relative_catalog_path_is_made_absolute(self, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        """The application may change directory; its child processes still find the file."""
        monkeypatch.chdir(tmp_path)
        env = launcher.child_environment({"OTEL_PRODUCT_EVENTS_CATALOG": "catalog.yaml"})
        assert env["OTEL_PRODUCT_EVENTS_CATALOG"] == str(tmp_path / "catalog.yaml")

    def test_the_track_and_catalog_options_set_the_variables(self) -> None:
        """`--track` and `--catalog` are the variables, spelled as options."""
        env = launcher.child_environment({}, track="a:f=e.x", catalog="/c.yaml")
        assert (env["OTEL_PRODUCT_EVENTS_TRACK"], env["OTEL_PRODUCT_EVENTS_CATALOG"]) == (
            "a:f=e.x", "/c.yaml")


class TestCommandLine:
    def test_run_without_a_command_is_a_usage_error(
            self, capsys: pytest.CaptureFixture[str]) -> None:
        """Exit status 2 and a line saying how to call it."""
        assert cli.main(["run", "--"]) == 2
        assert "no command given; usage: otel-product-events run" in capsys.readouterr().err

    def test_a_command_that_does_not_exist_exits_127(
            self, capsys: pytest.CaptureFixture[str]) -> None:
        """As `env` and shells do."""
        assert launcher.execute(["no-such-command-anywhere-42"], {}) == 127
        assert "command not found: no-such-command-anywhere-42" in capsys.readouterr().err

    def test_an_unknown_subcommand_is_refused_by_the_parser(self) -> None:
        """The dispatcher only knows the registered subcommands."""
        with pytest.raises(SystemExit) as exited:
            cli.main(["frobnicate"])
        assert exited.value.code == 2


class TestLaunchedChild:
    def test_the_child_has_an_sdk_and_its_targets_are_tracked(self) -> None:
        """The SDK is configured from OTEL_* and targets are wrapped before the app runs."""
        done = run(sys.executable, "-c", PROBE,
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "json:dumps=json.dumped"})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["TracerProvider", TRACKED]
        assert done.stderr == ""

    def test_the_exit_status_of_the_application_is_kept(self) -> None:
        """The launcher replaces itself with the command."""
        assert run(sys.executable, "-c", "raise SystemExit(3)").returncode == 3

    def test_another_sitecustomize_on_the_path_still_runs(self, tmp_path: Path) -> None:
        """Ours shadows it on sys.path, so it chains to it."""
        (tmp_path / "sitecustomize.py").write_text("import sys; sys.user_site_ran = True\n")
        done = run(sys.executable, "-c", "import sys, sitecustomize; "
                   "print(getattr(sys, 'user_site_ran', False), sitecustomize.__file__, "
                   "any('bootstrap' in p for p in sys.path))",
                   env={"PYTHONPATH": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["True", str(tmp_path / "sitecustomize.py"), "False"]

    def test_python_processes_started_by_the_application_are_instrumented_too(self) -> None:
        """PYTHONPATH stays set, as with opentelemetry-instrument."""
        nested = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {PROBE!r}])"
        done = run(sys.executable, "-c", nested,
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "json:dumps=json.dumped"})
        assert done.stdout.split() == ["TracerProvider", TRACKED], done.stderr

    @pytest.mark.parametrize("opt_out", [{"DO_NOT_TRACK": "1"},
                                         {"OTEL_PRODUCT_EVENTS_ENABLED": "false"},
                                         {"OTEL_SDK_DISABLED": "true"}],
                             ids=lambda env: next(iter(env)))
    def test_an_opt_out_variable_leaves_the_child_untouched(self, opt_out: dict[str, str]
                                                            ) -> None:
        """No SDK is configured and nothing is wrapped."""
        done = run(sys.executable, "-c", PROBE,
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "json:dumps=json.dumped", **opt_out})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["ProxyTracerProvider", "none"]

    def test_a_bad_catalog_warns_and_the_application_runs(self, tmp_path: Path) -> None:
        """One warning naming the file and the problem; the app's output is intact."""
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("events:\n  e.x: {}\n")
        done = run(sys.executable, "-c", "print('app ran')",
                   env={"OTEL_PRODUCT_EVENTS_CATALOG": str(catalog)})
        assert (done.returncode, done.stdout) == (0, "app ran\n")
        assert f"invalid event catalog {catalog}" in done.stderr
        assert "event 'e.x', field 'description': is missing" in done.stderr

    def test_a_missing_module_is_reported_when_the_application_exits(self) -> None:
        """The warning comes once sys.path is final, and names the target."""
        done = run(sys.executable, "-c", "print('app ran')",
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "shop.ordrs:pay=payment.made"})
        assert done.stdout == "app ran\n"
        assert "target 'shop.ordrs:pay' (event 'payment.made', from OTEL_PRODUCT_EVENTS_TRACK) " \
               "is skipped: there is no module 'shop.ordrs'" in done.stderr

    def test_a_module_next_to_the_script_is_found_although_imported_late(
            self, tmp_path: Path) -> None:
        """The script's directory joins sys.path after start-up: no false alarm, and the
        target is wrapped when the script imports it."""
        (tmp_path / "helpers.py").write_text("def work():\n    return 1\n")
        (tmp_path / "app.py").write_text(f"import helpers\nprint({how_tracked('helpers.work')})\n")
        done = run(sys.executable, "app.py", cwd=tmp_path,
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "helpers:work=work.done"})
        assert (done.stdout, done.stderr) == (f"{TRACKED}\n", "")

    def test_a_target_in_the_script_itself_warns_and_the_script_runs(
            self, tmp_path: Path) -> None:
        """__main__ cannot be patched from outside: the warning says so."""
        (tmp_path / "app.py").write_text("def main():\n    print('app ran')\nmain()\n")
        done = run(sys.executable, "app.py", cwd=tmp_path,
                   env={"OTEL_PRODUCT_EVENTS_TRACK": "__main__:main=app.ran"})
        assert done.stdout == "app ran\n"
        assert "'__main__:main' (event 'app.ran', from OTEL_PRODUCT_EVENTS_TRACK): functions " \
               "of the script Python runs as __main__ cannot be patched from outside" in done.stderr
