"""Collect the licence texts of everything the bundle ships into resources/licenses/.

Walks the installed distributions OrderCycle needs (its requirements with the ``postgres`` extra,
recursively) and copies each one's licence files from its metadata (``*.dist-info/licenses/…`` or
``LICENSE*`` beside the metadata) into one text file per component. PySide6/Qt and shiboken6 ship
no licence file in their wheels, so their text is the LGPL v3 (and the GPL v3 it builds on) with a
note that OrderCycle links Qt dynamically. Python itself (the bundled interpreter) and SQLite
(inside Python) are added too. ``index.json`` lists the components for Help → About.

    .venv/bin/python installer/collect_licenses.py          # (make installer runs it)
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "licenses"
LICENCE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.I)
COMMON = Path("/usr/share/common-licenses")

QT_NOTE = """\
Qt 6 and Qt for Python (PySide6, shiboken6) are used under the GNU
Lesser General Public License version 3 (LGPL-3.0).

OrderCycle links to them DYNAMICALLY: the Qt libraries (libQt6*.so,
Qt6*.dll), their plugins and the PySide6 and shiboken6 extension
modules are separate, unmodified files in the installation folder
(_internal/PySide6). You may replace them with your own build of the
same Qt and PySide6 version, and OrderCycle will use it.

Source code: Qt at https://download.qt.io/official_releases/qt/ and
Qt for Python at https://download.qt.io/official_releases/QtForPython/
(the versions named above). Whoever distributes this installation
provides a copy of those sources on request.
"""

PYTHON_NOTE = "The Python interpreter and standard library bundled with OrderCycle (PSF License).\n"
SQLITE_NOTE = """\
SQLite (inside Python's sqlite3 module) is in the public domain:
"The author disclaims copyright to this source code. In place of a legal notice, here is a
blessing: May you do good and not evil. May you find forgiveness for yourself and forgive others.
May you share freely, never taking more than you give." — https://www.sqlite.org/copyright.html
"""


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(root: str = "ordercycle", extras: tuple[str, ...] = ("postgres",)) -> dict[str, md.Distribution]:
    seen: dict[str, md.Distribution] = {}

    def walk(name: str, extras: tuple[str, ...]) -> None:
        key = _key(name)
        if key in seen:
            return
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            return
        seen[key] = dist
        for raw in dist.requires or []:
            req = Requirement(raw)
            envs = [{"extra": e} for e in (extras or ("",))]
            if req.marker and not any(req.marker.evaluate(env) for env in envs):
                continue
            walk(req.name, tuple(req.extras))

    walk(root, extras)
    seen.pop(_key(root), None)
    return seen


def licence_name(dist: md.Distribution) -> str:
    meta = dist.metadata
    text = meta.get("License-Expression") or ""
    if not text:
        lic = (meta.get("License") or "").strip()
        if lic and "\n" not in lic and len(lic) < 80:
            text = lic
    if not text:
        classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                       if c.startswith("License ::")]
        text = ", ".join(classifiers)
    return text or "see text"


def licence_texts(dist: md.Distribution) -> list[tuple[str, str]]:
    out = []
    for f in dist.files or []:
        name = str(f)
        if ".dist-info/" not in name or not LICENCE_FILE.search(name):
            continue
        try:
            out.append((name.split(".dist-info/", 1)[1],
                        Path(dist.locate_file(f)).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    return out


def _common(name: str, fallback: str | None = None) -> str:
    if (COMMON / name).is_file():
        return (COMMON / name).read_text(encoding="utf-8", errors="replace")
    return fallback or f"(the text of {name} is at https://www.gnu.org/licenses/)\n"


def collect(out: Path = OUT) -> list[dict[str, str]]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    dists = distributions()
    # psycopg ships the LGPL v3 text itself: the fallback where /usr/share/common-licenses is missing
    lgpl_fallback = next((text for _, text in licence_texts(dists["psycopg"])), None) if "psycopg" in dists else None
    index: list[dict[str, str]] = []

    def write(component: str, version: str, licence: str, body: str) -> None:
        file = re.sub(r"[^a-z0-9]+", "-", component.lower()).strip("-") + ".txt"
        (out / file).write_text(body.rstrip() + "\n", encoding="utf-8")
        index.append({"name": component, "version": version, "licence": licence, "file": file})

    qt = dists.pop("pyside6-essentials", None)
    shiboken = dists.pop("shiboken6", None)
    if qt is not None:
        body = (f"PySide6 {qt.version}, shiboken6 {shiboken.version if shiboken else ''} and Qt {qt.version}\n\n"
                + QT_NOTE + "\n" + "=" * 72 + "\n" + _common("LGPL-3", lgpl_fallback)
                + "\n" + "=" * 72 + "\nThe LGPL v3 supplements the GNU General Public License v3:\n\n"
                + _common("GPL-3"))
        write("Qt 6 / PySide6 / shiboken6", qt.version, "LGPL-3.0 (dynamically linked)", body)
    for key, dist in sorted(dists.items()):
        texts = licence_texts(dist)
        name = dist.metadata["Name"] or key
        body = f"{name} {dist.version} — {licence_name(dist)}\n"
        if texts:
            for file, text in texts:
                body += "\n" + "=" * 72 + f"\n{file}\n" + "=" * 72 + "\n" + text
        else:
            body += "\n(no licence file in the distribution; the licence named above applies)\n"
        write(name, dist.version, licence_name(dist), body)
    py_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    write("Python", sys.version.split()[0], "PSF-2.0",
          PYTHON_NOTE + "\n" + (py_licence.read_text(encoding="utf-8", errors="replace") if py_licence.is_file()
                                else "https://docs.python.org/3/license.html\n"))
    import sqlite3

    write("SQLite", sqlite3.sqlite_version, "public domain", SQLITE_NOTE)
    (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return index


if __name__ == "__main__":
    done = collect()
    print(f"{len(done)} licence texts written to {OUT}")
