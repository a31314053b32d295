"""The installer's parts that can be checked without building the bundle (``make installer-smoke``
builds and runs it): the PyInstaller spec, the Linux desktop entry and install script, the Windows
setup script, the administrator's database preset, the licences behind Help → About, and the bad
starts — an unreachable or read-only database location, a settings folder that cannot be written,
a database upgraded by a newer OrderCycle — through the real start-up path."""

from __future__ import annotations

import configparser
import hashlib
import importlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.actor import SYSTEM
from app.desk import Desk
from app.db.open import open_database
from app.errors import DatabaseTooNew
from app.main import main as app_main
from app.views.tabs import TABS

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
sys.path.insert(0, str(INSTALLER))
import launcher  # noqa: E402  (installer/launcher.py)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def workstation(tmp_path: Path, monkeypatch) -> Path:
    """A fresh workstation: its own settings, data and log folders."""
    for var, sub in (("ORDERCYCLE_CONFIG_DIR", "config"), ("ORDERCYCLE_DATA_DIR", "data"),
                     ("ORDERCYCLE_LOG_DIR", "log")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


# -- the PyInstaller spec -------------------------------------------------------------------------

def test_the_spec_builds_one_folder_with_icon_version_and_the_resources() -> None:
    spec = (INSTALLER / "ordercycle.spec").read_text(encoding="utf-8")
    compile(spec, "ordercycle.spec", "exec")
    assert "COLLECT(" in spec and "exclude_binaries=True" in spec  # one folder, not one file
    assert "upx=False" in spec  # Qt stays a plain, replaceable shared library (LGPL)
    assert 'ROOT / "resources"), "resources"' in spec  # resources_dir() looks in _MEIPASS/resources
    assert '"app/db/migrations"' in spec  # Alembic reads its scripts from disk
    assert "version_info()" in spec and "icon=str(ICON)" in spec
    assert 'collect_submodules("app")' in spec  # the tabs are imported by name (importlib)
    for lazy in ("ortools.sat.python.cp_model", "statsmodels.tsa.holtwinters", "pyqtgraph", "openpyxl",
                 "sqlalchemy.dialects.sqlite", "psycopg"):
        assert f'"{lazy}"' in spec, lazy
    assert "installer\" / \"launcher.py" in spec
    for icon in ("ordercycle.ico", "ordercycle.png", "ordercycle-48.png"):
        assert (ROOT / "resources" / "icons" / icon).stat().st_size > 500


def test_every_tab_module_is_a_submodule_of_app_so_the_spec_bundles_it() -> None:
    for _title, _perm, target in TABS:
        module = target.split(":")[0]
        assert module.startswith("app.")
        assert hasattr(importlib.import_module(module), target.split(":")[1])


def test_the_resources_folder_is_found_where_pyinstaller_unpacks_it(tmp_path: Path, monkeypatch) -> None:
    from app.printing.documents import resources_dir

    assert (resources_dir() / "templates" / "invoice.html").is_file()
    assert (resources_dir() / "licenses" / "index.json").is_file()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"


def test_the_windows_version_resource_is_well_formed() -> None:
    pytest.importorskip("PyInstaller.utils.win32.versioninfo")  # needs pefile: Windows, or after make installer
    spec = (INSTALLER / "ordercycle.spec").read_text(encoding="utf-8")
    source = spec[spec.index("def version_info():"):spec.index("exe = EXE(")]
    scope: dict[str, object] = {"VERSION": __version__, "NAME": "OrderCycle", "datetime": __import__("datetime")}
    exec(source, scope)  # noqa: S102
    text = str(scope["version_info"]())  # type: ignore[operator]
    assert "ProductVersion" in text and __version__ in text and "OrderCycle.exe" in text


# -- Linux: desktop entry and install script -------------------------------------------------------

def test_the_desktop_entry_is_valid() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(INSTALLER / "linux" / "ordercycle.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "OrderCycle" and d["Terminal"] == "false"
    assert d["Exec"] == "/opt/ordercycle/OrderCycle" == d["TryExec"]  # no %f: a file argument is not --db
    assert d["Icon"] == "ordercycle"
    assert d["Categories"].endswith(";")
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(INSTALLER / "linux" / "ordercycle.desktop")], check=True)


def _fake_bundle(folder: Path) -> Path:
    folder.mkdir()
    exe = folder / "OrderCycle"
    exe.write_text("#!/bin/sh\necho OrderCycle\n")
    exe.chmod(0o755)
    for name in ("install.sh", "uninstall.sh", "ordercycle.desktop"):
        shutil.copy2(INSTALLER / "linux" / name, folder / name)
    shutil.copy2(ROOT / "resources" / "icons" / "ordercycle.png", folder / "ordercycle.png")
    (folder / "VERSION").write_text(__version__ + "\n")
    return folder


def test_install_script_installs_the_desktop_entry_icon_command_and_preset(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "OrderCycle")
    home, prefix = tmp_path / "home", tmp_path / "home" / "opt" / "ordercycle"
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    share = r"\\server\orders\ordercycle.db"
    res = subprocess.run(["sh", str(bundle / "install.sh"), "--user", "--prefix", str(prefix), "--db", share],
                         env=env, capture_output=True, text=True, check=True)
    assert "installed in" in res.stdout
    data = home / ".local" / "share"
    desktop = (data / "applications" / "ordercycle.desktop").read_text()
    assert f"Exec={prefix}/OrderCycle\n" in desktop
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "ordercycle.png").is_file()
    assert os.readlink(home / ".local" / "bin" / "ordercycle") == str(prefix / "OrderCycle")
    assert launcher.read_preset(prefix) == {"database": share}  # valid JSON, backslashes kept
    # an upgrade without --db keeps the preset
    subprocess.run(["sh", str(bundle / "install.sh"), "--user", "--prefix", str(prefix)], env=env, check=True,
                   capture_output=True)
    assert launcher.read_preset(prefix) == {"database": share}
    subprocess.run(["sh", str(prefix / "uninstall.sh"), "--user", "--prefix", str(prefix)], env=env, check=True,
                   capture_output=True)
    assert not prefix.exists() and not (data / "applications" / "ordercycle.desktop").exists()


def test_install_script_for_all_users_needs_root_and_says_so(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root")
    bundle = _fake_bundle(tmp_path / "OrderCycle")
    res = subprocess.run(["sh", str(bundle / "install.sh")], capture_output=True, text=True)
    assert res.returncode == 1 and "root" in res.stderr


# -- Windows: the Inno Setup script (compiled on Windows only) --------------------------------------

def test_the_inno_setup_script_installs_per_machine_with_shortcuts_uninstall_and_db_preset() -> None:
    iss = (INSTALLER / "ordercycle.iss").read_text(encoding="ascii")  # Inno reads a BOM-less file as ANSI
    assert re.search(r'#define AppVersion "([^"]+)"', iss).group(1) == __version__  # type: ignore[union-attr]
    setup = dict(re.findall(r"^(\w+)=(.*)$", iss.split("[Setup]")[1].split("[Languages]")[0], re.M))
    assert setup["PrivilegesRequired"] == "admin"
    assert setup["DefaultDirName"].startswith("{autopf}")
    assert setup["SetupIconFile"].endswith("ordercycle.ico")
    assert (INSTALLER / setup["SetupIconFile"].replace("\\", "/")).is_file()
    assert setup["UninstallDisplayIcon"]
    assert '{autoprograms}\\{#AppName}"; Filename: "{app}\\{#AppExe}"' in iss  # Start menu
    assert '{autodesktop}\\{#AppName}"' in iss  # desktop
    assert "{param:DB|}" in iss and launcher.PRESET_NAME in iss
    assert "[UninstallDelete]" in iss
    assert "procedure CurStepChanged" in iss and "ssPostInstall" in iss and "SaveStringToFile" in iss


def test_the_preset_json_the_inno_script_writes_is_what_the_launcher_reads(tmp_path: Path) -> None:
    # the Pascal code: '{"database": "' + JsonEscape(Location) + '"}', JsonEscape doubling \ and "
    location = r'\\server\orders "2026"\ordercycle.db'
    escaped = location.replace("\\", "\\\\").replace('"', '\\"')
    (tmp_path / launcher.PRESET_NAME).write_text('{"database": "' + escaped + '"}\r\n', encoding="utf-8")
    assert launcher.read_preset(tmp_path) == {"database": location}


# -- the administrator's preset at a user's first start ----------------------------------------------

def test_the_preset_becomes_the_users_setting_at_their_first_start_only(workstation: Path) -> None:
    from app.config import WorkstationSettings

    install = workstation / "install"
    install.mkdir()
    (install / launcher.PRESET_NAME).write_text(json.dumps({"database": "/srv/share/ordercycle.db"}))
    assert launcher.apply_preset([], install) == []
    assert WorkstationSettings.load().database == "/srv/share/ordercycle.db"
    # the user later chose another database: the preset no longer applies
    settings = WorkstationSettings.load()
    settings.database = "/home/me/other.db"
    settings.save()
    assert launcher.apply_preset([], install) == []
    assert WorkstationSettings.load().database == "/home/me/other.db"
    # a subcommand or an explicit --db never takes the preset
    assert launcher.apply_preset(["db", "check", "--db", "x.db"], install) == ["db", "check", "--db", "x.db"]


def test_without_a_writable_settings_folder_the_preset_is_passed_on_the_command_line(workstation: Path,
                                                                                     monkeypatch) -> None:
    blocker = workstation / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(blocker / "OrderCycle"))
    install = workstation / "install"
    install.mkdir()
    (install / launcher.PRESET_NAME).write_text(json.dumps({"database": "/srv/share/ordercycle.db"}))
    assert launcher.apply_preset([], install) == ["--db", "/srv/share/ordercycle.db"]
    (install / launcher.PRESET_NAME).write_text("{broken")
    assert launcher.apply_preset([], install) == []


# -- licences in the bundle and in Help -> About ------------------------------------------------------

def test_licence_texts_are_collected_for_every_bundled_component() -> None:
    index = json.loads((ROOT / "resources" / "licenses" / "index.json").read_text(encoding="utf-8"))
    names = {c["name"].lower() for c in index}
    for needed in ("sqlalchemy", "alembic", "pyqtgraph", "openpyxl", "ortools", "statsmodels", "numpy", "scipy",
                   "pandas", "platformdirs", "psycopg", "python", "sqlite"):
        assert needed in names, needed
    qt = next(c for c in index if c["name"].startswith("Qt 6"))
    assert "dynamically linked" in qt["licence"]
    qt_text = (ROOT / "resources" / "licenses" / qt["file"]).read_text(encoding="utf-8")
    assert "DYNAMICALLY" in qt_text and "GNU LESSER GENERAL PUBLIC LICENSE" in qt_text
    for component in index:
        text = (ROOT / "resources" / "licenses" / component["file"]).read_text(encoding="utf-8")
        assert len(text) > 80, component["name"]


def test_the_licence_collector_follows_the_installed_requirements(tmp_path: Path) -> None:
    import collect_licenses

    index = collect_licenses.collect(tmp_path)
    assert {c["file"] for c in index} | {"index.json"} == {p.name for p in tmp_path.iterdir()}
    assert any(c["name"] == "SQLAlchemy" and c["licence"] == "MIT" for c in index)


def test_about_lists_the_bundled_components_and_shows_each_licence(qtbot, sqlite_db) -> None:
    from PySide6.QtWidgets import QListWidget, QTextBrowser

    from app.views.about import AboutDialog

    dlg = AboutDialog(Desk(sqlite_db, SYSTEM))
    qtbot.addWidget(dlg)
    browser = dlg.findChild(QTextBrowser)
    listing = dlg.findChild(QListWidget, "licenceList")
    assert "LGPL" in browser.toPlainText() and "dynamically" in browser.toPlainText()
    assert listing.count() == len(dlg.components) + 1 > 20
    row = next(i for i in range(listing.count()) if listing.item(i).text() == "SQLAlchemy")
    listing.setCurrentRow(row)
    assert "Permission is hereby granted" in browser.toPlainText()
    listing.setCurrentRow(1)
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in browser.toPlainText()


# -- bad starts, through the real start-up path (launcher -> app.main -> run_gui) ---------------------

@pytest.fixture
def gui_messages(monkeypatch) -> list[str]:
    """Messages the start-up shows; the 'choose a database' file dialog is cancelled."""
    from app.views import app as gui

    shown: list[str] = []
    monkeypatch.setattr(gui, "show_user_error", lambda _p, exc: shown.append(f"{exc.message}\n{exc.hint or ''}"))
    monkeypatch.setattr(gui.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(gui, "sign_in_flow", lambda db, settings, *_shown: None)  # a person would sign in here
    return shown


def _start(argv: list[str], install: Path, monkeypatch) -> int:
    monkeypatch.setattr(launcher, "install_dir", lambda: install)
    import logging

    root = logging.getLogger()
    before = list(root.handlers)
    try:
        return launcher.main(argv)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_a_preset_share_that_cannot_be_reached_gets_a_plain_message(qtbot, workstation: Path, gui_messages,
                                                                      monkeypatch) -> None:
    install = workstation / "install"
    install.mkdir()
    gone = workstation / "share-not-connected" / "ordercycle.db"
    (install / launcher.PRESET_NAME).write_text(json.dumps({"database": str(gone)}))
    assert _start([], install, monkeypatch) == 1
    assert len(gui_messages) == 1 and "cannot be reached" in gui_messages[0]
    assert not gone.parent.exists()


def test_a_read_only_database_folder_gets_a_plain_message_and_nothing_is_written(qtbot, workstation: Path,
                                                                                gui_messages, monkeypatch) -> None:
    share = workstation / "share"
    share.mkdir()
    path = share / "ordercycle.db"
    open_database(path).dispose()
    before = digest(path)
    real_open = os.open

    def read_only_share(file, flags, *args):  # type: ignore[no-untyped-def]
        if flags & os.O_CREAT and Path(file).parent == share:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", read_only_share)
    assert _start(["--db", str(path)], workstation, monkeypatch) == 1
    assert len(gui_messages) == 1 and "read-only" in gui_messages[0]
    assert digest(path) == before and sorted(p.name for p in share.iterdir()) == ["ordercycle.db"]


def test_a_settings_folder_that_cannot_be_written_is_said_once_and_the_app_still_starts(
        qtbot, workstation: Path, gui_messages, monkeypatch) -> None:
    blocker = workstation / "profile-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(blocker / "OrderCycle"))
    path = workstation / "ordercycle.db"
    open_database(path).dispose()
    assert _start(["--db", str(path)], workstation, monkeypatch) == 0  # it went on to sign-in
    assert len(gui_messages) == 1
    assert "settings folder" in gui_messages[0] and "will not remember" in gui_messages[0]


def test_a_data_folder_that_cannot_be_created_gets_a_plain_message(qtbot, workstation: Path, gui_messages,
                                                                   monkeypatch) -> None:
    blocker = workstation / "data-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("ORDERCYCLE_DATA_DIR", str(blocker / "OrderCycle"))
    assert _start([], workstation, monkeypatch) == 1  # the embedded default database
    assert len(gui_messages) == 1 and "cannot be created" in gui_messages[0]


# -- upgrading across workstations: an older desk meets a newer database --------------------------------

def _from_a_newer_ordercycle(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "ordercycle.db"
    open_database(path).dispose()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0099_added_by_version_2'")
    con.commit()
    con.close()
    return path


def test_an_older_desk_refuses_a_database_upgraded_by_a_newer_one_and_writes_nothing(
        qtbot, workstation: Path, gui_messages, monkeypatch, capsys) -> None:
    path = _from_a_newer_ordercycle(workstation / "share")
    before = digest(path)
    assert _start(["--db", str(path)], workstation, monkeypatch) == 1  # the GUI start
    assert len(gui_messages) == 1 and "newer version of OrderCycle" in gui_messages[0]
    assert "not changed" in gui_messages[0]
    with pytest.raises(DatabaseTooNew):
        open_database(path, create=False)
    for argv in (["db", "upgrade", "--db", str(path)], ["db", "check", "--db", str(path)]):
        assert app_main(argv) == 1, argv
        assert "newer" in capsys.readouterr().err
    assert app_main(["demo", "--db", str(path)]) == 1  # the demo goes only into a new file
    assert "exists already" in capsys.readouterr().err
    assert digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["ordercycle.db"]  # no journal, no backup
