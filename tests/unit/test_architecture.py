"""Layering rules that keep the code base honest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_services_models_db_and_demo_never_import_qt() -> None:
    """Importing every service, model and db module loads no Qt and not the demo company either
    (the business rules do not depend on the demo); the demo package loads no Qt."""
    code = (
        "import pkgutil, importlib, sys\n"
        "import app.services, app.models, app.db, app.errors, app.config, app.format\n"
        "for pkg in (app.services, app.models, app.db):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n == 'app.demo' or n.startswith('app.demo.')))\n"
        "import app.demo\n"
        "for m in pkgutil.walk_packages(app.demo.__path__, 'app.demo.'): importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.startswith(('PySide6', 'shiboken6', 'pyqtgraph')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    demo_loaded, qt = (out.stdout.splitlines() + ["", ""])[:2]
    assert demo_loaded == "[]", f"the business rules import the demo company: {demo_loaded}"
    assert qt.strip() == "", f"Qt imported by a Qt-free layer: {qt}"


def test_only_the_sign_in_hint_imports_the_demo_from_the_rules() -> None:
    """The demo company (app/demo) is built on the services, models and db, never the other way
    round: the one exception is the sign-in hint's lazy import of the demo's password."""
    import ast

    allowed = {("app/services/auth.py", "sign_in_hint")}
    found = set()
    for layer in ("services", "models", "db"):
        for path in (ROOT / "app" / layer).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where: dict[ast.AST, str] = {}
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for inner in ast.walk(node):
                        where.setdefault(inner, node.name)
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n == "app.demo" or n.startswith("app.demo.") for n in names):
                    found.add((path.relative_to(ROOT).as_posix(), where.get(node, "<module>")))
    assert found <= allowed, f"the business rules import the demo company: {sorted(found - allowed)}"


def test_cli_admin_commands_keep_heavy_modules_out() -> None:
    code = (
        "import sys\nfrom app.main import main\n"
        "main(['--version']) if False else None\n"
        "import app.db.check, app.db.open\n"
        "heavy = [n for n in ('PySide6', 'openpyxl', 'pyqtgraph', 'ortools') if n in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_no_sql_inside_views() -> None:
    offenders = []
    for path in (ROOT / "app" / "views").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("session.execute", ".query(", "Session(", "exec_driver_sql"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_tab_titles_match_their_modules() -> None:
    import importlib

    from app.views.tabs import TABS

    for title, _perm, target in TABS:
        module = importlib.import_module(target.split(":")[0])
        assert getattr(module, "TITLE") == title, f"{target} says {module.TITLE!r}, the registry {title!r}"


def test_one_number_service_for_every_series() -> None:
    """Document numbers are drawn only by app/services/numbers.py (the demo sets its counters once
    after writing its history); the series and prefixes are declared once (models.billing.SERIES)."""
    import re

    bumps, tables = [], []
    for path in (ROOT / "app").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if re.search(r"update\(NumberSequence\)|NumberSequence\.next_value \+", text) and \
                rel not in ("app/services/numbers.py", "app/demo/build.py"):
            bumps.append(rel)
        if re.search(r"[\"']order[\"']\s*:\s*[\"']SO-[\"']", text) and rel != "app/models/billing.py":
            tables.append(rel)
    assert bumps == [], f"numbers drawn outside the number service: {bumps}"
    assert tables == [], f"a second table of series prefixes: {tables}"


VIEW_FORBIDDEN = ("app.db", "app.models", "sqlalchemy")
VIEW_PACKAGES = ("admin", "auth", "customers", "orders", "overview", "planning", "priorities", "products", "schedule",
                 "production", "service", "shipping")


def _imports(path: Path) -> list[tuple[int, str]]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_views_go_through_the_door() -> None:
    """Views import services, the desk, errors, formatting, tasks, printing and Qt — never the
    database layer, the models or SQLAlchemy, nor another tab's package (shared widgets live in
    views/common). Every import statement, at any depth, including ``TYPE_CHECKING`` blocks."""
    offenders = []
    for path in sorted((ROOT / "app" / "views").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        parts = path.relative_to(ROOT / "app" / "views").parts
        own = parts[0] if len(parts) > 1 else None
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in VIEW_FORBIDDEN):
                offenders.append(f"{rel}:{line} imports {name}")
            if own in VIEW_PACKAGES:
                for other in VIEW_PACKAGES:
                    if other != own and (name == f"app.views.{other}" or name.startswith(f"app.views.{other}.")):
                        offenders.append(f"{rel}:{line} imports another tab: {name}")
    assert offenders == [], "\n".join(offenders)
