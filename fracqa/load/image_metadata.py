"""Everything an image file carries beside its pixels, for the privacy rules: each metadata
field as (container, field, text), and each embedded image that is not the image itself.

Containers read (JPEG; the EXIF, XMP and ICC ones of other formats too, as Pillow reads them):
- `COM`: every comment segment;
- `EXIF IFD0`, `EXIF Exif`, `EXIF GPS`, `EXIF Interop`, `EXIF IFD1` (the thumbnail's
  directory): every tag, text as text (UserComment without its charset prefix, the Windows XP*
  tags from UTF-16), numbers as written; the MakerNote as the printable runs it holds;
- `XMP`: every property of the packet with text, by its prefixed name (dc:creator, ...);
- `IPTC`: the IPTC-NAA records of the Photoshop APP13 segment, by dataset name;
- `ICC`: the profile's text tags (description, copyright, device descriptions);
- `APPn`: any other application segment (APP0 other than JFIF/JFXX, APP3-APP12, APP15, ...) as
  the printable runs it holds (vendor segments that copy DICOM attributes, say);
- `after end of image`: bytes after the image's end-of-image marker, as printable runs.

Embedded images: the EXIF thumbnail (IFD1) and every JPEG stream after the main image's end
(MPF frames of an MPO, or appended files), each decoded and compared with a downscale of the
image itself (Pearson correlation of 32x32 grey versions). The main image is decoded (draft
mode) only when the file has an embedded image.

Values are cut at TEXT_LIMIT characters; only what is present is recorded, so that a release
without metadata costs a walk over its few segments.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Any

from PIL import ExifTags, Image

TEXT_LIMIT = 200
RUN = re.compile(rb"[\x20-\x7e]{4,}")  # printable ASCII runs in binary payloads
_KNOWN_APP = {("APP0", b"JFIF"), ("APP0", b"JFXX"), ("APP1", b"Exif"), ("APP1", b"http"),
              ("APP2", b"ICC_PROFILE"), ("APP2", b"MPF"), ("APP13", b"Photoshop"),
              ("APP14", b"Adobe")}  # fmt: skip
_XP_TAGS = {0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F}  # XPTitle, XPComment, XPAuthor, ...
_IPTC = {5: "Object Name", 7: "Edit Status", 15: "Category", 20: "Supplemental Category",
         25: "Keywords", 30: "Release Date", 37: "Expiration Date", 40: "Special Instructions",
         55: "Date Created", 60: "Time Created", 62: "Digital Creation Date",
         65: "Originating Program", 80: "By-line", 85: "By-line Title", 90: "City",
         92: "Sub-location", 95: "Province-State", 100: "Country Code", 101: "Country",
         103: "Original Transmission Reference", 105: "Headline", 110: "Credit", 115: "Source",
         116: "Copyright Notice", 118: "Contact", 120: "Caption-Abstract",
         122: "Writer"}  # fmt: skip
_XMP_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc", "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop", "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif", "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM", "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://cipa.jp/exif/1.0/": "exifEX", "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
}  # fmt: skip
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_STRUCTURE = {"RDF", "Description", "Seq", "Bag", "Alt", "li", "xmpmeta", "xapmeta"}
SIDE = 32  # embedded images are compared at SIDE x SIDE grey levels


def metadata_record(image: Image.Image, data: bytes) -> dict[str, Any]:
    """`metadata` (a list of [container, field, text]) and `embedded` (a list of dicts: kind,
    width, height, bytes, similarity or error), each only when the file has any."""
    fields: list[list[str]] = []
    applist = getattr(image, "applist", None) or []
    for name, payload in applist:
        if name == "COM":
            fields.append(["COM", "comment", _text(payload)])
        elif not any(name == known and payload.startswith(magic) for known, magic in _KNOWN_APP):
            runs = _runs(payload)
            fields.append([name, "segment", runs or f"<{len(payload)} bytes>"])
    if not applist and image.info.get("comment"):
        fields.append(["COM", "comment", _text(image.info["comment"])])
    thumbnail = _exif_fields(image.info.get("exif"), fields)
    _xmp_fields(image.info.get("xmp") or image.info.get("XML:com.adobe.xmp"), fields)
    _iptc_fields(image, fields)
    icc = image.info.get("icc_profile")
    if isinstance(icc, bytes):
        fields += [["ICC", tag, text] for tag, text in icc_texts(icc)]
    end = main_image_end(data) if image.format in ("JPEG", "MPO") else None
    tail = data[end:] if end is not None else b""
    embedded = []
    if thumbnail:
        embedded.append({"kind": "EXIF thumbnail (IFD1)", "data": thumbnail})
    for at, stream in enumerate(_jpeg_streams(tail), start=1):
        embedded.append({"kind": f"image {at + 1} (after the image's end)", "data": stream})
    rest = _outside(tail, [e["data"] for e in embedded if "after" in e["kind"]])
    if rest.strip(b"\x00\xff \r\n\t"):
        fields.append(["after end of image", "bytes", _runs(rest) or f"<{len(rest)} bytes>"])
    record: dict[str, Any] = {}
    if fields:
        record["metadata"] = [[c, f, _cut(v)] for c, f, v in fields if v != ""]
    if embedded:
        record["embedded"] = _compared(embedded, data)
    return record


def _cut(value: str) -> str:
    return value if len(value) <= TEXT_LIMIT else value[:TEXT_LIMIT]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00")
        try:
            return value.decode("utf-8").strip()
        except UnicodeDecodeError:
            return _runs(value) or f"<{len(value)} bytes>"
    return str(value).strip()


def _runs(payload: bytes) -> str:
    return " ".join(run.decode("ascii") for run in RUN.findall(payload[:65536]))


def _value(tag: int, value: Any) -> str:
    if tag in _XP_TAGS and isinstance(value, bytes | tuple | list):
        raw = bytes(value) if not isinstance(value, bytes) else value
        return raw.decode("utf-16-le", "replace").rstrip("\x00").strip()
    if tag == 0x9286 and isinstance(value, bytes):  # UserComment: 8 bytes of charset first
        body = value[8:] if value[:8] in (b"ASCII\0\0\0", b"UNICODE\0", b"JIS\0\0\0\0\0",
                                          b"\0" * 8) else value  # fmt: skip
        if value[:8] == b"UNICODE\0":
            return body.decode("utf-16-be" if body[:1] == b"\0" else "utf-16-le",
                               "replace").rstrip("\x00").strip()  # fmt: skip
        return _text(body)
    if tag == 0x927C and isinstance(value, bytes):  # MakerNote: vendor binary
        return _runs(value)
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, tuple | list):
        return " ".join(_value(0, v) for v in value[:16])
    return str(value).strip()


def _exif_fields(raw: Any, fields: list[list[str]]) -> bytes | None:
    """Add every EXIF tag; return the IFD1 thumbnail's bytes, if any."""
    if not isinstance(raw, bytes) or not raw:
        return None
    try:
        exif = Image.Exif()
        exif.load(raw)
    except Exception:  # noqa: BLE001 - an unreadable EXIF block is an image rule's finding
        return None
    subs = {ExifTags.IFD.Exif: "EXIF Exif", ExifTags.IFD.GPSInfo: "EXIF GPS",
            ExifTags.IFD.Interop: "EXIF Interop"}  # fmt: skip
    directories = [("EXIF IFD0", dict(exif.items()), ExifTags.TAGS)]
    for tag, name in subs.items():
        try:
            found = exif.get_ifd(tag)
        except Exception:  # noqa: BLE001
            found = {}
        if found:
            directories.append((name, found, ExifTags.GPSTAGS if tag == ExifTags.IFD.GPSInfo
                                else ExifTags.TAGS))  # fmt: skip
    try:
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # noqa: BLE001
        ifd1 = {}
    if ifd1:
        directories.append(("EXIF IFD1", ifd1, ExifTags.TAGS))
    for container, tags, names in directories:
        for tag, value in tags.items():
            if container == "EXIF IFD0" and tag in subs:
                continue
            text = _value(tag, value)
            fields.append([container, names.get(tag, f"0x{tag:04x}"), text])
    offset, length = ifd1.get(0x0201), ifd1.get(0x0202)
    tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if isinstance(offset, int) and isinstance(length, int) and length > 0:
        return tiff[offset:offset + length] or None
    return None


def _xmp_fields(packet: Any, fields: list[list[str]]) -> None:
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    if not isinstance(packet, bytes) or not packet.strip():
        return
    import defusedxml.ElementTree as SafeTree

    start, end = packet.find(b"<x:xmpmeta"), packet.rfind(b"</x:xmpmeta>")
    body = packet[start:end + len(b"</x:xmpmeta>")] if 0 <= start < end else packet
    try:
        root = SafeTree.fromstring(body.strip(b"\x00 \r\n\t"))
    except Exception:  # noqa: BLE001 - not XML: keep what reads as text
        fields.append(["XMP", "packet", _runs(packet)])
        return
    seen: set[tuple[str, str]] = set()
    for element, parent in _walk(root, None):
        for key, value in element.attrib.items():
            name = _qualified(key)
            if name and value.strip() and not key.startswith(("{" + _RDF, "xmlns")):
                _add_xmp(fields, seen, name, value)
        local = _qualified(element.tag)
        text = (element.text or "").strip()
        if text and len(element) == 0:
            name = local if local and local.split(":")[-1] not in _STRUCTURE else parent
            if name:
                _add_xmp(fields, seen, name, text)


def _add_xmp(fields: list[list[str]], seen: set, name: str, value: str) -> None:
    if (name, value) not in seen:
        seen.add((name, value))
        fields.append(["XMP", name, value.strip()])


def _walk(element, parent: str | None):
    yield element, parent
    local = _qualified(element.tag)
    named = local if local and local.split(":")[-1] not in _STRUCTURE else parent
    for child in element:
        yield from _walk(child, named)


def _qualified(tag: str) -> str | None:
    """`dc:creator` for `{http://purl.org/dc/elements/1.1/}creator`."""
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        if uri == _RDF:
            return local if local in _STRUCTURE else None
        prefix = _XMP_PREFIXES.get(uri, uri.rstrip("/#").rsplit("/", 1)[-1] or "ns")
        return f"{prefix}:{local}"
    return tag


def _iptc_fields(image: Image.Image, fields: list[list[str]]) -> None:
    if "photoshop" not in image.info:
        return
    try:
        from PIL import IptcImagePlugin

        records = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # noqa: BLE001
        return
    for (record, dataset), value in sorted(records.items()):
        if record == 1 or (record, dataset) == (2, 0):
            continue  # the envelope and the record version
        values = value if isinstance(value, list) else [value]
        name = _IPTC.get(dataset, f"{record}:{dataset}") if record == 2 else f"{record}:{dataset}"
        fields.append(["IPTC", name, "; ".join(_text(v) for v in values)])


def icc_texts(profile: bytes) -> list[tuple[str, str]]:
    """The text tags of an ICC profile, as (signature, text)."""
    found = []
    try:
        (count,) = struct.unpack(">I", profile[128:132])
        for index in range(min(count, 64)):
            signature, offset, size = struct.unpack(
                ">4sII", profile[132 + 12 * index:144 + 12 * index])
            tag = profile[offset:offset + size]
            text = _icc_text(tag)
            if text:
                found.append((signature.decode("latin-1").strip(), text))
    except (struct.error, UnicodeDecodeError):
        pass
    return found


def _icc_text(tag: bytes) -> str:
    kind = tag[:4]
    if kind == b"desc" and len(tag) >= 12:
        (length,) = struct.unpack(">I", tag[8:12])
        return tag[12:12 + length].split(b"\0")[0].decode("latin-1").strip()
    if kind == b"text":
        return tag[8:].split(b"\0")[0].decode("latin-1").strip()
    if kind == b"mluc" and len(tag) >= 28:
        length, start = struct.unpack(">II", tag[20:28])
        return tag[start:start + length].decode("utf-16-be", "replace").strip("\0 ")
    return ""


def main_image_end(data: bytes) -> int | None:
    """Where a JPEG's main image ends (after its end-of-image marker), found by walking its
    segments to the scan and then to the first end-of-image marker (which entropy-coded data
    cannot hold): a thumbnail inside APP1 does not end it. None when it cannot be found."""
    at, end = 2, len(data)
    try:
        for _ in range(1024):
            while at < end and data[at] != 0xFF:
                at += 1
            while at < end and data[at] == 0xFF:
                at += 1
            if at >= end:
                return None
            marker = data[at]
            at += 1
            if marker in (0x01, *range(0xD0, 0xD8)):
                continue
            if marker == 0xD9:
                return at
            length = struct.unpack(">H", data[at:at + 2])[0]
            if marker == 0xDA:
                found = _end_of_image(data, at + length)
                return found + 2 if found >= 0 else None
            at += length
    except struct.error:
        return None
    return None


def _end_of_image(data: bytes, start: int) -> int:
    """Where the first end-of-image marker (FF D9) at or after `start` begins, or -1. Looked
    for by its second byte, which is rare in entropy-coded data (every FF there is followed by
    00 or a restart marker), with memchr: bytes.find of the two bytes is several times slower on
    a JPEG's scan, whose FF bytes are many."""
    at = start + 1
    while True:
        at = data.find(b"\xd9", at)
        if at < 0:
            return -1
        if data[at - 1] == 0xFF:
            return at - 1
        at += 1


def _jpeg_streams(tail: bytes) -> list[bytes]:
    """The JPEG streams in the bytes after the main image (at most 8)."""
    streams, at = [], tail.find(b"\xff\xd8\xff")
    while at >= 0 and len(streams) < 8:
        end = main_image_end(tail[at:])
        stream = tail[at:at + end] if end else tail[at:]
        streams.append(stream)
        at = tail.find(b"\xff\xd8\xff", at + len(stream))
    return streams


def _outside(tail: bytes, streams: list[bytes]) -> bytes:
    for stream in streams:
        tail = tail.replace(stream, b"", 1)
    return tail


def _compared(embedded: list[dict], data: bytes) -> list[dict]:
    """Each embedded image's size and its likeness to the image itself."""
    main = _small(data, draft=True)
    found = []
    for entry in embedded:
        stream = entry.pop("data")
        entry["bytes"] = len(stream)
        try:
            with Image.open(io.BytesIO(stream)) as picture:
                entry["width"], entry["height"] = picture.size
            small = _small(stream)
        except Exception as error:  # noqa: BLE001
            entry["error"] = f"cannot be decoded ({type(error).__name__})"
            found.append(entry)
            continue
        entry["similarity"] = None if main is None else _correlation(main, small)
        found.append(entry)
    return found


def _small(data: bytes, draft: bool = False):
    import numpy as np

    try:
        with Image.open(io.BytesIO(data)) as picture:
            if draft and picture.format in ("JPEG", "MPO"):
                picture.draft("L", (SIDE * 4, SIDE * 4))
            grey = picture.convert("L").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
            return np.asarray(grey, dtype=np.float64).ravel()
    except Exception:  # noqa: BLE001
        if draft:
            return None
        raise


def _correlation(a, b) -> float:
    import numpy as np

    a, b = a - a.mean(), b - b.mean()
    scale = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if scale == 0.0:
        return 1.0 if not a.any() and not b.any() else 0.0
    return round(float((a * b).sum()) / scale, 3)
