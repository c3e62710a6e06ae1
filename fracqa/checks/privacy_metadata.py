"""PRV, what the image files carry beside their pixels: metadata fields that identify a person,
a date, a place, a device or an institution, embedded images that are not the image itself,
and a summary of the release's metadata. Read from the header record (`metadata`, `embedded`,
see fracqa.load.image_metadata); a value found is shown masked, never as written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

from fracqa.catalogue import rule
from fracqa.identifiers import identifying, secrets_of
from fracqa.inputs import IMAGE_HEADERS
from fracqa.model import Hit
from fracqa.release import Release

SAME_PICTURE = 0.6  # least correlation of an embedded image with the image's own downscale
SHOWN = 40  # fields listed in the summary's message


class _Carrying(NamedTuple):
    image_id: str
    file: str
    header: dict


def _with_headers(release: Release) -> list[_Carrying]:
    """The images whose header record holds metadata or embedded images (none, in a release
    without metadata: the rules then cost one pass over the header column, shared)."""

    def compute() -> list[_Carrying]:
        images = release.images
        return [_Carrying(image_id, file, header) for image_id, file, header, outside in
                zip(images["image_id"], images["file"], images["header"], images["outside_root"],
                    strict=True)
                if isinstance(header, dict) and not outside
                and ("metadata" in header or "embedded" in header)]  # fmt: skip

    return release.derived("privacy: images with metadata", compute, uses=(IMAGE_HEADERS,))


@rule("PRV001", "identifying-metadata", "privacy", "error",
      "an image's metadata holds a name, a date, a place, a serial number, a UID or "
      "another identifier", needs=(IMAGE_HEADERS,))
def identifying_metadata(release: Release) -> Iterator[Hit]:
    """An image file carries, beside its pixels, a metadata field that can identify the patient
    or the place and time of the examination: a field that holds a person's name by definition
    (EXIF Artist, XPAuthor, CameraOwnerName, Copyright; XMP dc:creator, photoshop:AuthorsPosition;
    IPTC By-line, Writer, Contact), a date more precise than the year (EXIF DateTime and
    DateTimeOriginal, GPSDateStamp, XMP xmp:CreateDate, IPTC Date Created), a place (any EXIF
    GPS coordinate, XMP and IPTC City and Country), a device serial number or station name
    (BodySerialNumber, LensSerialNumber, HostComputer, aux:SerialNumber), an institution or a
    UID (ImageUniqueID, xmpMM:DocumentID); or any text field (JPEG comments, ImageDescription,
    UserComment, XPComment, the MakerNote, every XMP property, IPTC captions, the ICC profile's
    description and copyright, other application segments such as vendor segments that copy
    DICOM attributes, bytes after the end of the image) whose text holds a date, a telephone
    number, an e-mail address, a record-number-like run of digits, a DICOM UID, a labelled
    name (`Patient: ...`, `DOE^JOHN`), a home folder's user name or an institution's name.
    Each finding names the file, the container and the field, and shows the value masked: its
    kind, first character and length.

    Why: FracAtlas states that no identifiable information is attached to or embedded in its
    images, and converting DICOM to JPEG leaves the DICOM header behind but not what the
    converter copies into EXIF, XMP, comments or vendor segments. HIPAA's Safe Harbor method
    and DICOM PS3.15 Annex E remove exactly these names, dates, places, device serial numbers,
    institutions and UIDs; one of them makes the release unpublishable.
    Fix: strip the metadata from the published files (re-save the pixels without EXIF, XMP,
    IPTC, comments and application segments, e.g. `exiftool -all= FILE` or Pillow without
    `exif=`), then audit again; report the exposure as your data-protection rules require.
    """
    for image in _with_headers(release):
        for container, field, value in image.header.get("metadata") or ():
            found = identifying(field, value)
            if not found:
                continue
            kinds = sorted({kind for kind, _, _ in found})
            masked = [shown for _, _, shown in found]
            secrets = secrets_of(value, found)
            yield Hit(f"{image.file}: {container} {field} holds {', '.join(kinds)}: "
                      f"{', '.join(masked)}", image.image_id, image.file,
                      f"{container} {field}",
                      {"container": container, "field": field, "kinds": kinds,
                       "masked": masked}, secrets)  # fmt: skip


@rule("PRV002", "embedded-other-picture", "privacy", "error",
      "an image file embeds a thumbnail or frame that shows another picture",
      needs=(IMAGE_HEADERS,))
def embedded_other_picture(release: Release) -> Iterator[Hit]:
    """An image file embeds a second picture (the EXIF thumbnail in IFD1, a further frame of an
    MPO, or a JPEG appended after the image's end) that does not show the image itself: its
    grey levels, scaled to 32x32, correlate with those of the image by less than 0.6, or it
    cannot be decoded at all, so nobody can say what it shows.

    Why: viewers, file managers and web galleries show the thumbnail, not the pixels, and a
    converter or editor that changed the pixels (cropped a name away, say) may have left the
    original's thumbnail behind: a patient's name, another patient's radiograph or a
    photograph travel with the release unseen by every check of the pixels.
    Fix: re-save the image without its thumbnail and extra frames (strip EXIF IFD1 and
    everything after the end-of-image marker), and look at what the embedded picture showed.
    """
    for image in _with_headers(release):
        for entry in image.header.get("embedded") or ():
            similarity = entry.get("similarity")
            if "error" in entry:
                why = f"cannot be decoded ({entry['error']}), so what it shows is unknown"
            elif similarity is not None and similarity < SAME_PICTURE:
                why = (f"shows another picture (correlation {similarity:.2f} with the image, "
                       f"below {SAME_PICTURE})")  # fmt: skip
            else:
                continue
            yield Hit(f"{image.file}: the embedded {entry['kind']} {why}", image.image_id,
                      image.file, entry["kind"], _embedded_details(entry))  # fmt: skip


@rule("PRV003", "embedded-image", "privacy", "warning",
      "an image file embeds a thumbnail or further frame of itself", needs=(IMAGE_HEADERS,))
def embedded_image(release: Release) -> Iterator[Hit]:
    """An image file embeds a second, smaller copy of its picture: an EXIF thumbnail (IFD1), a
    further frame of an MPO, or a JPEG appended after the image's end, that correlates with the
    image (0.6 or more at 32x32).

    Why: the copy is a second image no pixel check of the release reads and no loader shows: it
    keeps what was burned into the picture when it was made, even where the image itself was
    cleaned afterwards, and it doubles what must be reviewed. A DICOM-to-JPEG conversion does
    not need it.
    Fix: re-save the image without its thumbnail and extra frames.
    """
    for image in _with_headers(release):
        for entry in image.header.get("embedded") or ():
            similarity = entry.get("similarity")
            if "error" in entry or similarity is None or similarity < SAME_PICTURE:
                continue
            yield Hit(f"{image.file}: embeds a {entry.get('width')}x{entry.get('height')} "
                      f"{entry['kind']} of itself (correlation {similarity:.2f})",
                      image.image_id, image.file, entry["kind"],
                      _embedded_details(entry))  # fmt: skip


def _embedded_details(entry: dict) -> dict:
    return {key: entry.get(key) for key in ("kind", "width", "height", "bytes", "similarity",
                                            "error") if key in entry}  # fmt: skip


@rule("PRV004", "metadata-summary", "privacy", "info",
      "the metadata fields the release's images carry, with how many images carry each",
      needs=(IMAGE_HEADERS,))
def metadata_summary(release: Release) -> Iterator[Hit]:
    """One finding for the whole release when any image carries metadata beyond its pixels:
    which fields occur (container and field: `EXIF IFD0 Orientation`, `XMP dc:creator`,
    `COM comment`, `APP11 segment`, `EXIF thumbnail`) and in how many images, most common first.
    Values are not shown; PRV001 reports those that identify.

    Why: a maintainer who signs a release off should see at a glance what travels with the
    pixels; a field that only a few images carry often marks the images of another source or
    another conversion.
    Fix: nothing to fix by itself; strip what the release does not need to carry.
    """
    counts: Counter = Counter()
    carrying = 0
    for image in _with_headers(release):
        names = {f"{container} {field}" for container, field, _ in
                 image.header.get("metadata") or ()}  # fmt: skip
        names |= {entry["kind"] for entry in image.header.get("embedded") or ()}
        if names:
            carrying += 1
            counts.update(names)
    if not counts:
        return
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{name} ({count})" for name, count in ordered[:SHOWN])
    more = f" and {len(ordered) - SHOWN} more" if len(ordered) > SHOWN else ""
    yield Hit(f"{carrying} image(s) carry metadata beside their pixels: {shown}{more}",
              details={"images": carrying, "fields": dict(ordered)})
