"""Draw OrderCycle's icon with Qt and write resources/icons/: ordercycle.png (256 px, for the Linux
desktop entry and the window), ordercycle-48.png, and ordercycle.ico (16–256 px, PNG-compressed
entries, for the Windows executable and shortcuts). Run once when the design changes:

    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icon.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen, QPolygonF  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256.0
    p.scale(s, s)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1f5f99"))
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 44, 44)
    # the cycle: a ring with an arrow head, broken at the top right
    pen = QPen(QColor("white"), 26, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    ring = QRectF(56, 56, 144, 144)
    p.drawArc(ring, 80 * 16, 300 * 16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("white"))
    head = QPolygonF([QPointF(128, 22), QPointF(172, 56), QPointF(128, 90)])
    p.drawPolygon(head)
    # the order: a small box in the middle
    p.setBrush(QColor("#f2a93b"))
    box = QPainterPath()
    box.addRoundedRect(QRectF(104, 104, 48, 48), 8, 8)
    p.drawPath(box)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(images: list[tuple[int, bytes]]) -> bytes:
    """An .ico file whose entries are PNG images (understood by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        blobs += png
    return header + entries + blobs


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(OUT / "ordercycle.png"))
    draw(48).save(str(OUT / "ordercycle-48.png"))
    (OUT / "ordercycle.ico").write_bytes(ico_bytes([(n, png_bytes(draw(n))) for n in ICO_SIZES]))
    print(f"icons written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
