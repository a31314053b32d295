"""The share test's five checks: how one desk runs them, in step with the other desk through files
in the scratch folder, and how what both desks saw is judged into a :class:`Verdict`.

:mod:`app.db.sharetest` finds or waits for the other desk, stores the verdict and says what it means
for a database; this module is the part in between: the link between the two desks (``Link``), the
scratch database and its five checks (``run_checks``), and the judging (``judge``). The names other
modules use (``ShareTestError``, ``CheckOutcome``, ``Verdict``…) are re-exported by ``app.db.sharetest``.

Plain Python and the standard library only, like the share test itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from app import clock
from app.errors import UserError

POLL = 0.01
EXCL_FILES = 40
JOURNAL_COMMITS = 60  # per desk (≈ 10 ms each over a network share)
RACE_COMMITS = 40  # per desk
FRESH_ROUNDS = 4

Progress = Callable[[float, str], None]
#: what one desk writes for the other at a step (JSON)
Message = dict[str, Any]

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
        return cls(safe=bool(raw["safe"]), tested_at=str(raw["tested_at"]), desks=tuple(raw["desks"]),
                   checks=tuple(CheckOutcome(str(c["key"]), bool(c["passed"]), str(c["detail"]))
                                for c in raw["checks"]),
                   folder_id=str(raw["folder_id"]), database=str(raw["database"]),
                   journal_mode=str(raw.get("journal_mode", "")), commit_ms=raw.get("commit_ms"),
                   paths=tuple(raw.get("paths") or ("", "")))



# --- the two desks talking through files ----------------------------------------------------------

class Link:
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

    def put(self, step: str, data: Message | None = None) -> None:
        tmp = self.run_dir / f".{self.role}.{step}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            tmp.write_text(json.dumps(data or {}), encoding="utf-8")
            os.replace(tmp, self.run_dir / f"{self.role}.{step}.json")
        except OSError as exc:
            raise ShareTestError(
                f"The test cannot write in {self.run_dir.parent} any more ({exc.strerror}).",
                hint="The share may have disconnected. Nothing was decided; run the test again.") from exc

    def get(self, step: str, *, timeout: float | None = None) -> Message:
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

    def sync(self, step: str, data: Message | None = None) -> Message:
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


def _commit(con: sqlite3.Connection, sql: str, args: tuple[object, ...] = ()) -> None:
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
class DeskRun:
    """What one desk saw; sent to the other desk at the end (as JSON, so the other desk's pairs
    and triples arrive as lists; they are only unpacked and indexed)."""

    name: str
    folder: str
    journal_mode: str
    lock_blocked: list[tuple[bool, str]] = field(default_factory=list)  # (blocked, message) when this desk tried
    stale: list[tuple[int, int, int | str]] = field(default_factory=list)  # (round, expected, seen)
    won: list[int] = field(default_factory=list)
    excl_errors: list[str] = field(default_factory=list)
    journal_errors: list[str] = field(default_factory=list)
    journal_anomalies: int = 0
    commit_ms: list[float] = field(default_factory=list)
    race_ok: int = 0
    race_errors: list[str] = field(default_factory=list)


class Observed(NamedTuple):
    """What :func:`run_checks` hands back: the other desk's :class:`DeskRun` (as sent) and the
    shared counter read afresh after the race (or why it could not be read)."""

    theirs: Message
    final: int | str


def create_scratch(path: Path, mode: str) -> None:
    con = _connect(path, mode)
    try:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        con.execute("INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)")
    finally:
        con.close()


def run_checks(link: Link, run: DeskRun, scratch: Path, *, host: bool) -> Observed:
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
                seen: int | str
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
        return Observed(theirs, final)
    finally:
        try:
            con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        con.close()


def judge(host: DeskRun, guest: Message, final: int | str, *, fid: str, database: str, now: dt.datetime) -> Verdict:
    g = DeskRun(**{k: v for k, v in guest.items() if k in DeskRun.__dataclass_fields__})
    checks: list[CheckOutcome] = []
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
    checks.append(CheckOutcome(
        "exclusive", not bad, "; ".join(bad) if bad else f"each of {EXCL_FILES} files was created by exactly one desk"))
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
