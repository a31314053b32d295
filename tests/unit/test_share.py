from pathlib import Path

from app.db.share import parse_mounts, share_info

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
//fileserver/orders /mnt/orders cifs rw,vers=3.0 0 0
nas:/export/shared /srv/nas nfs4 rw 0 0
smbnetfs /tmp/rig/desk1 fuse.smbnetfs rw 0 0
/dev/vdb1 /mnt/orders/local\\040copy ext4 rw 0 0
"""


def test_mount_table_is_parsed_with_escapes() -> None:
    assert ("/mnt/orders/local copy", "ext4") in parse_mounts(MOUNTS)


def test_network_file_systems_are_recognised() -> None:
    cifs = share_info(Path("/mnt/orders/firm/ordercycle.db"), mounts_text=MOUNTS, platform="linux")
    assert cifs.network and "SMB/CIFS" in cifs.kind and cifs.mount == "/mnt/orders"
    nfs = share_info(Path("/srv/nas/ordercycle.db"), mounts_text=MOUNTS, platform="linux")
    assert nfs.network and nfs.kind.startswith("NFS")
    fuse = share_info(Path("/tmp/rig/desk1/127.0.0.1/share/o.db"), mounts_text=MOUNTS, platform="linux")
    assert fuse.network and "smbnetfs" in fuse.kind
    assert "network share" in fuse.status_text()


def test_local_disks_and_the_longest_mount_win() -> None:
    assert not share_info(Path("/home/ann/ordercycle.db"), mounts_text=MOUNTS, platform="linux").network
    inner = share_info(Path("/mnt/orders/local copy/o.db"), mounts_text=MOUNTS, platform="linux")
    assert not inner.network and inner.mount == "/mnt/orders/local copy"


def test_unc_paths_are_network() -> None:
    info = share_info(Path("\\\\fileserver\\orders\\ordercycle.db"), platform="linux")
    assert info.network and info.kind == "UNC path"
