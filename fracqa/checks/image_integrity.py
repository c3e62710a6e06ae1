"""IMG, integrity: every image decodes, is not empty, is the size its annotations were drawn
on, and is not too large to open safely."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import label, resized_images
from fracqa.inputs import COCO, IMAGE_FILES, IMAGE_HEADERS, IMAGE_SCAN, VOC
from fracqa.model import Hit
from fracqa.release import Release


def _scanned(release: Release) -> pd.DataFrame:
    """The images the release publishes (a .jpg in a class folder) that were read; a stray
    file is IMG006's, a link leading outside the release IMG014's."""
    images = release.images
    published = images["folder"].isin(["fractured", "non_fractured"]) & images[
        "image_id"
    ].str.endswith(".jpg")
    return images[published & ~images["outside_root"]]


@rule("IMG007", "image-undecodable", "images", "error", "an image cannot be decoded",
      needs=(IMAGE_SCAN,))
def image_undecodable(release: Release) -> Iterator[Hit]:
    """An image file does not decode completely: truncated (an interrupted copy), corrupt, not
    an image at all, or a JPEG of a kind Pillow cannot decode (12-bit, lossless). A file that
    fails is decoded once more with Pillow's tolerance of truncated files (as a loader with
    `ImageFile.LOAD_TRUNCATED_IMAGES = True` would), and the finding says how many rows at
    the bottom that leaves as one flat grey level: the part of the radiograph that is missing.

    Why: training loaders crash on it or, with truncated-image tolerance switched on, silently
    train on a half-grey radiograph whose annotations no longer match what is visible; when
    the damaged files all share a label, the grey band is a shortcut a classifier learns.
    Fix: restore the image from the source export.
    """
    images = _scanned(release)
    broken = images[~images["decoded"] & ~images["refused"] & (images["bytes"] > 0)]
    for image in broken.itertuples(index=False):
        details = {"error": image.decode_error, "bytes": int(image.bytes)}
        message = f"{image.file} cannot be decoded: {image.decode_error}"
        missing, height = image.lenient_missing, image.height
        if missing is not None and not pd.isna(missing) and not pd.isna(height):
            missing, height = int(missing), int(height)
            details.update(lenient_missing_rows=missing, height=height,
                           lenient_level=image.lenient_level)  # fmt: skip
            if missing:
                message += (f"; decoded leniently, the bottom {missing} of {height} rows are "
                            f"missing (flat grey, level {image.lenient_level:g})")
            else:
                message += ("; decoded leniently, no row is missing outright (what is lost "
                            "is detail or a part of a row)")
        yield Hit(message, image.image_id, image.file, details=details)


@rule("IMG008", "empty-image", "images", "error", "an image file is empty", needs=(IMAGE_HEADERS,))
def empty_image(release: Release) -> Iterator[Hit]:
    """An image file has zero bytes.

    Why: an empty file is a failed copy or export; the radiograph is missing while its labels
    and annotations remain.
    Fix: restore the image from the source export.
    """
    images = _scanned(release)
    for image in images[images["bytes"] == 0].itertuples(index=False):
        yield Hit(f"{image.file} is empty (0 bytes)", image.image_id, image.file)


@rule("IMG009", "image-size-differs", "images", "error",
      "an image is not the size its annotations were drawn on",
      needs=(IMAGE_HEADERS, COCO, VOC))  # fmt: skip
def image_size_differs(release: Release) -> Iterator[Hit]:
    """COCO and VOC agree on an image's size, but the image itself has another one, and not the
    one its orientation tag gives either (IMG020 reports that): it was resized (or replaced)
    after it was annotated. Reported once per image.

    Why: every box and polygon of the image is now in the wrong place; a model learns
    fractures where there are none.
    Fix: restore the original image, or rescale its annotations in every format.
    """
    for image_id, (stated, real, rows, oriented) in sorted(resized_images(release).items()):
        if oriented:
            continue  # drawn on the view its orientation tag gives: IMG020's
        files = sorted({row.file for row in rows})
        formats = " and ".join(sorted({label(row.format) for row in rows}))
        turned = ("; width and height are exchanged: the pixels were rotated after "
                  "annotation without an orientation tag, or lost the tag they had"
                  if tuple(stated) == (real[1], real[0]) else "")  # fmt: skip
        yield Hit(f"{image_id} is {real[0]}x{real[1]} but {formats} were drawn on "
                  f"{stated[0]:g}x{stated[1]:g} (width x height){turned}", image_id,
                  _file_of(release, image_id),
                  details={"real": list(real), "annotated": list(stated),
                           "annotation_files": files})  # fmt: skip


def _file_of(release: Release, image_id: str) -> str | None:
    images = release.images
    found = images.loc[images["image_id"] == image_id, "file"]
    return found.iloc[0] if len(found) else None


@rule("IMG010", "image-too-large", "images", "error",
      "an image is over the pixel limit and was not decoded", needs=(IMAGE_HEADERS,))  # fmt: skip
def image_too_large(release: Release) -> Iterator[Hit]:
    """An image's header announces more pixels than the limit (50 million by default; the
    release's largest radiographs have 6.6 million), so fracqa refuses to decode it.

    Why: no radiograph of the release is that large; such a header is a corrupt file or a
    decompression bomb that would exhaust the memory of every loader.
    Fix: replace the file with the real radiograph.
    """
    images = _scanned(release)
    for image in images[images["refused"]].itertuples(index=False):
        yield Hit(f"{image.file}: {image.header_error}", image.image_id, image.file,
                  details={"width": int(image.width), "height": int(image.height)})  # fmt: skip


@rule("IMG014", "image-link-outside-root", "images", "error",
      "an image is a link to a file outside the release", needs=(IMAGE_FILES,))  # fmt: skip
def image_link_outside_root(release: Release) -> Iterator[Hit]:
    """An image under images/ is a symbolic link whose target lies outside the release.

    Why: whatever it points to is not part of the published release (and may be anything on
    the machine building it); fracqa does not follow it.
    Fix: replace the link with the image file itself.
    """
    images = release.images
    for image in images[images["outside_root"]].itertuples(index=False):
        yield Hit(f"{image.file} is a link to outside the release: not followed",
                  image.image_id, image.file)  # fmt: skip

