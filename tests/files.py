"""Small, complete documents for upload tests, built here rather than shipped: a one-page
PDF, a 1×1 PNG and a 1×1 JPEG, each valid from its first byte to its last. `text` is
written inside the file (a PDF comment, a PNG tEXt chunk, a JPEG COM segment), for tests
that follow a person's details into stored files."""

import struct
import zlib


def pdf(text: str = "") -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + (f"% {text}\n".encode() if text else b"")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def png(text: str = "") -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit grey
    comment = png_chunk(b"tEXt", b"Comment\x00" + text.encode()) if text else b""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + comment
            + png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + png_chunk(b"IEND", b""))


def _segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


def jpeg(text: str = "") -> bytes:
    """A baseline 1×1 grey JPEG: one quantisation table, one-code Huffman tables (DC
    difference 0, AC end-of-block), one block of scan data."""
    return b"".join([
        b"\xff\xd8",
        _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(0xFE, text.encode()) if text else b"",
        _segment(0xDB, b"\x00" + b"\x01" * 64),
        _segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"),
        _segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"),
        _segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"),
        _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        b"\x3f",  # DC code 0 (difference 0), AC code 0 (end of block), padded with ones
        b"\xff\xd9",
    ])


PDF = pdf()
PNG = png()
JPEG = jpeg()
