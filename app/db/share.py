"""Is the database on a network share? (UNC path, mapped network drive, NFS/SMB/FUSE mount.)

SQLite over a network file system is only as safe as the share's locking; OrderCycle says so in
the status bar and never uses WAL there."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "ceph", "glusterfs", "9p", "davfs", "fuse.sshfs",
              "fuse.smbnetfs", "fuse.rclone", "fuse.s3fs", "fuse.gvfsd-fuse", "fuse.davfs2", "ncpfs", "coda"}


@dataclass(frozen=True)
class ShareInfo:
    network: bool
    kind: str  # "local disk", "SMB/CIFS share", "NFS share", "FUSE mount", "UNC path", "network drive"
    mount: str

    def status_text(self) -> str:
        return f"on a network share ({self.kind})" if self.network else "on a local disk"


def _describe(fstype: str) -> str:
    if fstype in {"cifs", "smb3", "smbfs", "fuse.smbnetfs"}:
        return f"SMB/CIFS share, {fstype}"
    if fstype.startswith("nfs"):
        return f"NFS share, {fstype}"
    if fstype.startswith("fuse"):
        return f"FUSE mount, {fstype}"
    return fstype


def parse_mounts(text: str) -> list[tuple[str, str]]:
    """(mount point, fs type) from /proc/mounts text; octal escapes (\\040 = space) decoded."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mount = parts[1].encode().decode("unicode_escape")
            out.append((mount, parts[2]))
    return out


def share_info(path: Path, *, mounts_text: str | None = None, platform: str = sys.platform) -> ShareInfo:
    text = str(path)
    if platform == "win32" or text.startswith("\\\\"):
        if text.startswith("\\\\") or text.startswith("//"):
            return ShareInfo(True, "UNC path", text.split("\\")[2] if text.startswith("\\\\") else "")
        drive = os.path.splitdrive(text)[0]
        if platform == "win32" and drive and sys.platform == "win32":  # (only Windows has ctypes.windll)
            import ctypes

            if ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4:
                return ShareInfo(True, "network drive", drive)
        return ShareInfo(False, "local disk", drive)
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text()
        except OSError:
            return ShareInfo(False, "local disk", "/")
    target = os.path.realpath(path.parent if not path.is_dir() else path)
    best = ("/", "")
    for mount, fstype in parse_mounts(mounts_text):
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best[0]):
            best = (mount, fstype)
    mount, fstype = best
    if fstype in NETWORK_FS or fstype.startswith("fuse."):
        return ShareInfo(True, _describe(fstype), mount)
    return ShareInfo(False, "local disk", mount)
