"""Is this shared folder safe for several desks? The share test and its verdict.

SQLite on a shared folder is only as safe as the share: it must pass file locks between computers
and must not serve stale data. Many NAS set-ups, cloud-sync folders and FUSE mounts do neither,
and there SQLite loses updates silently (on the SMB rig, tools/smb-rig: 134 of 300 increments).

The test runs on two workstations at the same time, coordinated only through files in a scratch
folder beside the database (``.ordercycle-sharetest/``); it never touches the firm's data: it
uses its own scratch database there. The first desk to start waits for the second (with a
timeout); then both run, step by step:

1. **locks** — a write lock taken on one desk blocks the other (both ways round);
2. **fresh reads** — a commit on one desk is seen by the other's *open* connection at its next
   transaction (a client that caches the file fails this);
3. **exclusive creation** — both desks race to create the same 40 files with ``O_EXCL``: each
   must be created by exactly one desk (the single-writer protection relies on it);
4. **journal** — many commits on each desk in the journal mode OrderCycle uses on that path:
   the journal is created, reset and removed without errors and the scratch file stays sound;
5. **no lost updates** — both desks increment one counter at the same time; the total must match.

The verdict (``<db>.sharetest.json``, beside the database) records the date, both desks' names,
each check with its result, and the folder's identity (a random id in ``.ordercycle-folder-id``
in that folder), so a verdict copied beside a database in another folder reads as "not tested".

Plain Python and the standard library only: no Qt (the GUI runs this through ``run_task``).
The five checks themselves, and judging them, are in :mod:`app.db.sharetest_checks`.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import clock
from app.db.engine import _unlink_probe, journal_mode_for, sqlite_path, to_url
# The checks, their outcome and the verdict live in sharetest_checks; other modules import them from here.
from app.db.sharetest_checks import POLL, DeskRun, Link, Progress, create_scratch, judge, run_checks
from app.db.sharetest_checks import CheckOutcome as CheckOutcome
from app.db.sharetest_checks import ShareTestError as ShareTestError
from app.db.sharetest_checks import Verdict as Verdict
from app.errors import UserError

VERDICT_SUFFIX = ".sharetest.json"
FOLDER_ID = ".ordercycle-folder-id"
WORK_DIR = ".ordercycle-sharetest"
DEFAULT_TIMEOUT = 120.0  # how long the first desk waits for the second
STEP_TIMEOUT = 30.0  # how long one desk waits for the other between steps
CLOCK_TOLERANCE = 120.0  # a waiting desk's invitation counts as abandoned this long after it expired


@dataclass(frozen=True)
class ShareState:
    """What this desk knows about its database's share: ``safe``, ``unsafe`` or ``untested``."""

    status: str
    verdict: Verdict | None = None
    note: str = ""  # why "untested": never run, a verdict from another folder, unreadable

    @property
    def safe(self) -> bool:
        return self.status == "safe"

    @property
    def unsafe(self) -> bool:
        return self.status == "unsafe"

    def short(self) -> str:
        """For the status bar."""
        if self.status == "safe":
            return "Share: tested safe"
        if self.status == "unsafe":
            return "Share: UNSAFE (one desk writes)"
        return "Share: not tested"

    def text(self) -> str:
        """A paragraph for Help → About and ``ordercycle db check``."""
        v = self.verdict
        if self.status == "safe" and v is not None:
            return (f"Share test: safe — tested {v.when} between {v.desks[0]} and {v.desks[1]}; "
                    f"all {len(v.checks)} checks passed.")
        if self.status == "unsafe" and v is not None:
            failed = "; ".join(f"{c.title.lower()}: no — {c.detail}" for c in v.failed)
            return (f"Share test: UNSAFE — tested {v.when} between {v.desks[0]} and {v.desks[1]}. "
                    f"{failed}. Only the first desk to open the database may save; the others open it "
                    "read-only. Move the database to a safe share, or to PostgreSQL with 'ordercycle db copy'.")
        note = f" {self.note}" if self.note else ""
        return ("Share test: not tested." + note + " Run it on two desks at the same time (File → Test this "
                "shared folder…, or 'ordercycle db share-test --db PATH').")


# --- where things are ---------------------------------------------------------------------------

def verdict_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + VERDICT_SUFFIX)


def folder_id(folder: Path, *, create: bool = False) -> str | None:
    """The folder's identity: a random id in a small file, the same whichever path a desk uses."""
    path = folder / FOLDER_ID
    for _ in range(2):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return str(raw["id"])
        except FileNotFoundError:
            if not create:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            if not create:
                return None
            time.sleep(0.05)  # another desk may be writing it right now
            continue
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            time.sleep(0.05)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            ident = uuid.uuid4().hex
            json.dump({"id": ident, "created": clock.utcnow().isoformat(),
                       "what": "OrderCycle's share test: identifies this folder; keep it with the database"}, fh)
        return ident
    raise ShareTestError(f"The folder identity file {path} cannot be read or written.",
                         hint="Delete it and run the share test again.")


def _db_path(db: str | os.PathLike[str]) -> Path:
    path = sqlite_path(to_url(db))
    if path is None:
        raise ShareTestError("The share test is for a SQLite file on a shared folder; a PostgreSQL server "
                             "does not need it.")
    return path


def share_state(db: str | os.PathLike[str]) -> ShareState | None:
    """The verdict for this database, checked against the folder it is in (None for PostgreSQL)."""
    try:
        path = _db_path(db)
    except ShareTestError:
        return None
    vpath = verdict_path(path)
    try:
        text = vpath.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ShareState("untested")
    except OSError as exc:
        return ShareState("untested", note=f"The verdict file {vpath.name} cannot be read ({exc.strerror}).")
    try:
        verdict = Verdict.from_json(text)
    except (ValueError, KeyError, TypeError):
        return ShareState("untested", note=f"The verdict file {vpath.name} is damaged; run the test again.")
    here = folder_id(path.parent)
    if here is None or here != verdict.folder_id or verdict.database != path.name:
        return ShareState("untested", verdict,
                          note=f"The verdict beside the database ({vpath.name}, from {verdict.when}) was made "
                               "in another folder or for another file, so it says nothing about this one.")
    return ShareState("safe" if verdict.safe else "unsafe", verdict)


def verdict_text(db_path: str | os.PathLike[str]) -> str:
    """One paragraph for Help → About: the share test's verdict for this database."""
    state = share_state(db_path)
    if state is None:
        return "Share test: not needed (PostgreSQL server)."
    return state.text()


# --- running it -----------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _invitation_stale(info: dict[str, Any]) -> bool:
    if info.get("workstation") == socket.gethostname() and not _pid_alive(int(info.get("pid", 0))):
        return True
    return time.time() > float(info.get("expires", 0)) + CLOCK_TOLERANCE


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def _spawn_peer(peer: Path, timeout: float, name: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "app", "db", "share-test", "--db", str(peer), "--timeout", str(timeout),
           "--name", name]
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen(cmd, cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_share_test(db: str | os.PathLike[str], *, peer: str | os.PathLike[str] | None = None,
                   timeout: float = DEFAULT_TIMEOUT, progress: Progress | None = None, name: str | None = None,
                   step_timeout: float = STEP_TIMEOUT) -> Verdict:
    """Run the share test for the database at ``db`` as one of the two desks and return the verdict
    (the first desk to start also writes it beside the database).

    ``peer``: another path to the same folder; a second process is started there as the other desk
    (for automated tests and for an administrator checking from one machine through two mounts).
    ``progress(fraction, text)`` is called now and then; an exception from it (a cancel) stops the
    test cleanly on both desks. Raises ShareTestError with a plain message when the test cannot run.
    """
    path = _db_path(db)
    report = progress or (lambda _f, _t: None)
    me = name or socket.gethostname()
    folder = path.parent
    if not folder.is_dir():
        raise ShareTestError(f"The folder {folder} cannot be reached.",
                             hint="Check that the network share is connected and the path is right.")
    work = folder / WORK_DIR
    for attempt in range(10):
        try:
            work.mkdir(exist_ok=True)
            probe = work / f".probe-{uuid.uuid4().hex[:8]}"
            probe.write_bytes(b"")
            _unlink_probe(probe)
            break
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise ShareTestError(
                    f"The folder {folder} is read-only for this workstation ({exc.strerror}).",
                    hint="The test needs to create its scratch files there — and OrderCycle needs to create its "
                         "journal there to save. Ask for write access to the share, then run the test again.") from exc
            if attempt < 9:  # the share blinked (EIO right after connecting is common on SMB clients)
                time.sleep(0.2)
                continue
            raise ShareTestError(
                f"The folder {folder} cannot be used right now ({exc.strerror}).",
                hint="The share may be disconnecting. Check the network connection, then run the test again.") from exc
    invitation = work / f"{path.name}.waiting.json"
    run_dir: Path | None = None
    role = ""
    child: subprocess.Popen[str] | None = None
    link: Link | None = None
    finished = False
    try:
        for _attempt in range(5):
            # Prepare a run (scratch database) first, then try to be the desk that waits: the
            # invitation is created exclusively and written at once, so the second desk never
            # finds a half-made run.
            run_id = uuid.uuid4().hex[:12]
            prepared = work / run_id
            prepared.mkdir()
            create_scratch(prepared / "scratch.db", journal_mode_for(path))
            try:
                fd = os.open(invitation, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                _remove(prepared)
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps({"run": run_id, "name": me, "workstation": socket.gethostname(),
                                         "pid": os.getpid(), "started": time.time(),
                                         "expires": time.time() + timeout + 60}))
                time.sleep(0.3)  # exclusive creation is not atomic everywhere: confirm the invitation is ours
                try:
                    ours = json.loads(invitation.read_text(encoding="utf-8")).get("run") == run_id
                except (OSError, ValueError):
                    ours = False
                if not ours:
                    _remove(prepared)
                    continue
                role, run_dir = "host", prepared
                folder_id(folder, create=True)
                for old in work.iterdir():  # leftovers of interrupted tests (we hold the invitation now)
                    if old.is_dir() and old != prepared:
                        _remove(old)
                break
            info: dict[str, Any] = {}
            for _ in range(200):
                try:
                    info = json.loads(invitation.read_text(encoding="utf-8"))
                    break
                except FileNotFoundError:
                    break
                except (OSError, ValueError):
                    time.sleep(POLL)
            if not info:
                if invitation.exists() and time.time() - invitation.stat().st_mtime > 60:
                    _remove(invitation)  # garbage left by a desk that died while writing it
                continue
            if _invitation_stale(info):
                _remove(invitation)  # a test that was interrupted and never cleaned up
                continue
            candidate = work / str(info.get("run", ""))
            try:
                fd2 = os.open(candidate / "guest.join.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                raise ShareTestError(
                    f"Another share test is running in this folder right now ({info.get('name', 'another desk')} "
                    "with a second desk).", hint="Wait for it to finish, then look at its verdict.") from None
            except OSError:
                time.sleep(0.1)
                continue
            with os.fdopen(fd2, "w", encoding="utf-8") as fh:
                json.dump({"name": me}, fh)
            role, run_dir = "guest", candidate
            break
        else:
            raise ShareTestError("The share test could not start: the invitation file kept changing.",
                                 hint="Run it again in a moment.")
        assert run_dir is not None
        link = Link(run_dir, role, report, step_timeout)
        run = DeskRun(name=me, folder=str(folder), journal_mode=journal_mode_for(path))
        if role == "host":
            if peer is not None:
                child = _spawn_peer(_db_path(peer), timeout, f"{me} (second path)")
            deadline = time.monotonic() + timeout
            join = run_dir / "guest.join.json"
            while not join.exists():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ShareTestError(
                        f"No second desk joined within {timeout:.0f} seconds.",
                        hint="Start the test on a second workstation while this one waits: open OrderCycle there "
                             "with the same database and choose File → Test this shared folder… (or run "
                             "'ordercycle db share-test --db PATH' there). Nothing was decided.")
                if child is not None and child.poll() is not None:
                    out, err = child.communicate()
                    raise ShareTestError(f"The second process ended before joining: {(err or out).strip()[-300:]}")
                report(0.05, f"Waiting for the second desk ({left:.0f} s left). Now start the test on another "
                             "workstation: open OrderCycle there with the same database and choose "
                             "File → Test this shared folder….")
                time.sleep(0.05)
            link.say(0.1, "The second desk joined; testing…")
        else:
            link.say(0.1, "Joined the desk that was waiting; testing…")
        outcome = run_checks(link, run, run_dir / "scratch.db", host=role == "host")
        if role == "host":
            fid = folder_id(folder, create=True) or ""
            verdict = judge(run, outcome.theirs, outcome.final, fid=fid, database=path.name,
                            now=clock.utcnow())
            vpath = verdict_path(path)
            tmp = vpath.with_name(f".{vpath.name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                tmp.write_text(verdict.to_json(), encoding="utf-8")
                os.replace(tmp, vpath)
            except OSError as exc:
                raise ShareTestError(f"The verdict could not be stored beside the database ({exc.strerror}).") from exc
            link.put("verdict", {"verdict": verdict.to_json()})
            try:
                link.get("bye", timeout=5)
            except ShareTestError:
                pass
        else:
            got = link.get("verdict")
            verdict = Verdict.from_json(got["verdict"])
            link.put("bye")
        link.say(1.0, "Done.")
        finished = True
        if child is not None:
            out, err = child.communicate(timeout=step_timeout)
            if child.returncode not in (0, 3):
                raise ShareTestError(f"The second process failed: {(err or out).strip()[-300:]}")
        return verdict
    except BaseException as exc:
        if link is not None and not finished:
            reason = exc.message if isinstance(exc, UserError) else "it was cancelled or interrupted"
            try:
                link.put("abort", {"reason": reason})
            except (ShareTestError, OSError):
                pass
        raise
    finally:
        if child is not None and child.poll() is None:
            try:
                child.wait(timeout=step_timeout if finished else 5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if role == "host":
            try:
                info = json.loads(invitation.read_text(encoding="utf-8"))
                if run_dir is not None and info.get("run") == run_dir.name:
                    _remove(invitation)
            except (OSError, ValueError):
                pass
            # Keep a run the guest joined but that stopped early until the guest has seen the abort
            # marker (the guest removes it then; the next test removes any leftovers).
            joined = run_dir is not None and (run_dir / "guest.join.json").exists()
            if run_dir is not None and (finished or not joined or (run_dir / "guest.abort.json").exists()):
                _remove(run_dir)
        elif role == "guest" and run_dir is not None and (run_dir / "host.abort.json").exists():
            _remove(run_dir)
        if role:
            try:
                work.rmdir()  # only when empty
            except OSError:
                pass
