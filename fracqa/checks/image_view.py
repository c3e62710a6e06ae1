"""IMG, what loaders see: an image whose metadata or encoding makes common loaders (Pillow with
and without ImageOps.exif_transpose, OpenCV, the trainers, web browsers and the annotation
tools that run in them) see other pixels than the ones its annotations were drawn on, or
another number of frames, bands, bits or another colour encoding than the rest of the
release."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import (
    ORIENTATIONS,
    SWAPPING,
    label,
    orientations,
    stated_sizes,
)
from fracqa.inputs import COCO, IMAGE_HEADERS, VOC
from fracqa.model import Hit
from fracqa.release import Release

RARE_SHARE = 0.01  # a value this share of the release (or RARE_COUNT images) at most is rare
RARE_COUNT = 3
RARE_RATIO = 10  # ... and held by at most a tenth as many images as the most common value

APPLIED_BY = {
    "EXIF": ("OpenCV's imread, web browsers (and so browser-based annotation tools), Ultralytics "
             "and ImageOps.exif_transpose apply it; Pillow's Image.open, torchvision's "
             "read_image and TensorFlow's decode_jpeg do not"),
    "XMP": ("It is written only in the XMP packet: Pillow's ImageOps.exif_transpose applies it, "
            "while Image.open, OpenCV's imread and web browsers (which read EXIF only) do not"),
}  # fmt: skip


def _published(release: Release) -> pd.DataFrame:
    """The images the release publishes (a .jpg in a class folder, inside the release) whose
    header was read, each id once."""
    images = release.images
    keep = (images["folder"].isin(["fractured", "non_fractured"])
            & images["image_id"].str.endswith(".jpg") & ~images["outside_root"]
            & images["header"].map(lambda h: isinstance(h, dict)))  # fmt: skip
    return images[keep].drop_duplicates("image_id")


def _file_of(release: Release, image_id: str) -> str | None:
    images = release.images
    found = images.loc[images["image_id"] == image_id, "file"]
    return found.iloc[0] if len(found) else None


def _wh(size) -> str:
    return f"{size[0]:g}x{size[1]:g}"


@rule("IMG020", "exif-orientation", "images", "error",
      "an image's orientation tag makes loaders show it rotated or mirrored",
      needs=(IMAGE_HEADERS, COCO, VOC))  # fmt: skip
def exif_orientation(release: Release) -> Iterator[Hit]:
    """An image carries an EXIF Orientation other than 1 (or, without one, an XMP
    tiff:Orientation): the pixels are stored one way and meant to be shown rotated or
    mirrored. One finding per image names the tag, the stored and the oriented size, and for
    each of COCO and VOC whether the size it states is the stored or the oriented one: the view
    its annotations were drawn on. An image whose annotations state its oriented size is not
    also reported as resized (IMG009) or as a size mismatch (ANN007): this is the cause.

    Why: loaders disagree on the tag. Pillow's Image.open, torchvision's read_image and
    TensorFlow's decode_jpeg ignore it; OpenCV's imread, browsers, Ultralytics and
    ImageOps.exif_transpose apply it. Whichever view the boxes and masks were drawn on, half
    of the training pipelines put them on other pixels (width and height even exchange for
    Orientation 5-8), and duplicate checks that ignore the tag miss rotated copies.
    Fix: apply the orientation to the pixels (ImageOps.exif_transpose, or `exiftran -ai`),
    drop the tag, and make every format's sizes and shapes refer to the result.
    """
    stated = stated_sizes(release)
    for image_id, turned in sorted(orientations(release).items()):
        views: dict[str, list[tuple[str, tuple]]] = {}
        for row in stated.get(image_id, []):
            size = None if pd.isna(row.width) or pd.isna(row.height) else (
                float(row.width), float(row.height))
            view = ("both views" if size == turned.stored == turned.oriented
                    else "oriented" if size == turned.oriented
                    else "stored" if size == turned.stored else "neither")  # fmt: skip
            views.setdefault(view, []).append((row.format, size))
        swap = turned.value in SWAPPING
        message = (f"{image_id} carries {turned.source} Orientation {turned.value} "
                   f"({ORIENTATIONS[turned.value]}): stored {_wh(turned.stored)}"
                   + (f", shown {_wh(turned.oriented)} by loaders that apply it" if swap else "")
                   + f". {APPLIED_BY[turned.source]}. " + _drawn_on(views, turned))  # fmt: skip
        rows = stated.get(image_id, [])
        yield Hit(message, image_id, _file_of(release, image_id),
                  details={"orientation": turned.value, "source": turned.source,
                           "transform": ORIENTATIONS[turned.value],
                           "stored": list(turned.stored), "oriented": list(turned.oriented),
                           "drawn_on": {row_format: view for view, found in views.items()
                                        for row_format, _ in found},
                           "stated": {row_format: (list(size) if size else None)
                                      for found in views.values()
                                      for row_format, size in found},
                           "annotation_files": sorted({row.file for row in rows})})  # fmt: skip


def _drawn_on(views: dict[str, list[tuple[str, tuple]]], turned) -> str:
    """Which view the annotations that state a size were drawn on, and what that does."""
    if not views:
        return ("No annotation states its size, so which view was annotated cannot be told; "
                "a classifier still sees it one way or the other depending on the loader.")
    parts = []
    for view, found in views.items():
        formats = " and ".join(sorted({label(fmt) for fmt, _ in found}))
        sizes = " / ".join(sorted({_wh(size) if size else "no size" for _, size in found}))
        verb = "states" if len(found) == 1 else "state"
        parts.append({
            "oriented": f"{formats} {verb} {sizes}, the oriented size: drawn on the oriented "
                        "view, so loaders that ignore the tag put the annotations on other "
                        "pixels",
            "stored": f"{formats} {verb} {sizes}, the stored size: drawn on the stored pixels, "
                      "so loaders that apply the tag put the annotations on other pixels",
            "both views": f"{formats} {verb} {sizes}, which both views share: the sizes "
                          "cannot tell which was annotated, and whichever it was, one family of "
                          f"loaders sees the image {_SHOWN[turned.value]}",
            "neither": f"{formats} {verb} {sizes}, neither the stored nor the oriented size",
        }[view])  # fmt: skip
    sentence = "; ".join(parts)
    if len([v for v in views if v != "neither"]) > 1:
        sentence += ". The formats disagree on which view was annotated"
    return _sentence(sentence) + "."


_SHOWN = {2: "mirrored left-right", 3: "rotated by 180°", 4: "mirrored top-bottom",
          5: "transposed", 6: "rotated by 90°", 7: "transversed", 8: "rotated by 90°"}  # fmt: skip


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- encodings

_PROPERTIES = ("colour mode", "bit depth", "frames", "JPEG coding", "colour transform",
               "chroma subsampling", "ICC profile")  # fmt: skip
_PLURAL = {"frames": "frame counts", "JPEG coding": "JPEG coding processes",
           "chroma subsampling": "chroma subsamplings"}  # fmt: skip
_MIXED = {
    "colour mode": ("a loader that keeps each file's mode (cv2.IMREAD_UNCHANGED, torchvision's "
                    "read_image) returns arrays with different numbers of bands"),
    "bit depth": "a loader that keeps each file's depth returns arrays of different types",
    "frames": "frame-aware readers (imageio) return more than one frame for some files",
    "JPEG coding": "the files were written by different encoders or settings",
    "colour transform": "decoders that ignore the Adobe marker show some files in false colours",
    "chroma subsampling": "the files were written by different encoders or settings",
    "ICC profile": ("browsers show the profiled files through their profiles, while Pillow and "
                    "OpenCV ignore them"),
}  # fmt: skip


def _consequence(name: str, value: str) -> str:
    """What loaders make of an image with this value of the property."""
    if name == "bit depth" and value not in ("16-bit", "32-bit"):
        return (f"a loader that keeps each file's depth returns {value} samples for it, unlike "
                "the rest")
    if name in ("colour mode", "bit depth"):
        mode = value.split(" ")[0]
        if mode.startswith("I") or mode in ("F", "16-bit", "32-bit"):
            return ("Pillow's convert('L') and convert('RGB') clip samples above 255 (a nearly "
                    "white image) while OpenCV's imread scales them to 8 bits, so loaders see "
                    "different pixels")
        if mode in ("CMYK", "YCCK"):
            return ("Pillow converts CMYK to RGB without colour management while OpenCV and "
                    "browsers (where the annotators worked) convert it their own way, so "
                    "loaders see different grey levels; a loader that keeps the mode gets 4 "
                    "bands")
        if mode == "P":
            return ("a loader that keeps the mode gets palette indices, not grey levels")
        if mode in ("LA", "RGBA", "PA"):
            return ("it has an alpha band: loaders that drop it show what lies under the "
                    "transparent parts, browsers show the background through them")
        return (f"a loader that keeps each file's mode (cv2.IMREAD_UNCHANGED, torchvision's "
                f"read_image) returns {value.split('(')[-1].rstrip(')')} for it, unlike the "
                "rest")
    if name == "frames":
        return ("Image.open, OpenCV's imread and browsers show the first frame only, while "
                "imageio and other frame-aware readers return every frame")
    if name == "JPEG coding":
        if value == "progressive":
            return ("every decoder shows the same pixels, but a progressive file among "
                    "sequential ones was re-saved by another tool after the export")
        return ("browsers and the annotation tools that run in them cannot display "
                f"{value.replace(', ', ' ')} JPEGs")
    if name == "colour transform":
        return ("its colour components are coded otherwise than the rest (RGB without the YCbCr "
                "transform, or YCCK), which decoders that ignore the Adobe marker show in false "
                "colours")
    if name == "chroma subsampling":
        return ("it was re-encoded with other settings than the rest of the release after the "
                "export (its pixels may no longer be the original ones)")
    return ("browsers (where the annotators worked) show it through its colour profile while "
            "Pillow and OpenCV ignore the profile, so the grey levels the annotators saw are "
            "not those a model is trained on")


def encoding(header: dict, mode: str | None) -> dict[str, str]:
    """The properties of an image's encoding that loaders may treat differently, as text
    (absent where the image has no such property or it is unknown)."""
    found: dict[str, str] = {}
    bands = header.get("bands")
    if mode:
        found["colour mode"] = (f"{mode} ({bands} band{'' if bands == 1 else 's'})"
                                if isinstance(bands, int) else str(mode))  # fmt: skip
    if isinstance(header.get("bit_depth"), int):
        found["bit depth"] = f"{header['bit_depth']}-bit"
    if isinstance(header.get("frames"), int):
        found["frames"] = str(header["frames"])
    if header.get("coding"):
        found["JPEG coding"] = str(header["coding"])
    transform = header.get("colour_encoding")
    if transform in ("YCbCr", "RGB", "CMYK", "YCCK"):
        found["colour transform"] = transform
    if transform == "YCbCr" and header.get("subsampling"):
        found["chroma subsampling"] = str(header["subsampling"])
    icc = header.get("icc")
    found["ICC profile"] = ("none or sRGB" if not isinstance(icc, dict) or icc.get("srgb")
                            else f"{icc.get('space') or '?'} profile "
                                 f"{icc.get('description') or '(no description)'!r}")  # fmt: skip
    return found


def _encodings(release: Release) -> tuple[pd.DataFrame, dict[str, Counter]]:
    """The encoding of every published image (a column per property) and, per property, how
    many images have each value."""
    def compute():
        images = _published(release)
        table = pd.DataFrame([encoding(header, mode) for header, mode
                              in zip(images["header"], images["mode"], strict=True)],
                             columns=list(_PROPERTIES), index=images.index)  # fmt: skip
        table.insert(0, "image_id", images["image_id"])
        table.insert(1, "file", images["file"])
        counts = {name: Counter(table[name].dropna()) for name in _PROPERTIES}
        return table, counts

    return release.derived("image-encodings", compute, uses=(IMAGE_HEADERS,))


def _rare(count: int, total: int, most: int) -> bool:
    return count <= max(RARE_COUNT, math.floor(RARE_SHARE * total)) and count * RARE_RATIO <= most


def _split(counter: Counter) -> tuple[list[str], list[str]]:
    """A property's values in order of frequency: the common ones and the rare ones."""
    total = sum(counter.values())
    ordered = [value for value, _ in counter.most_common()]
    if not ordered:
        return [], []
    most = counter[ordered[0]]
    rare = [v for v in ordered if _rare(counter[v], total, most)]
    return [v for v in ordered if v not in rare], rare


def _shown(counter: Counter, values: list[str]) -> str:
    return ", ".join(f"{value} ({counter[value]:,} image{'' if counter[value] == 1 else 's'})"
                     for value in values)  # fmt: skip


@rule("IMG021", "encoding-outlier", "images", "warning",
      "an image is encoded unlike the rest of the release", needs=(IMAGE_HEADERS,))  # fmt: skip
def encoding_outlier(release: Release) -> Iterator[Hit]:
    """An image differs from what is common in the release in a property that loaders treat
    differently: its colour mode and bands (L, RGB, CMYK, palette, 16-bit), bit depth, number
    of frames (an MPO or multi-page file), JPEG coding process (progressive, arithmetic,
    lossless), colour transform (YCbCr, RGB without transform, CMYK, YCCK), chroma
    subsampling, or ICC profile (other than none or sRGB, which browsers take to be the
    same). The reference is the release's own majority: a value is an outlier when at most 1%
    of the images (or three) have it and the most common value is ten times as frequent. One
    finding names every property an image differs in and the release's common values; images
    that differ in the same way (a batch re-saved by one tool) are one finding listing them.
    (A mix of values that are each common is IMG022's, once.)

    Why: a pipeline tested on the majority breaks or silently changes on the outlier: arrays
    of another shape, 16-bit samples clipped to white by Pillow, CMYK or profiled images shown
    in other tones by browsers (where the annotators worked) than by Pillow and OpenCV, extra
    frames read by some readers only; and an image encoded otherwise than the rest was
    usually re-saved or replaced after the export.
    Fix: re-export the image from the source the way the rest of the release was exported.
    """
    table, counts = _encodings(release)
    verdicts = {name: _split(counter) for name, counter in counts.items()}
    alike: dict[tuple, list] = {}  # images that differ the same way: one cause (one re-save)
    for row in table.itertuples(index=False):
        values = dict(zip(_PROPERTIES, row[2:], strict=True))
        odd = tuple((name, value) for name, value in values.items()
                    if isinstance(value, str) and value in verdicts[name][1])  # fmt: skip
        if odd:
            alike.setdefault(odd, []).append(row)
    for odd, rows in alike.items():
        parts = [f"{name} {value}, where the release has "
                 f"{_shown(counts[name], verdicts[name][0])}" for name, value in odd]  # fmt: skip
        details = {"differs": dict(odd), "release": {name: dict(counts[name]) for name, _ in odd}}
        if len(rows) == 1:
            [row] = rows
            yield Hit(f"{row.image_id} is encoded unlike the rest of the release: "
                      f"{'; '.join(parts)}. {_sentence(_consequence(*odd[0]))}.",
                      row.image_id, row.file, details=details)  # fmt: skip
            continue
        names = [row.image_id for row in rows]
        yield Hit(f"{len(rows):,} images are encoded alike, unlike the rest of the release "
                  f"({_listed(names)}): {'; '.join(parts)}. "
                  f"{_sentence(_consequence(*odd[0]))}.",
                  details={**details, "images": names[:50], "count": len(rows),
                           "files": [row.file for row in rows][:50]})  # fmt: skip


def _listed(names: list[str], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


@rule("IMG022", "encoding-mix", "images", "info",
      "the release mixes image encodings (e.g. L and RGB images)",
      needs=(IMAGE_HEADERS,))  # fmt: skip
def encoding_mix(release: Release) -> Iterator[Hit]:
    """Two or more values of an encoding property (colour mode, bit depth, frames, JPEG coding,
    colour transform, chroma subsampling, ICC profile) are each common in the release: the
    real FracAtlas has both L and RGB JPEGs. One finding per property, with the count of
    each value (the rare ones are IMG021's).

    Why: nothing is wrong with any one image, but a loader that keeps each file's mode returns
    arrays of different shapes; the pipeline must convert every image to one form.
    Fix: none needed in the release; convert on load (Image.convert("L") or ("RGB")), or
    re-export every image in one encoding for the next version.
    """
    _, counts = _encodings(release)
    for name in _PROPERTIES:
        common, rare = _split(counts[name])
        if len(common) < 2:
            continue
        yield Hit(f"the release mixes {_PLURAL.get(name, name + 's')}: "
                  f"{_shown(counts[name], common + rare)}: {_MIXED[name]}. Convert every image "
                  "to one form when loading.",
                  details={"property": name, "counts": dict(counts[name])})
