"""On the SMB rig (../shared/tools/smb-rig): Samba on 127.0.0.1 mounted by two independent FUSE SMB
clients, one per "desk" — a share that does not forward locks and serves stale data.

Needs root, /dev/fuse and apt-get the first time (the rig installs samba and smbnetfs itself);
CI's machine has all three. Elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from app.db.open import open_database
from app.db.sharetest import run_share_test, share_state
from app.models import Product
from tests.factories import ANN, make_product

ROOT = Path(__file__).resolve().parents[2]
RIG = ROOT.parent / "shared" / "tools" / "smb-rig"
INCREMENTS = 30


def _why_not() -> str | None:
    if not RIG.exists():
        return f"the SMB rig script is not at {RIG}"
    if os.geteuid() != 0:
        return "the SMB rig needs root (it runs Samba on port 445 and mounts FUSE file systems)"
    if not os.path.exists("/dev/fuse"):
        return "the SMB rig needs FUSE (/dev/fuse) and there is none here"
    if not shutil.which("apt-get") and not (shutil.which("smbd") and shutil.which("smbnetfs")):
        return "the SMB rig needs samba and smbnetfs, or apt-get to install them"
    return None


@pytest.fixture(scope="module")
def rig():
    """(rig folder, desk 1's path to the share, desk 2's path). Always stopped afterwards."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    # a short path of its own (Samba keeps sockets and tdb files under it); removed afterwards
    where = Path(tempfile.mkdtemp(prefix="ocrig-"))
    try:
        for _attempt in range(2):  # a Samba just stopped by an earlier run may still hold port 445
            started = subprocess.run(["bash", str(RIG), "start", str(where)], capture_output=True, text=True,
                                     timeout=600)
            if started.returncode == 0:
                break
            time.sleep(2)
        if started.returncode != 0:
            if "could not install" in started.stderr or "no /dev/fuse" in started.stderr:
                pytest.skip(f"the SMB rig cannot start here: {started.stderr.strip()}")
            pytest.fail(f"the SMB rig did not start: {started.stderr.strip()}")
        desk1, desk2 = (Path(line) for line in started.stdout.split())
        yield where, desk1, desk2
    finally:
        subprocess.run(["bash", str(RIG), "stop", str(where)], capture_output=True, timeout=60)
        _wait_for_samba_to_end(where)
        if not any(line.split()[1].startswith(str(where)) for line in Path("/proc/mounts").read_text().splitlines()
                   if len(line.split()) > 1):
            shutil.rmtree(where, ignore_errors=True)


def _rig_processes(where: Path) -> list[int]:
    """The Samba processes this rig started (their command line names its smb.conf)."""
    conf = str(where / "run" / "smb.conf").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if conf in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_for_samba_to_end(where: Path) -> None:
    """``smb-rig stop`` signals smbd and returns; a server still closing holds port 445, and the next
    rig's clients would reach it. Wait for this rig's processes to end (and end them if they hang)."""
    deadline = time.monotonic() + 10
    while _rig_processes(where) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in _rig_processes(where):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


@pytest.fixture(scope="module")
def rig_verdict(rig):
    _where, desk1, desk2 = rig
    return run_share_test(desk1 / "ordercycle.db", peer=desk2 / "ordercycle.db", timeout=60)


def test_on_the_rig_the_share_test_reports_unsafe(rig, rig_verdict) -> None:
    _where, desk1, desk2 = rig
    failed = {c.key: c.detail for c in rig_verdict.failed}
    assert not rig_verdict.safe
    assert "locks" in failed and "got the write lock while the other desk held it" in failed["locks"]
    assert "fresh" in failed and "still read the old value" in failed["fresh"]
    assert rig_verdict.journal_mode == "TRUNCATE"  # a FUSE SMB mount is a network path
    assert rig_verdict.paths == (str(desk1), str(desk2))
    # the verdict sits on the share and both desks read it, whichever path they use
    for desk in (desk1, desk2):
        state = share_state(desk / "ordercycle.db")
        assert state is not None and state.status == "unsafe"


DESK2 = r"""
import json, sys
from app.db.open import open_database
from app.errors import UserError
from app.models import Product
from app.services import presence
from tests.factories import BOB

db = open_database(sys.argv[1], username="bob", workstation="desk-2")
out = {"read_only": db.read_only.message if db.read_only else None, "saved": 0, "refused": 0, "presence": None}
for _ in range(int(sys.argv[2])):
    try:
        def bump(uow):
            uow.get(Product, 1).stock_on_hand += 1
        db.write(BOB, bump)
        out["saved"] += 1
    except UserError as exc:
        out["refused"] += 1
        out["error"] = exc.message
try:
    presence.start_session(db, BOB)
except UserError as exc:
    out["presence"] = exc.message
with db.read() as s:
    out["seen"] = str(s.get(Product, 1).stock_on_hand)
db.dispose()
print(json.dumps(out))
"""


def _desk2(path: Path, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DESK2, str(path), str(count)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_on_the_rig_one_desk_writes_and_no_update_is_lost(rig, rig_verdict, tmp_path: Path) -> None:
    where, desk1, desk2 = rig
    local = tmp_path / "ordercycle.db"
    db = open_database(local)
    pid = make_product(db)  # stock 10
    db.dispose()
    assert pid == 1
    shutil.copy(local, where / "share" / "ordercycle.db")  # put in place on the server, nobody has it open

    first = open_database(desk1 / "ordercycle.db", username="ann", workstation="desk-1")
    try:
        assert first.read_only is None and first.writer_lease is not None
        other = _desk2(desk2 / "ordercycle.db", INCREMENTS)  # desk 2 saves while desk 1 saves
        for _ in range(INCREMENTS):
            def bump(uow):  # type: ignore[no-untyped-def]
                uow.get(Product, pid).stock_on_hand += 1

            first.write(ANN, bump)
        out, err = other.communicate(timeout=120)
        assert other.returncode == 0, err
        seen = json.loads(out)
        assert seen["read_only"] and "ann at desk-1" in seen["read_only"]
        assert seen["saved"] == 0 and seen["refused"] == INCREMENTS
        assert "failed the share test" in seen["error"]
        assert seen["presence"] and "read-only" in seen["presence"]  # not even a presence row
        with first.read() as s:
            assert s.get(Product, pid).stock_on_hand == 10 + INCREMENTS  # no update lost
    finally:
        first.dispose()

    # desk 1 closed: now desk 2 may write
    after = _desk2(desk2 / "ordercycle.db", 1)
    out, err = after.communicate(timeout=120)
    assert after.returncode == 0, err
    seen = json.loads(out)
    assert seen["read_only"] is None and seen["saved"] == 1
    assert float(seen["seen"]) == 10 + INCREMENTS + 1  # desk 2 sees all of desk 1's saves, then its own
