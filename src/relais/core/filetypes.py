"""What a file really is, judged by its whole content: a PDF, a PNG or a JPEG, complete and
nothing else under that name. A file's first bytes are easy to fake (`%PDF-1.4` followed
by a web page), so each check also walks the rest: the PDF's end marker and a head free of
HTML, the PNG's chunks with their checksums up to IEND, the JPEG's segments up to EOI.
Each check reads the file in pieces: an upload may be a temporary file of several MB."""

import re
import struct
import zlib

PIECE = 64 * 1024

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

SIGNATURES = {
    b"%PDF-": PDF,
    b"\x89PNG\r\n\x1a\n": PNG,
    b"\xff\xd8\xff": JPEG,
}


def sniff(file) -> str | None:
    """The type the first bytes claim, or None."""
    head = _read_at(file, 0, 16)
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


def is_whole(file, content_type: str, size: int) -> bool:
    """Whether the whole content is consistent with the type its first bytes claim."""
    check = {PDF: _is_whole_pdf, PNG: _is_whole_png, JPEG: _is_whole_jpeg}[content_type]
    try:
        return check(file, size)
    finally:
        file.seek(0)


# --- PDF -----------------------------------------------------------------------------------

PDF_HEADER = re.compile(rb"%PDF-[12]\.\d[\r\n %]")
# Browsers that guess a type look at a file's first KB; a PDF's first KB holds its header,
# a binary comment and the first objects, never markup. These are the tags that make a
# browser (or a viewer that opens files by content) take the file for a web page.
HTML_MARKERS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe",
                b"<svg", b"<object", b"<embed", b"<style", b"<title", b"<meta", b"<!--")
SNIFFED_HEAD = 1024
# Readers accept an end marker within the last KB (some writers add a few bytes after it).
PDF_TAIL = 1024


def _is_whole_pdf(file, size: int) -> bool:
    head = _read_at(file, 0, SNIFFED_HEAD)
    if not PDF_HEADER.match(head):
        return False
    if any(marker in head.lower() for marker in HTML_MARKERS):
        return False
    return b"%%EOF" in _read_at(file, max(size - PDF_TAIL, 0), PDF_TAIL)


# --- PNG -----------------------------------------------------------------------------------

PNG_SIGNATURE_LENGTH = 8
PNG_MAX_CHUNK = 2**31 - 1  # the specification's bound on a chunk's length


def _is_whole_png(file, size: int) -> bool:
    """Chunks from IHDR (first, 13 bytes, non-zero width and height) through IDAT to IEND,
    each with a correct CRC, and nothing after IEND."""
    file.seek(PNG_SIGNATURE_LENGTH)
    first, seen_data = True, False
    while chunk := _read_png_chunk(file):
        kind, data = chunk
        if first and not _is_ihdr(kind, data):
            return False
        if kind == b"IEND":
            return seen_data and file.tell() == size
        first, seen_data = False, seen_data or kind == b"IDAT"
    return False


def _read_png_chunk(file) -> tuple[bytes, bytes] | None:
    """A chunk's type and the first piece of its data (all of it for IHDR), its CRC
    checked; None if it is cut short or corrupt."""
    header = file.read(8)
    if len(header) < 8:
        return None
    length, kind = struct.unpack(">I4s", header)
    if length > PNG_MAX_CHUNK or not kind.isalpha():
        return None
    crc, received, first_piece = zlib.crc32(kind), 0, b""
    for piece in _pieces(file, length):
        crc = zlib.crc32(piece, crc)
        received += len(piece)
        first_piece = first_piece or piece
    stored = file.read(4)
    if received < length or len(stored) < 4 or struct.unpack(">I", stored)[0] != crc:
        return None
    return kind, first_piece


def _is_ihdr(kind: bytes, data: bytes) -> bool:
    if kind != b"IHDR" or len(data) != 13:
        return False
    width, height = struct.unpack(">II", data[:8])
    return width > 0 and height > 0


# --- JPEG ----------------------------------------------------------------------------------

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
# Start-of-frame markers (C4 is DHT, C8 reserved, CC DAC: not frames).
FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _is_whole_jpeg(file, size: int) -> bool:
    """SOI, marker segments of consistent lengths with a frame header before the first scan,
    then the image data up to EOI. Bytes after EOI are allowed: phones append motion-photo
    video or maker data there, and no viewer reads them as the image."""
    file.seek(0)
    if file.read(2) != b"\xff" + bytes([SOI]):
        return False
    if not _segments_up_to_first_scan(file, size):
        return False
    return _find(file, b"\xff" + bytes([EOI]))


def _segments_up_to_first_scan(file, size: int) -> bool:
    seen_frame = False
    while True:
        marker = _next_marker(file)
        if marker is None or marker in (SOI, EOI):
            return False
        raw_length = file.read(2)
        if len(raw_length) < 2:
            return False
        (length,) = struct.unpack(">H", raw_length)
        if length < 2 or file.tell() + length - 2 > size:
            return False
        file.seek(length - 2, 1)
        seen_frame = seen_frame or marker in FRAMES
        if marker == SOS:
            return seen_frame


def _next_marker(file) -> int | None:
    """The next marker's code: 0xFF, any fill bytes 0xFF, then the code."""
    if file.read(1) != b"\xff":
        return None
    code = file.read(1)
    while code == b"\xff":
        code = file.read(1)
    return code[0] if code else None


# --- reading in pieces ---------------------------------------------------------------------


def _read_at(file, offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def _pieces(file, length: int):
    """Yield the next `length` bytes in pieces (fewer if the file ends first)."""
    remaining = length
    while remaining and (piece := file.read(min(remaining, PIECE))):
        remaining -= len(piece)
        yield piece


def _find(file, pattern: bytes) -> bool:
    """Whether `pattern` occurs from the current position on (across piece boundaries)."""
    carried = b""
    while piece := file.read(PIECE):
        if pattern in carried + piece:
            return True
        carried = piece[-(len(pattern) - 1):]
    return False
