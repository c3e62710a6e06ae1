"""PRV, text burned into the pixels (with `--ocr` only: read by Tesseract after a cheap
pre-filter, see fracqa.load.burned_text). Side markers, view names, scale figures and logos
are what radiographs normally show and are never findings; text read is shown masked."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.identifiers import NORMAL_WORDS, identifying, mask, secrets_of
from fracqa.inputs import IMAGE_TEXT
from fracqa.model import Hit
from fracqa.release import Release

_WORD = re.compile(r"[A-Za-z0-9]+")


def _regions(release: Release):
    """The images with text read, or whose reading failed (an image not read at all, such as
    one that does not decode, has neither: IMG007 and the other image rules report it)."""
    images = release.images
    for image in images.itertuples(index=False):
        if not image.outside_root and (_read(image.text_regions) or _failure(image.ocr_error)):
            yield image


def _read(regions) -> list:
    return regions if isinstance(regions, list) else []


def _failure(error) -> str | None:
    return error if isinstance(error, str) and error else None


def ordinary(text: str) -> bool:
    """True for text a radiograph normally shows: side markers, view names, units, numbers of
    scales and counts, and short fragments (what OCR makes of marks, logos and scale labels
    such as `5 cm` beside the bar's last tick): free text has a word of four letters or more
    (not a marker or view name) in a line of six letters and digits or more."""
    words = [w for w in _WORD.findall(text) if w.lower() not in NORMAL_WORDS]
    return sum(map(len, words)) < 6 or not any(len(w) >= 4 and not w.isdigit() for w in words)


@rule("PRV020", "identifier-burned-in", "privacy", "warning",
      "text burned into an image holds a name, a date or another identifier",
      needs=(IMAGE_TEXT,))
def identifier_burned_in(release: Release) -> Iterator[Hit]:
    """With `--ocr`: text read in an image's pixels holds an identifier (a date more precise
    than the year, a labelled name such as `Name: ...` or `DOE^JOHN`, a telephone number, an
    e-mail address, a run of six or more digits, a DICOM UID or an institution's name), or the
    text of an image could not be read at all. The finding gives the region (in the image's
    pixels, outlined and blacked out on the HTML report's thumbnail) and the text masked.

    Why: the paper says every image was examined for identifiable information, yet modalities
    and PACS viewers burn the patient's name, birth date and ID into the pixels of secondary
    captures and screenshots, where no metadata stripping reaches them. OCR misreads, so this
    is a warning to look at the image, not a verdict.
    Fix: look at the region; black it out (or drop the image) in the published file, then
    audit again.
    """
    for image in _regions(release):
        if _failure(image.ocr_error):
            yield Hit(f"{image.file}: its text could not be read ({image.ocr_error})",
                      image.image_id, image.file, details={"error": image.ocr_error})
        for region in _read(image.text_regions):
            found = identifying(None, region["text"])
            if not found:
                continue
            kinds = sorted({kind for kind, _, _ in found})
            masked = [shown for _, _, shown in found]
            box = region["box"]
            yield Hit(f"{image.file}: text burned in at {box[0]},{box[1]}-{box[2]},{box[3]} "
                      f"holds {', '.join(kinds)}: {', '.join(masked)}", image.image_id,
                      image.file, f"region {box[0]},{box[1]}-{box[2]},{box[3]}",
                      {"kinds": kinds, "masked": masked,
                       "regions": [{"box": box, "masked": mask(region["text"], "text")}]},
                      secrets_of(region["text"], found))  # fmt: skip


@rule("PRV021", "burned-in-text", "privacy", "info",
      "an image shows burned-in text (listed masked)", needs=(IMAGE_TEXT,))
def burned_in_text(release: Release) -> Iterator[Hit]:
    """With `--ocr`: the text read in an image's pixels that holds no identifier PRV020 knows
    and is more than what radiographs normally show: one finding per image listing each line
    (its region, outlined on the HTML report's thumbnail, and its text masked). Side markers (L,
    R), view names (AP, PA, LAT, OBL), units and numbers of scale bars, and short fragments
    (what OCR makes of marks, logos and a scale's label beside its ticks) are left out: a line
    is listed when, markers and views aside, it holds six letters and digits or more, among
    them a word of four letters or more.

    Why: free text burned into a radiograph (a department, a technologist's initials, a
    comment) is worth one look before publishing, even when no pattern calls it a name.
    Fix: look at the regions; black out what identifies anyone.
    """
    for image in _regions(release):
        lines = [r for r in _read(image.text_regions)
                 if not identifying(None, r["text"]) and not ordinary(r["text"])]  # fmt: skip
        if not lines:
            continue
        regions = [{"box": r["box"], "masked": mask(r["text"], "text")} for r in lines]
        shown = "; ".join(f"{r['masked']} at {r['box'][0]},{r['box'][1]}" for r in regions)
        yield Hit(f"{image.file}: burned-in text in {len(lines)} region(s): {shown}",
                  image.image_id, image.file, f"{len(lines)} region(s)", {"regions": regions},
                  tuple((r["text"], r_masked) for r, r_masked in
                        zip(lines, (x["masked"] for x in regions), strict=True)
                        if len(r["text"]) >= 2))  # fmt: skip
