"""The header record of an image file: everything Pillow exposes about it without decoding its
pixels, in plain values small enough to keep for every image of a release.

Keys (absent where the format has no such thing):
- `info`: Pillow's `info` entries (JFIF version, dpi, Adobe transform, ...), the large binary
  ones (exif, icc_profile, ...) as their length;
- `exif`: EXIF tags by name, from the main IFD, the Exif IFD and the GPS IFD (GPS tags as
  `GPS.<name>`); `exif_thumbnail`: the length of the embedded thumbnail (IFD1);
- `markers`: the JPEG APPn and COM segments in file order, as [name, length];
- `comment`: the COM text; `icc_bytes`: the ICC profile's length;
- `progressive`, `subsampling` ("4:4:4", "4:2:2", "4:2:0", "4:1:1"), `quantization` (the
  mean of each quantisation table: a proxy for the encoder's quality setting), `bits`,
  `layers` (colour components);
- `frames`: how many frames the file holds (an MPO or a multi-page TIFF holds several);
- `end_marker`: whether a JPEG's end-of-image marker is present; `trailing_bytes`: bytes after
  it (data appended to the file);
- `orientation`: the EXIF Orientation tag of the main directory (IFD0), as written (absent
  when there is none); `xmp_orientation`: the `tiff:Orientation` of the XMP packet (Pillow's
  `getexif()` falls back on it, so `exif.Orientation` may come from there);
- `coding` (a JPEG's process, from its start-of-frame marker: "sequential", "progressive",
  "lossless" or "hierarchical", with ", arithmetic" for arithmetic coding), `precision` (its
  bits per sample) and `components`; `colour_encoding`: how a JPEG's components are coded
  ("grey", "YCbCr", "RGB" (no colour transform), "CMYK", "YCCK");
- `bit_depth`: bits per sample of any format (a JPEG's precision, a PNG's IHDR depth);
  `bands`: the bands of the mode Pillow opens it in;
- `icc`: the embedded ICC profile's colour space, description and whether it is sRGB (or the
  grey equivalent), which untagged images are taken to be;
- `metadata` and `embedded` (only when the file has any): every metadata field of every
  container as [container, field, text], and every embedded image (EXIF thumbnail, frames after
  the image's end) with its likeness to the image (see `image_metadata`).
"""

from __future__ import annotations

import re
import struct
from typing import Any

from PIL import ExifTags, Image

from fracqa.load.image_metadata import metadata_record

TEXT_LIMIT = 200  # characters of a text value kept; longer values are cut, with their length
_SUBSAMPLING = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0", 3: "4:1:1"}
_LARGE_INFO = ("exif", "icc_profile", "photoshop", "xmp", "adobe_transform", "mp", "mpoffset")
_XMP_ORIENTATION = re.compile(rb"tiff:Orientation(?:=[\"']|>)\s*([0-9]+)")
# start-of-frame markers: the coding process of each (0xC4, 0xC8 and 0xCC are not frames)
_PROCESS = {0: "sequential", 1: "sequential", 2: "progressive", 3: "lossless",
            5: "hierarchical", 6: "hierarchical", 7: "hierarchical"}  # fmt: skip
_MODE_BITS = {"1": 1, "I": 32, "F": 32, "I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16}


def header_record(image: Image.Image, data: bytes) -> dict[str, Any]:
    """The header record of `image`, opened (not decoded) from the file's bytes `data`."""
    record: dict[str, Any] = {"info": _info(image.info)}
    record.update(_exif(image))
    applist = getattr(image, "applist", None)
    if applist is not None:
        record["markers"] = [[name, len(payload)] for name, payload in applist]
    comment = image.info.get("comment")
    if comment:
        record["comment"] = plain(comment)
    icc = image.info.get("icc_profile")
    if icc:
        record["icc_bytes"] = len(icc)
        record["icc"] = icc_summary(icc)
    record.update(_orientation(image, record.get("exif")))
    if image.format in ("JPEG", "MPO"):
        record.update(_jpeg(image, data))
    record["frames"] = int(getattr(image, "n_frames", 1) or 1)
    for name in ("bits", "layers"):
        value = getattr(image, name, None)
        if isinstance(value, int):
            record[name] = value
    record["bands"] = len(image.getbands())
    record["bit_depth"] = _bit_depth(image, data, record)
    try:
        record.update(metadata_record(image, data))
    except Exception:  # noqa: BLE001 - metadata this broken is read as none; the pixels still are
        record["metadata"] = [["file", "metadata", "<unreadable>"]]
    return record


def _orientation(image: Image.Image, exif: dict | None) -> dict[str, int]:
    """The EXIF Orientation of the main directory and the XMP one, each where written."""
    found: dict[str, int] = {}
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    if isinstance(xmp, bytes):
        match = _XMP_ORIENTATION.search(xmp)
        if match:
            found["xmp_orientation"] = int(match[1][:4])
    value = (exif or {}).get("Orientation")
    if xmp and value is not None:  # getexif() may have taken it from the XMP packet
        value = _exif_orientation(image)
    if isinstance(value, int) and not isinstance(value, bool):
        found["orientation"] = value
    return found


def _exif_orientation(image: Image.Image) -> Any:
    raw = image.info.get("exif")
    if not isinstance(raw, bytes):
        return None
    try:
        exif = Image.Exif()
        exif.load(raw)
        return exif.get(ExifTags.Base.Orientation)
    except Exception:  # noqa: BLE001
        return None


def _bit_depth(image: Image.Image, data: bytes, record: dict) -> int:
    if "precision" in record:
        return int(record["precision"])
    if image.format == "PNG" and data[12:16] == b"IHDR" and len(data) > 24:
        return int(data[24])
    if image.format == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258)
        if isinstance(bits, tuple | list) and bits:
            bits = bits[0]
        if isinstance(bits, int):
            return bits
    return _MODE_BITS.get(image.mode, 8)


def jpeg_frame(data: bytes) -> dict[str, Any]:
    """What a JPEG's start-of-frame segment says (coding process, precision, size, components),
    read from the bytes without Pillow (which refuses a 12-bit or lossless file outright)."""
    try:
        return _frame(data)
    except (struct.error, IndexError):
        return {}


def _frame(data: bytes) -> dict[str, Any]:
    at, end = 2, len(data)
    for _ in range(512):  # segments before the frame: a real file has a few dozen at most
        while at < end and data[at] != 0xFF:
            at += 1
        while at < end and data[at] == 0xFF:
            at += 1
        if at + 3 > end:
            return {}
        marker = data[at]
        at += 1
        if marker in (0x01, *range(0xD0, 0xD9)):
            continue
        if marker in (0xD9, 0xDA):
            return {}
        length = struct.unpack(">H", data[at:at + 2])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            segment = data[at + 2:at + length]
            if len(segment) < 6:
                return {}
            precision, height, width, components = struct.unpack(">BHHB", segment[:6])
            process = _PROCESS.get((marker - 0xC0) & 7, "sequential")
            return {"coding": process + (", arithmetic" if marker >= 0xC9 else ""),
                    "precision": precision, "components": components,
                    "frame_size": [width, height],
                    "component_ids": list(segment[6:6 + 3 * components:3])}  # fmt: skip
        at += length
    return {}


def _info(info: dict) -> dict[str, Any]:
    return {str(key): (len(value) if key in _LARGE_INFO and isinstance(value, bytes | str)
                       else plain(value))
            for key, value in info.items() if key != "comment"}  # fmt: skip


def _exif(image: Image.Image) -> dict[str, Any]:
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block is reported as such, not raised
        return {"exif_error": "the EXIF block cannot be read"}
    if not exif:
        return {}
    tags = {ExifTags.TAGS.get(tag, f"0x{tag:04x}"): plain(value) for tag, value in exif.items()
            if tag not in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)}  # fmt: skip
    found: dict[str, Any] = {"exif": tags}
    try:
        tags.update({ExifTags.TAGS.get(tag, f"0x{tag:04x}"): plain(value)
                     for tag, value in exif.get_ifd(ExifTags.IFD.Exif).items()})  # fmt: skip
        tags.update({f"GPS.{ExifTags.GPSTAGS.get(tag, tag)}": plain(value)
                     for tag, value in exif.get_ifd(ExifTags.IFD.GPSInfo).items()})  # fmt: skip
        thumbnail = exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # noqa: BLE001
        found["exif_error"] = "an EXIF sub-directory cannot be read"
        return found
    if thumbnail:
        found["exif_thumbnail"] = int(thumbnail.get(ExifTags.Base.JpegIFByteCount, 0) or 0)
    return found


def _jpeg(image: Image.Image, data: bytes) -> dict[str, Any]:
    from PIL import JpegImagePlugin

    found: dict[str, Any] = {
        "progressive": bool(image.info.get("progressive") or image.info.get("progression")),
    }
    frame = jpeg_frame(data)
    ids = frame.pop("component_ids", [])
    frame.pop("frame_size", None)
    found.update(frame)
    found["colour_encoding"] = _colour_encoding(image.info, frame.get("components"), ids)
    try:
        sampling = JpegImagePlugin.get_sampling(image)
    except Exception:  # noqa: BLE001
        sampling = -1
    if sampling in _SUBSAMPLING:
        found["subsampling"] = _SUBSAMPLING[sampling]
    tables = getattr(image, "quantization", None) or {}
    found["quantization"] = [round(sum(table) / len(table), 2)
                             for _, table in sorted(tables.items()) if len(table)]  # fmt: skip
    end = data.rfind(b"\xff\xd9")
    found["end_marker"] = end >= 0
    found["trailing_bytes"] = len(data) - (end + 2) if end >= 0 else 0
    return found


def _colour_encoding(info: dict, components: int | None, ids: list[int]) -> str | None:
    """How the components are coded, as libjpeg decides it: the Adobe marker's transform
    first, then JFIF (always YCbCr), then component ids 'R', 'G', 'B'."""
    transform = info.get("adobe_transform") if "adobe" in info else None
    if components == 1:
        return "grey"
    if components == 3:
        if transform is not None:
            return "YCbCr" if transform else "RGB"
        if "jfif" in info:
            return "YCbCr"
        return "RGB" if ids == [82, 71, 66] else "YCbCr"
    if components == 4:
        return "YCCK" if transform == 2 else "CMYK"
    return None


def icc_summary(profile: bytes) -> dict[str, Any]:
    """An ICC profile's colour space ('RGB', 'GRAY', 'CMYK', ...), its description, and
    whether it is sRGB or the grey equivalent (what an untagged image is taken to be)."""
    space = profile[16:20].decode("latin-1").strip() if len(profile) >= 20 else ""
    description = _icc_description(profile)
    name = description.lower()
    standard = "srgb" in name or "sgray" in name or (space == "GRAY" and "gamma 2.2" in name)
    return {"space": space, "description": plain(description), "srgb": standard}


def _icc_description(profile: bytes) -> str:
    try:
        (count,) = struct.unpack(">I", profile[128:132])
        for index in range(min(count, 64)):
            signature, offset, size = struct.unpack(
                ">4sII", profile[132 + 12 * index:144 + 12 * index])
            if signature != b"desc":
                continue
            tag = profile[offset:offset + size]
            if tag[:4] == b"desc":
                (length,) = struct.unpack(">I", tag[8:12])
                return tag[12:12 + length].split(b"\0")[0].decode("latin-1").strip()
            if tag[:4] == b"mluc":
                length, start = struct.unpack(">II", tag[20:28])
                return tag[start:start + length].decode("utf-16-be", "replace").strip("\0 ")
    except (struct.error, UnicodeDecodeError):
        pass
    return ""


def plain(value: Any) -> Any:
    """A header value as a small plain value: numbers and short text as they are, bytes as text
    when they are text (else their length), ratios as floats, tuples as lists."""
    if isinstance(value, bytes):
        text = value.rstrip(b"\x00")
        try:
            value = text.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(value)} bytes>"
    if isinstance(value, str):
        return value if len(value) <= TEXT_LIMIT else f"{value[:TEXT_LIMIT]}… ({len(value)} chars)"
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value[:16]]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in list(value.items())[:32]}
    try:
        return float(value)  # IFDRational and other number-like values
    except (TypeError, ValueError):
        return plain(str(value))
