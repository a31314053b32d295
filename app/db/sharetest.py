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
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app import clock
from app.db.engine import _unlink_probe, journal_mode_for, sqlite_path, to_url
from app.errors import UserError

VERDICT_SUFFIX = ".sharetest.json"
FOLDER_ID = ".ordercycle-folder-id"
WORK_DIR = ".ordercycle-sharetest"
DEFAULT_TIMEOUT = 120.0  # how long the first desk waits for the second
STEP_TIMEOUT = 30.0  # how long one desk waits for the other between steps
CLOCK_TOLERANCE = 120.0  # a waiting desk's invitation counts as abandoned this long after it expired
POLL = 0.01
EXCL_FILES = 40
JOURNAL_COMMITS = 60  # per desk (≈ 10 ms each over a network share)
RACE_COMMITS = 40  # per desk
FRESH_ROUNDS = 4

Progress = Callable[[float, str], None]

CHECK_TITLES = {
    "locks": "A write lock on one desk blocks the other",
    "fresh": "A save on one desk is seen at once by the other",
    "exclusive": "Creating a file is exclusive between desks",
    "journal": "The journal works over many saves",
    "race": "No update lost when both desks save at once",
}


class ShareTestError(UserError):
    title = "Share test"


@dataclass(frozen=True)
class CheckOutcome:
    key: str
    passed: bool
    detail: str  # plain words: what was seen

    @property
    def title(self) -> str:
        return CHECK_TITLES.get(self.key, self.key)


@dataclass(frozen=True)
class Verdict:
    safe: bool
    tested_at: str  # ISO, UTC
    desks: tuple[str, str]
    checks: tuple[CheckOutcome, ...]
    folder_id: str
    database: str  # the database file's name
    journal_mode: str
    commit_ms: float | None = None  # median commit time seen during the test
    paths: tuple[str, str] = ("", "")  # the folder as each desk saw it

    @property
    def failed(self) -> tuple[CheckOutcome, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def when(self) -> str:
        try:
            return dt.datetime.fromisoformat(self.tested_at).astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return self.tested_at

    def to_json(self) -> str:
        data = asdict(self)
        data["format"] = 1
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        raw = json.loads(text)
        return cls(safe=bool(raw["safe"]), tested_at=str(raw["tested_at"]), desks=tuple(raw["desks"]),  # type: ignore[arg-type]
                   checks=tuple(CheckOutcome(str(c["key"]), bool(c["passed"]), str(c["detail"]))
                                for c in raw["checks"]),
                   folder_id=str(raw["folder_id"]), database=str(raw["database"]),
                   journal_mode=str(raw.get("journal_mode", "")), commit_ms=raw.get("commit_ms"),
                   paths=tuple(raw.get("paths") or ("", "")))  # type: ignore[arg-type]


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


# --- the two desks talking through files ----------------------------------------------------------

class _Link:
    """Steps between the two desks: each writes ``<role>.<step>.json`` (atomically: temp file and
    rename) and waits for the other's. A desk that stops writes ``<role>.abort.json``."""

    def __init__(self, run_dir: Path, role: str, progress: Progress, step_timeout: float) -> None:
        self.run_dir, self.role = run_dir, role
        self.other = "guest" if role == "host" else "host"
        self.progress, self.step_timeout = progress, step_timeout
        self.fraction, self.text = 0.0, ""
        self.other_name = "the other desk"  # its name once known

    def say(self, fraction: float, text: str) -> None:
        self.fraction, self.text = fraction, text
        self.progress(fraction, text)

    def put(self, step: str, data: dict | None = None) -> None:
        tmp = self.run_dir / f".{self.role}.{step}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            tmp.write_text(json.dumps(data or {}), encoding="utf-8")
            os.replace(tmp, self.run_dir / f"{self.role}.{step}.json")
        except OSError as exc:
            raise ShareTestError(f"The test cannot write in {self.run_dir.parent} any more ({exc.strerror}).",
                                 hint="The share may have disconnected. Nothing was decided; run the test again.") from exc

    def get(self, step: str, *, timeout: float | None = None) -> dict:
        want = self.run_dir / f"{self.other}.{step}.json"
        abort = self.run_dir / f"{self.other}.abort.json"
        deadline = time.monotonic() + (self.step_timeout if timeout is None else timeout)
        last_tick = 0.0
        while True:
            if want.exists():
                for _ in range(50):
                    try:
                        return json.loads(want.read_text(encoding="utf-8"))
                    except (OSError, ValueError):
                        time.sleep(POLL)
            if abort.exists():
                why = ""
                try:
                    why = json.loads(abort.read_text(encoding="utf-8")).get("reason", "")
                except (OSError, ValueError):
                    pass
                raise ShareTestError(f"The test was stopped on {self.other_name}{': ' + why if why else ''}.",
                                     hint="Nothing was decided and no verdict was stored. Run it again on both desks.")
            now = time.monotonic()
            if now >= deadline:
                raise ShareTestError(
                    f"The other desk ({self.other_name}) stopped answering halfway through the test "
                    f"(nothing for {self.step_timeout:.0f} s): it may have been closed or lost the share.",
                    hint="Nothing was decided and no verdict was stored. Run the test again on both desks.")
            if now - last_tick > 0.2:
                self.progress(self.fraction, self.text)  # lets a cancel through
                last_tick = now
            time.sleep(POLL)

    def sync(self, step: str, data: dict | None = None) -> dict:
        self.put(step, data)
        return self.get(step)


def _connect(path: Path, journal_mode: str) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), isolation_level=None, timeout=2.0, check_same_thread=False)
    con.execute(f"PRAGMA journal_mode = {journal_mode}")
    con.execute("PRAGMA synchronous = FULL")
    return con


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _try_lock(con: sqlite3.Connection) -> tuple[bool, str]:
    """Try to take the write lock at once. (blocked, what happened)."""
    con.execute("PRAGMA busy_timeout = 0")
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        msg = _first_line(exc)
        return ("locked" in msg.lower() or "busy" in msg.lower()), msg
    else:
        con.execute("ROLLBACK")
        return False, "got the write lock"
    finally:
        con.execute("PRAGMA busy_timeout = 2000")


def _hold_lock(con: sqlite3.Connection) -> None:
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE t SET v = v + 1 WHERE id = 1")


def _read(con: sqlite3.Connection, row: int) -> int:
    con.execute("BEGIN")
    try:
        return int(con.execute("SELECT v FROM t WHERE id = ?", (row,)).fetchone()[0])
    finally:
        con.execute("COMMIT")


def _commit(con: sqlite3.Connection, sql: str, args: tuple = ()) -> None:
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(sql, args)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise


def _journal_bad(scratch: Path, mode: str) -> bool:
    """After a commit: DELETE removes the journal, TRUNCATE empties it."""
    journal = scratch.with_name(scratch.name + "-journal")
    try:
        size = journal.stat().st_size
    except FileNotFoundError:
        return False
    return mode == "DELETE" or size > 0


@dataclass
class _Run:
    """What one desk saw; sent to the other desk at the end."""

    name: str
    folder: str
    journal_mode: str
    lock_blocked: list = field(default_factory=list)  # (blocked, message) when this desk tried
    stale: list = field(default_factory=list)  # (round, expected, seen)
    won: list = field(default_factory=list)
    excl_errors: list = field(default_factory=list)
    journal_errors: list = field(default_factory=list)
    journal_anomalies: int = 0
    commit_ms: list = field(default_factory=list)
    race_ok: int = 0
    race_errors: list = field(default_factory=list)


def _create_scratch(path: Path, mode: str) -> None:
    con = _connect(path, mode)
    try:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        con.execute("INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)")
    finally:
        con.close()


def _steps(link: _Link, run: _Run, scratch: Path, *, host: bool) -> dict:
    """Both desks run this; ``host`` decides who goes first in the one-sided steps."""
    con = _connect(scratch, run.journal_mode)
    try:
        _read(con, 2)  # prime this connection's cache, as a desk that has been working would have
        theirs = link.sync("open", {"name": run.name})
        link.other_name = theirs.get("name") or link.other_name

        # 1. locks, both ways round
        link.say(0.15, "Checking that a write lock on one desk blocks the other…")
        for holder in ("host", "guest"):
            mine = (holder == "host") == host
            if mine:
                _hold_lock(con)
                link.sync(f"lock-{holder}-held")
                link.get(f"lock-{holder}-tried")
                con.execute("ROLLBACK")
                link.sync(f"lock-{holder}-done")
            else:
                link.get(f"lock-{holder}-held")
                link.put(f"lock-{holder}-held")
                run.lock_blocked.append(_try_lock(con))
                link.put(f"lock-{holder}-tried")
                link.sync(f"lock-{holder}-done")

        # 2. a save on one desk is seen by the other's open connection
        link.say(0.3, "Checking that a save on one desk is seen at once by the other…")
        for rnd in range(FRESH_ROUNDS):
            writer_is_host = rnd % 2 == 0
            token = 1000 + rnd * 7 + (1 if writer_is_host else 2)
            if writer_is_host == host:
                _commit(con, "UPDATE t SET v = ? WHERE id = 2", (token,))
                link.sync(f"fresh-{rnd}")
                link.sync(f"fresh-{rnd}-read")
            else:
                link.sync(f"fresh-{rnd}")
                try:
                    seen = _read(con, 2)
                except sqlite3.Error as exc:
                    seen = _first_line(exc)
                if seen != token:
                    run.stale.append((rnd, token, seen))
                link.sync(f"fresh-{rnd}-read")

        # 3. exclusive creation: both desks race for the same names
        link.say(0.45, "Checking that creating a file is exclusive between desks…")
        link.sync("excl-start")
        for i in range(EXCL_FILES):
            name = link.run_dir / f"excl-{i:02d}"
            try:
                fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                run.excl_errors.append(f"{name.name}: {exc.strerror}")
                continue
            os.write(fd, link.role.encode())
            os.close(fd)
            run.won.append(i)
        link.sync("excl-done", {"won": run.won})

        # 4. the journal over many commits, one desk after the other
        link.say(0.55, "Checking the journal over many saves…")
        for turn in ("host", "guest"):
            if (turn == "host") == host:
                for i in range(JOURNAL_COMMITS):
                    started = time.perf_counter()
                    try:
                        _commit(con, "UPDATE t SET v = v + 1 WHERE id = 1")
                    except sqlite3.Error as exc:
                        run.journal_errors.append(_first_line(exc))
                    else:
                        run.commit_ms.append((time.perf_counter() - started) * 1000)
                        if _journal_bad(scratch, run.journal_mode):
                            run.journal_anomalies += 1
                    if i % 10 == 0:
                        link.say(0.55 + (0.15 if turn == "guest" else 0) + 0.15 * i / JOURNAL_COMMITS,
                                 f"Checking the journal over many saves ({i}/{JOURNAL_COMMITS} on this desk)…")
                link.sync(f"journal-{turn}")
            else:
                link.sync(f"journal-{turn}")
        try:
            con.execute("PRAGMA busy_timeout = 5000")
            sound = [r[0] for r in con.execute("PRAGMA quick_check").fetchall()] == ["ok"]
        except sqlite3.Error as exc:
            sound = False
            run.journal_errors.append(f"quick_check: {_first_line(exc)}")
        if not sound:
            run.journal_errors.append("the scratch database was damaged after the saves")

        # 5. both desks save at once
        link.say(0.85, "Checking that no update is lost when both desks save at once…")
        link.sync("race-start")
        for _ in range(RACE_COMMITS):
            try:
                _commit(con, "UPDATE t SET v = v + 1 WHERE id = 3")
                run.race_ok += 1
            except sqlite3.Error as exc:
                run.race_errors.append(_first_line(exc))
        theirs = link.sync("race-done", asdict(run))
        final: int | str
        try:
            fresh = _connect(scratch, run.journal_mode)
            try:
                final = _read(fresh, 3)
            finally:
                fresh.close()
        except sqlite3.Error as exc:
            final = _first_line(exc)
        return {"theirs": theirs, "final": final}
    finally:
        try:
            con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        con.close()


def _judge(host: _Run, guest: dict, final: int | str, *, fid: str, database: str, now: dt.datetime) -> Verdict:
    g = _Run(**{k: v for k, v in guest.items() if k in _Run.__dataclass_fields__})
    checks = []
    tried = [(host.name, guest_blocked) for guest_blocked in host.lock_blocked] + \
            [(g.name, b) for b in g.lock_blocked]
    not_blocked = [f"{who} got the write lock while the other desk held it ({msg})" for who, (blocked, msg) in tried
                   if not blocked]
    checks.append(CheckOutcome("locks", not not_blocked and len(tried) == 2,
                               "; ".join(not_blocked) + ". The share does not pass file locks between computers, "
                               "so two desks can save over each other" if not_blocked else
                               "each desk was kept waiting while the other held the lock"))
    stale = [(host.name, s) for s in host.stale] + [(g.name, s) for s in g.stale]
    checks.append(CheckOutcome(
        "fresh", not stale,
        (f"{len(stale)} of {FRESH_ROUNDS} times a desk's open connection still read the old value after the other "
         f"desk's save (e.g. {stale[0][0]} read {stale[0][1][2]!r}, not {stale[0][1][1]}): the share serves stale "
         "data, so desks work on out-of-date figures") if stale else
        f"all {FRESH_ROUNDS} saves were seen at once by the other desk"))
    both = sorted(set(host.won) & set(g.won))
    nobody = sorted(set(range(EXCL_FILES)) - set(host.won) - set(g.won))
    errors = host.excl_errors + g.excl_errors
    bad = []
    if both:
        bad.append(f"{len(both)} of {EXCL_FILES} files were 'created' by both desks")
    if nobody or errors:
        bad.append(f"{len(nobody)} of {EXCL_FILES} files could not be created" + (f" ({errors[0]})" if errors else ""))
    checks.append(CheckOutcome("exclusive", not bad,
                               "; ".join(bad) if bad else f"each of {EXCL_FILES} files was created by exactly one desk"))
    jerr = host.journal_errors + g.journal_errors
    janom = host.journal_anomalies + g.journal_anomalies
    total = 2 * JOURNAL_COMMITS
    if jerr or janom:
        parts = []
        io = [e for e in jerr if not e.startswith(("quick_check", "the scratch"))]
        if io:
            parts.append(f"{len(io)} of {total} saves failed ('{io[0]}')")
        if janom:
            parts.append(f"the journal was left behind after {janom} saves")
        parts += [e for e in jerr if e.startswith(("quick_check", "the scratch"))]
        jdetail = "; ".join(parts)
    else:
        jdetail = f"{total} saves in {host.journal_mode} journal mode, no errors"
    checks.append(CheckOutcome("journal", not jerr and not janom, jdetail))
    expected = host.race_ok + g.race_ok
    if isinstance(final, int):
        lost = expected - final
        race_ok = lost == 0
        rdetail = (f"{lost} of {expected} updates were lost without an error" if lost > 0 else
                   f"all {expected} updates counted" if lost == 0 else
                   f"the counter shows {final}, more than the {expected} saves made")
    else:
        race_ok = False
        rdetail = f"the counter could not be read back afterwards ({final})"
    rerr = host.race_errors + g.race_errors
    if rerr:
        rdetail += f"; {len(rerr)} saves failed ('{rerr[0]}')"
    checks.append(CheckOutcome("race", race_ok, rdetail))
    ms = host.commit_ms + g.commit_ms
    return Verdict(
        safe=all(c.passed for c in checks), tested_at=now.isoformat(), desks=(host.name, g.name),
        checks=tuple(checks), folder_id=fid, database=database, journal_mode=host.journal_mode,
        commit_ms=round(statistics.median(ms), 2) if ms else None, paths=(host.folder, g.folder))


# --- running it -----------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _invitation_stale(info: dict) -> bool:
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


def _spawn_peer(peer: Path, timeout: float, name: str) -> subprocess.Popen:
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
    child: subprocess.Popen | None = None
    link: _Link | None = None
    finished = False
    try:
        for _attempt in range(5):
            # Prepare a run (scratch database) first, then try to be the desk that waits: the
            # invitation is created exclusively and written at once, so the second desk never
            # finds a half-made run.
            run_id = uuid.uuid4().hex[:12]
            prepared = work / run_id
            prepared.mkdir()
            _create_scratch(prepared / "scratch.db", journal_mode_for(path))
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
            info: dict = {}
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
        link = _Link(run_dir, role, report, step_timeout)
        run = _Run(name=me, folder=str(folder), journal_mode=journal_mode_for(path))
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
        outcome = _steps(link, run, run_dir / "scratch.db", host=role == "host")
        if role == "host":
            fid = folder_id(folder, create=True) or ""
            verdict = _judge(run, outcome["theirs"], outcome["final"], fid=fid, database=path.name,
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
