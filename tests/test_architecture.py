"""The structure of docs/architecture.md holds: layers that point one way, announcements instead
of generic model signals, no import that dodges a cycle, no app reaching into another's private
names, and a vocabulary page that lists every flag and domain event."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.db.models.signals import post_delete, post_save, pre_save

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layan"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MODEL_SIGNALS = {"pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed"}


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "NO_COLOR": "1"}
    return subprocess.run(  # noqa: S603 - our own virtualenv's tool on our own files
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _modules() -> list[tuple[Path, str, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(PACKAGE)
        app = relative.parts[0] if len(relative.parts) > 1 else ""
        found.append((path, app, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "layan" or len(parts) < 2:
        return None
    return parts[1] if (PACKAGE / parts[1]).is_dir() else ""


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_layers_contract_is_kept():
    result = _lint_imports(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_an_upward_import_breaks_the_contract(tmp_path):
    copy = tmp_path / "layan"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    errors = copy / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\nimport layan.cases.services  # upward\n")
    result = _lint_imports(tmp_path, tmp_path)
    assert result.returncode != 0
    assert "layan.core is not allowed to import layan.cases" in result.stdout


def test_no_function_level_import_of_layan_outside_app_ready():
    """Imports inside functions hide cycles; only ``AppConfig.ready`` needs one (Django loads
    the models before it runs)."""
    hidden = []
    for path, _app, tree in _modules():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) or func.name == "ready":
                continue
            for node in ast.walk(func):
                names = []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                if any(name == "layan" or name.startswith("layan.") for name in names):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} in {func.name}")
    assert hidden == []


def test_no_app_uses_another_apps_private_names():
    used = []
    for path, app, tree in _modules():
        aliases: dict[str, str] = {}  # a name bound to another app's module -> that app
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                other = _app_of(node.module)
                if other is None or other == app:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_"):
                        used.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
                    if _app_of(f"{node.module}.{alias.name}") is not None:
                        aliases[alias.asname or alias.name] = other
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    other = _app_of(alias.name)
                    if other not in (None, app) and alias.asname:
                        aliases[alias.asname] = other
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                used.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert used == []


def test_nothing_listens_to_the_event_log_or_to_another_apps_model_saves():
    """Higher apps react to the engine's announcements, not to its rows being saved; a model
    signal is only for a model of the listener's own app."""
    from django.apps import apps

    for model in apps.get_app_config("cases").get_models():
        for signal in (pre_save, post_save, post_delete):
            assert not signal.has_listeners(model), model
    foreign = []
    for path, app, tree in _modules():
        own_models = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == f"layan.{app}.models":
                own_models |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.ClassDef):
                own_models.add(node.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            args = [*node.args, *(k.value for k in node.keywords)]
            if not any(isinstance(a, ast.Name) and a.id in MODEL_SIGNALS for a in args) and not (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in MODEL_SIGNALS
            ):
                continue
            sender = next((k.value for k in node.keywords if k.arg == "sender"), None)
            if not (isinstance(sender, ast.Name) and sender.id in own_models):
                foreign.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert foreign == []


def test_the_architecture_page_lists_every_flag_and_domain_event():
    from layan.cases import flags
    from layan.core.events import EVENTS

    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [f.code for f in flags.registered() if f"`{f.code}`" not in page]
    missing += [name for name in EVENTS if f"`{name}`" not in page]
    assert missing == []
    assert len(flags.registered()) >= 5 and len(EVENTS) >= 10


def test_every_app_is_a_layer_of_the_contract():
    with (ROOT / "pyproject.toml").open("rb") as handle:
        (contract,) = tomllib.load(handle)["tool"]["importlinter"]["contracts"]
    named = {part.strip() for line in contract["layers"] for part in line.split("|")}
    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert apps <= named
    assert contract["exhaustive"] is True and "ignore_imports" not in contract
