"""Post-import hooks (auto/post_import.py): a hook runs once its module has run, or at once,
and the application's import sees nothing of it."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from otel_product_events import guard
from otel_product_events.auto.post_import import when_imported


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))


def new_module(directory: Path, body: str = "VALUE = 42\n") -> str:
    name = f"hooked_{uuid.uuid4().hex}"
    (directory / f"{name}.py").write_text(textwrap.dedent(body))
    return name


def test_the_hook_runs_once_the_module_has_run(module_dir: Path) -> None:
    name = new_module(module_dir)
    seen: list[tuple[str, int]] = []
    when_imported(name, lambda module: seen.append((module.__name__, module.VALUE)))
    assert seen == []
    importlib.import_module(name)
    importlib.reload(sys.modules[name])  # once: a reload is not hooked again
    assert seen == [(name, 42)]


def test_the_hook_runs_at_once_when_the_module_is_imported_already(module_dir: Path) -> None:
    name = new_module(module_dir)
    module = importlib.import_module(name)
    seen: list[ModuleType] = []
    when_imported(name, seen.append)
    assert seen == [module]


def test_the_module_and_its_spec_name_the_real_loader(module_dir: Path) -> None:
    name = new_module(module_dir)
    when_imported(name, lambda module: None)
    module = importlib.import_module(name)
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__ is not None
    assert module.__spec__.loader is module.__loader__


def test_a_hook_that_raises_never_fails_the_import(module_dir: Path) -> None:
    name = new_module(module_dir)

    def broken(module: ModuleType) -> None:
        raise RuntimeError(module.__name__)

    when_imported(name, broken)
    assert importlib.import_module(name).VALUE == 42
    assert guard.snapshot()["internal_errors"] == 1


def test_a_hooked_module_runs_with_python_dash_m(tmp_path: Path) -> None:
    """runpy asks the loader for get_code: the hooking loader hands it on."""
    (tmp_path / "app_main.py").write_text("print('ran', __name__)\n")
    code = ("import runpy, sys; sys.path.insert(0, sys.argv[1]); "
            "from otel_product_events.auto.post_import import when_imported; "
            "when_imported('app_main', lambda m: print('hooked')); "
            "runpy.run_module('app_main', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, check=False)
    assert (done.stdout, done.stderr) == ("ran __main__\n", "")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 dropped find_module finders")
def test_a_module_from_an_old_protocol_loader_imports_and_is_hooked() -> None:
    """A finder with only find_module/load_module (still honoured on 3.10 and 3.11)."""
    name = f"legacy_{uuid.uuid4().hex}"
    seen: list[ModuleType] = []

    class LegacyFinder:
        def find_module(self, fullname: str, path: object = None) -> object:
            return self if fullname == name else None

        def load_module(self, fullname: str) -> ModuleType:
            module = ModuleType(fullname)
            module.x = 1  # type: ignore[attr-defined]
            sys.modules[fullname] = module
            return module

    finder = LegacyFinder()
    sys.meta_path.append(finder)
    try:
        when_imported(name, seen.append)
        module = importlib.import_module(name)
    finally:
        sys.meta_path.remove(finder)
        sys.modules.pop(name, None)
    assert module.x == 1
    assert seen == [module]
