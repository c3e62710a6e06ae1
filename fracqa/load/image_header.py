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
  it (data appended to the file).
"""

from __future__ import annotations

from typing import Any

from PIL import ExifTags, Image

TEXT_LIMIT = 200  # characters of a text value kept; longer values are cut, with their length
_SUBSAMPLING = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0", 3: "4:1:1"}
_LARGE_INFO = ("exif", "icc_profile", "photoshop", "xmp", "adobe_transform", "mp", "mpoffset")


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
    if image.info.get("icc_profile"):
        record["icc_bytes"] = len(image.info["icc_profile"])
    if image.format == "JPEG":
        record.update(_jpeg(image, data))
    record["frames"] = int(getattr(image, "n_frames", 1) or 1)
    for name in ("bits", "layers"):
        value = getattr(image, name, None)
        if isinstance(value, int):
            record[name] = value
    return record


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
