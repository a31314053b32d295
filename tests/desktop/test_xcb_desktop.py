"""`make run` on a real desktop (issue 17): the real application, on Qt's ``xcb`` platform.

The rest of the suite runs Qt offscreen, which needs none of the X11 libraries a desktop needs; a
machine set up for the tests alone once opened no window at all on a desktop (``Could not load the
Qt platform plugin "xcb"``: libxcb-icccm4, libxcb-keysyms1, … missing). Here the application runs
as a separate process on an X server of its own (Xvfb), and a user signs in by typing into the
sign-in window with xdotool, as a person would.

Needs Xvfb and xdotool (``bash .ci/run --setup-only`` installs them with Qt's xcb libraries).
Without them the test is skipped — except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_ERROR = "Could not load the Qt platform plugin"
SIGN_IN_TITLE = "^Sign in to OrderCycle$"  # app/views/auth/sign_in.py
MAIN_TITLE = "^OrderCycle — "  # app/views/main_window.py: "OrderCycle — <database>"

pytestmark = pytest.mark.timeout(120)


def _require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    reason = (f"{', '.join(missing)} not installed (Debian/Ubuntu: `bash .ci/run --setup-only`, or "
              f"apt-get install xvfb xdotool)")
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI must run the desktop test: {reason}", pytrace=False)
    pytest.skip(reason)


def _missing_xcb_libraries() -> list[str]:
    """The libraries the installed wheel's xcb plugin needs that this machine lacks (ldd)."""
    try:
        import PySide6
    except ImportError:
        return []
    qt = Path(PySide6.__file__).parent / "Qt"
    missing: set[str] = set()
    for lib in (qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"):
        if lib.exists() and shutil.which("ldd"):
            out = subprocess.run(["ldd", str(lib)], check=False, capture_output=True, text=True, timeout=30).stdout
            missing.update(line.split()[0] for line in out.splitlines() if "not found" in line)
    return sorted(missing)


def _diagnosis(stderr: str) -> str:
    missing = _missing_xcb_libraries()
    hint = (f"\nmissing for Qt's xcb plugin (ldd): {', '.join(missing)} — run `bash .ci/run --setup-only`"
            if missing else "")
    return f"application stderr:\n{stderr}{hint}"


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """End ``proc`` and its process group (started with start_new_session=True)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for(check: Callable[[], object], timeout: float, interval: float = 0.1) -> object:
    """Poll ``check`` until it returns something true (returned) or ``timeout`` s pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


@pytest.fixture
def xvfb(tmp_path) -> Iterator[str]:
    """An X server of our own on a free display; its DISPLAY (":N")."""
    _require("Xvfb", "xdotool")
    # -displayfd: Xvfb picks a free display number itself and writes it to the pipe once it
    # accepts connections, so there is no guessing and no race with other X servers.
    read_fd, write_fd = os.pipe()
    with open(tmp_path / "xvfb.log", "wb") as log:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + 20
        while not number.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                pytest.fail(f"Xvfb did not start within 20 s:\n{(tmp_path / 'xvfb.log').read_text()}")
            chunk = os.read(read_fd, 32)
            if not chunk:  # Xvfb exited
                pytest.fail(f"Xvfb exited ({proc.wait(5)}):\n{(tmp_path / 'xvfb.log').read_text()}")
            number += chunk
        display = f":{int(number)}"
        env = dict(os.environ, DISPLAY=display)
        def accepts() -> bool:
            return subprocess.run(["xdotool", "getdisplaygeometry"], check=False, env=env, capture_output=True,
                                  timeout=10).returncode == 0

        if not _wait_for(accepts, timeout=10):
            pytest.fail(f"Xvfb on {display} accepts no connections:\n{(tmp_path / 'xvfb.log').read_text()}")
        yield display
    finally:
        os.close(read_fd)
        _stop(proc)


def test_make_run_opens_a_real_window_and_signs_in(xvfb: str, tmp_path: Path) -> None:
    # `make run` on a new workstation: no database chosen, so the embedded default is created with
    # the demo company at the first start (as of the suite's pinned day, inherited by the child)
    db = tmp_path / "data" / "ordercycle.db"

    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND_"))}
    env.update(
        QT_QPA_PLATFORM="xcb",  # what `make run` uses on an X11 desktop (this process runs offscreen)
        DISPLAY=xvfb,
        XDG_RUNTIME_DIR=str(runtime),
        ORDERCYCLE_CONFIG_DIR=str(tmp_path / "config"),
        ORDERCYCLE_DATA_DIR=str(tmp_path / "data"),
        ORDERCYCLE_LOG_DIR=str(tmp_path / "logs"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("XAUTHORITY", None)  # our Xvfb has no access control; a desktop's cookie file is not ours

    def xdotool(*args: str, check: bool = True) -> str:
        done = subprocess.run(["xdotool", *args], check=False, env=env, capture_output=True, text=True, timeout=20)
        if check:
            assert done.returncode == 0, f"xdotool {' '.join(args)}: {done.stderr.strip()}"
        return done.stdout

    def visible(title: str) -> list[str]:
        return xdotool("search", "--onlyvisible", "--name", title, check=False).split()

    err_path = tmp_path / "app.stderr"
    with open(tmp_path / "app.stdout", "wb") as out, open(err_path, "wb") as err:
        app = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)

    def stderr() -> str:
        return err_path.read_text(errors="replace")

    def window(what: str, title: str, timeout: float) -> str:
        def found() -> list[str]:
            if app.poll() is not None:
                why = " — Qt could not load its xcb platform plugin" if PLUGIN_ERROR in stderr() else ""
                pytest.fail(f"the application exited ({app.returncode}) before its {what} appeared{why}; "
                            f"{_diagnosis(stderr())}", pytrace=False)
            return visible(title)

        ids = _wait_for(found, timeout)
        if not ids:
            pytest.fail(f"no {what} within {timeout:.0f} s; {_diagnosis(stderr())}", pytrace=False)
        return ids[-1]  # type: ignore[index]

    try:
        sign_in = window("sign-in window", SIGN_IN_TITLE, timeout=60)
        assert db.is_file(), "the first start built the demo company into the default database"
        # No window manager on this server: give the dialog the keyboard focus ourselves. The user
        # name field has the focus (a fresh workstation remembers no user), the password is next.
        xdotool("windowfocus", "--sync", sign_in)
        xdotool("type", "--delay", "30", "sales")
        xdotool("key", "Tab")
        xdotool("type", "--delay", "30", "demo1234")
        xdotool("key", "Return")

        main = window("main window", MAIN_TITLE, timeout=60)
        assert xdotool("getwindowname", main).strip() == f"OrderCycle — {db}"
        assert not visible(SIGN_IN_TITLE)

        # Quit as a user would (File → Quit, Ctrl+Q): the application must end by itself, cleanly.
        xdotool("windowfocus", "--sync", main)
        xdotool("key", "ctrl+q")
        try:
            code = app.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the application did not quit within 30 s of Ctrl+Q; {_diagnosis(stderr())}",
                        pytrace=False)
        assert PLUGIN_ERROR not in stderr(), _diagnosis(stderr())
        assert code == 0, f"the application ended with {code}; {_diagnosis(stderr())}"
        # it went the whole way: remembered who signed in, and saved the window on closing
        settings = json.loads((tmp_path / "config" / "workstation.json").read_text())
        assert settings["last_username"] == "sales"
        assert settings["window_geometry"]
    finally:
        _stop(app)
