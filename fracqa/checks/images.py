"""IMG: every labelled image is on disk once, in the folder of its label, and is a JPEG."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.inputs import CSV, IMAGE_FILES, IMAGE_HEADERS
from fracqa.model import Hit
from fracqa.names import plain_name
from fracqa.release import Release

_FOLDER_OF_LABEL = {1: "fractured", 0: "non_fractured"}
_FOLDER_NAME = {"fractured": "images/Fractured", "non_fractured": "images/Non_fractured"}


def _class_images(release: Release) -> pd.DataFrame:
    """The .jpg files in the two class folders: the images the release publishes."""
    images = release.images
    in_class = images["folder"].isin(list(_FOLDER_NAME)) & images["image_id"].str.endswith(".jpg")
    return images[in_class]


def _folders_of(release: Release) -> dict[str, list[str]]:
    """image_id -> the class folders holding a file of that name."""
    def compute():
        folders: dict[str, list[str]] = {}
        for image_id, folder in _class_images(release)[["image_id", "folder"]].itertuples(
            index=False
        ):
            folders.setdefault(image_id, []).append(folder)
        return folders

    return release.derived("folders-of-image", compute, uses=(IMAGE_FILES,))


def _spelt_otherwise(release: Release) -> dict[str, tuple[str, str]]:
    """labelled image_id -> (file, folder) of the file in a class folder that is the image under
    a name spelt otherwise, where no file has the id's own name: white space around it
    ('IMG0000019.jpg '), or the suffix `.JPG`, `.jpeg`, `.JPEG`."""
    def compute():
        labelled = set(_labelled_rows(release)["image_id"])
        folders = _folders_of(release)
        images = release.images
        found = {}
        others = images[images["folder"].isin(list(_FOLDER_NAME))
                        & ~images.index.isin(_class_images(release).index)]  # fmt: skip
        for name, file, folder in others[["image_id", "file", "folder"]].itertuples(index=False):
            meant = plain_name(name)
            if meant != name and meant in labelled and meant not in folders:
                found.setdefault(meant, (file, folder))
        return found

    return release.derived("images-spelt-otherwise", compute, uses=(CSV, IMAGE_FILES))


def _labelled_rows(release: Release) -> pd.DataFrame:
    meta = release.meta
    return meta[meta["image_id"].notna() & (meta["image_id"] != "")]


def _csv_file(release: Release) -> str | None:
    return release.dataset_csv.file if release.dataset_csv else None


@rule("IMG001", "image-missing", "images", "error", "a labelled image has no file",
      needs=(CSV, IMAGE_FILES))
def image_missing(release: Release) -> Iterator[Hit]:
    """A row of dataset.csv names an image that is in neither images/Fractured nor
    images/Non_fractured. When a class folder holds the image under a name spelt otherwise
    (`IMG0000019.JPG`, `IMG0000019.jpeg`, `'IMG0000019.jpg '` with a space), the one finding
    names that file.

    Why: the label describes a radiograph nobody can see; loaders either crash on it or skip it
    silently, and the published image count is wrong. A name spelt otherwise is not the id on
    Linux: os.path.join(folder, image_id) finds no file.
    Fix: restore the image file into the folder of its label (or rename it to its id), or
    remove the row.
    """
    folders, spelt = _folders_of(release), _spelt_otherwise(release)
    layout = release.layout
    present = {"fractured": layout.fractured_dir, "non_fractured": layout.non_fractured_dir}
    for row in _labelled_rows(release).itertuples(index=False):
        if row.image_id in folders:
            continue
        if row.image_id in spelt:
            file, folder = spelt[row.image_id]
            name = file.rsplit("/", 1)[-1]
            where = (" on Linux (on Windows and macOS it does)"
                     if name.lower() == row.image_id.lower() else "")  # fmt: skip
            yield Hit(f"{row.image_id} is labelled in dataset.csv, but {_FOLDER_NAME[folder]} "
                      f"holds it as {name!r}: os.path.join(folder, image_id) finds no "
                      f"file{where}, and every join of the labels, annotations and split by "
                      "file name misses it", row.image_id, file, None,
                      {"written": name, "csv_line": int(row.line)})  # fmt: skip
            continue
        expected = _FOLDER_OF_LABEL.get(row.fractured) if pd.notna(row.fractured) else None
        if expected and present[expected] is None:
            continue  # the whole folder is missing: LAY002 says so once
        where = _FOLDER_NAME[expected] if expected else "images/"
        yield Hit(
            f"{row.image_id} is labelled in dataset.csv but there is no such file in {where}",
            row.image_id,
            _csv_file(release),
            f"line {row.line}",
            {"expected_folder": where},
        )


@rule("IMG002", "image-in-wrong-folder", "images", "error",
      "an image sits in the folder of the other class", needs=(CSV, IMAGE_FILES))  # fmt: skip
def image_in_wrong_folder(release: Release) -> Iterator[Hit]:
    """An image labelled fractured=1 is in images/Non_fractured, or fractured=0 in
    images/Fractured.

    Why: many loaders take the class from the folder, others from dataset.csv; the two disagree
    on this radiograph, so it is a positive in one paper and a negative in another.
    Fix: check the image; then move the file or correct the label.
    """
    folders = _folders_of(release)
    for row in _labelled_rows(release).itertuples(index=False):
        found = folders.get(row.image_id, [])
        if len(found) != 1 or pd.isna(row.fractured) or row.fractured not in _FOLDER_OF_LABEL:
            continue
        expected = _FOLDER_OF_LABEL[row.fractured]
        if found[0] != expected:
            yield Hit(
                f"{row.image_id} is labelled fractured={row.fractured} but sits in "
                f"{_FOLDER_NAME[found[0]]}/",
                row.image_id,
                f"{_FOLDER_NAME[found[0]]}/{row.image_id}",
                None,
                {"fractured": int(row.fractured), "folder": _FOLDER_NAME[found[0]],
                 "expected_folder": _FOLDER_NAME[expected], "csv_line": int(row.line)},
            )  # fmt: skip


@rule("IMG003", "orphan-image", "images", "error", "an image file has no row in dataset.csv",
      needs=(CSV, IMAGE_FILES))
def orphan_image(release: Release) -> Iterator[Hit]:
    """An image in images/Fractured or images/Non_fractured has no row in dataset.csv.

    Why: the image has no labels (region, view, fracture_count); loaders that walk the folders
    train on it with a guessed label, loaders that read the CSV never see it, and the counts
    published for the release are off by one.
    Fix: add the image's row to dataset.csv, or remove the file if it does not belong.
    """
    if release.dataset_csv is None or release.dataset_csv.rows is None:
        return  # LAY001 or CSV001 already says the labels cannot be read
    labelled = set(release.meta["image_id"].dropna())
    for image in _class_images(release).itertuples(index=False):
        if image.image_id not in labelled:
            yield Hit(
                f"{image.file} has no row in dataset.csv",
                image.image_id,
                image.file,
                details={"folder": _FOLDER_NAME[image.folder]},
            )


@rule("IMG004", "image-in-both-folders", "images", "error",
      "the same image is in both class folders", needs=(IMAGE_FILES,))  # fmt: skip
def image_in_both_folders(release: Release) -> Iterator[Hit]:
    """A file of the same name is in images/Fractured and in images/Non_fractured.

    Why: the radiograph is both a positive and a negative; whichever copy a loader meets first
    decides its class, and if the two files differ, one of them is a different image.
    Fix: keep the file in the folder of the image's label and delete the other.
    """
    for image_id, found in sorted(_folders_of(release).items()):
        if len(set(found)) > 1:
            yield Hit(
                f"{image_id} is in both images/Fractured/ and images/Non_fractured/",
                image_id,
                f"images/Fractured/{image_id}",
                details={"files": [f"{_FOLDER_NAME[f]}/{image_id}" for f in sorted(set(found))]},
            )


@rule("IMG005", "not-a-jpeg", "images", "error", "a .jpg file is not a JPEG",
      needs=(IMAGE_HEADERS,))
def not_a_jpeg(release: Release) -> Iterator[Hit]:
    """A file named .jpg whose first bytes say it is something else (a PNG, a BMP, text).
    (An empty file is IMG008's.)

    Why: tools that trust the extension (or decode with a JPEG-only library) fail on it or read
    garbage, and a silent re-encode may have changed the pixels that were annotated.
    Fix: re-export the original radiograph as a JPEG under the same name.
    """
    images = _class_images(release)
    for image in images[~images["outside_root"]].itertuples(index=False):
        if image.format == "JPEG" or pd.isna(image.bytes) or image.bytes == 0:
            continue  # unread: IMG017's or IMG019's; empty: IMG008's
        if image.format:
            what = f"a {image.format} image"
        else:
            what = "not an image format fracqa recognises"
        yield Hit(
            f"{image.file} is named .jpg but is {what}",
            image.image_id,
            image.file,
            details={"format": image.format, "bytes": None if pd.isna(image.bytes)
                     else int(image.bytes)},
        )  # fmt: skip


@rule("IMG006", "stray-file", "images", "warning",
      "a file under images/ is not a .jpg in a class folder",
      needs=(IMAGE_FILES, CSV))  # fmt: skip
def stray_file(release: Release) -> Iterator[Hit]:
    """A file under images/ that is not a .jpg inside images/Fractured or images/Non_fractured:
    a thumbnail cache, a .png, an image in a third folder or at the top of images/. (A labelled
    image under a name spelt otherwise, `IMG0000019.JPG`, is IMG001's.)

    Why: loaders that glob the folders pick some of these up and others not; either way the
    release holds something it does not document.
    Fix: delete the file, or convert and move it to where its label says, with a CSV row.
    """
    images = release.images
    spelt = {file for file, _ in _spelt_otherwise(release).values()}
    stray = ~images.index.isin(_class_images(release).index) & ~images["file"].isin(spelt)
    for image in images[stray].itertuples(index=False):
        yield Hit(f"{image.file!r} is not a .jpg image in a class folder", image.image_id,
                  image.file)
