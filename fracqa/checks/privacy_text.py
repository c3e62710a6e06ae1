"""PRV, the names and text around the images: image file names, dataset.csv, the annotation
files' text fields and the split files must hold no identifier (a date, a telephone number, an
e-mail address, a record-number-like run of digits, a DICOM UID, a labelled person's name, a
home folder's user name, an institution). Values found are shown masked, never as written.

The release's own ids (IMG + seven digits) are no record numbers. In COCO's `info` and
`licenses`, which describe the dataset and credit its publishers, field names say nothing
(`date_created` is the release's date, `contributor` its authors): only the identifier patterns
are looked for in their text."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.identifiers import identifying, secrets_of
from fracqa.inputs import COCO, CSV, IMAGE_FILES, SPLITS, VGG, VOC
from fracqa.model import Hit
from fracqa.release import Release

FORMAT_NAMES = {"coco": "COCO", "vgg": "VGG", "voc": "VOC"}


def _hit(message_prefix: str, what: str, value: str, named: str | None, image_id, file,
         location, **details) -> Hit | None:  # fmt: skip
    """A hit when `value` (of the field `named`, when its name counts) holds an identifier."""
    found = identifying(named, value)
    if not found:
        return None
    kinds = sorted({kind for kind, _, _ in found})
    masked = [shown for _, _, shown in found]
    return Hit(f"{message_prefix}{what} holds {', '.join(kinds)}: {', '.join(masked)}",
               image_id, file, location, {**details, "kinds": kinds, "masked": masked},
               secrets_of(value, found))  # fmt: skip


@rule("PRV010", "identifier-in-file-name", "privacy", "error",
      "an image's file or folder name holds an identifier", needs=(IMAGE_FILES,))
def identifier_in_file_name(release: Release) -> Iterator[Hit]:
    """The name of a file or folder under images/ holds an identifier: a date more precise than
    the year, a telephone number, an e-mail address, a run of six or more digits (a record or
    accession number; the release's own `IMG` + seven digits ids are not), a DICOM UID, a
    labelled name (`Patient_Smith`, `DOE^JOHN`) or an institution's name. The finding shows
    the name masked.

    Why: exports from a hospital's PACS name files after the patient, the accession number or
    the study date; a renamed release that kept one such name identifies a patient to anyone
    who lists the folder, whatever the pixels and metadata say.
    Fix: rename the file to the release's id scheme (and its rows, annotations and split
    entries with it).
    """
    seen: set[str] = set()
    for image in release.images.itertuples(index=False):
        parts = image.file.split("/")[1:]  # below images/
        for depth, part in enumerate(parts):
            path = "/".join(parts[:depth + 1])
            if path in seen:
                continue
            seen.add(path)
            if not identifying(None, part):
                continue
            what = "the folder name" if depth < len(parts) - 1 else "the file name"
            found = _hit(f"images/{path}: ", what, part, None,
                         image.image_id if depth == len(parts) - 1 else None, image.file,
                         "file name")  # fmt: skip
            if found:
                yield found


@rule("PRV011", "identifier-in-dataset-csv", "privacy", "error",
      "a dataset.csv cell or column name holds an identifier", needs=(CSV,))
def identifier_in_dataset_csv(release: Release) -> Iterator[Hit]:
    """A cell or a column name of dataset.csv holds an identifier: a date more precise than the
    year, a telephone number, an e-mail address, a run of six or more digits, a DICOM UID, a
    labelled name or an institution, or a column whose name says it holds a person's name, a
    date, a place or a UID (`patient_name`, `study_date`) has a value. The finding gives the
    line and the column and shows the value masked.

    Why: a label table assembled from a hospital export easily keeps a column or a note that
    names the patient or the study; dataset.csv is the file every user opens first.
    Fix: remove the column or the value, then audit again.
    """
    table = release.dataset_csv
    if table is None or table.rows is None:
        return
    rows: pd.DataFrame = table.rows
    for column in rows.columns:
        found = _hit(f"{table.file}: ", "the column name", str(column), None, None, table.file,
                     "header", column=str(column))  # fmt: skip
        if found:
            yield found
    ids = rows["image_id"] if "image_id" in rows.columns else None
    for column in rows.columns:
        values = rows[column]
        holding = {value for value in values.dropna().unique()
                   if isinstance(value, str) and identifying(str(column), value)}  # fmt: skip
        for line, value in values[values.isin(holding)].items():
            image_id = ids.at[line] if ids is not None else None
            found = _hit(f"{table.file}:{line}: ", f"column {column!r}", value, str(column),
                         image_id if isinstance(image_id, str) else None, table.file,
                         f"line {line}, column {column}", column=str(column),
                         line=int(line))  # fmt: skip
            if found:
                yield found


@rule("PRV012", "identifier-in-annotations", "privacy", "error",
      "an annotation file's text holds an identifier", needs=(COCO, VGG, VOC))
def identifier_in_annotations(release: Release) -> Iterator[Hit]:
    """A text field of an annotation file holds an identifier: COCO's `info`, `licenses`,
    image entries (`file_name`, `coco_url`, `date_captured`, ...), category names and whatever
    else an entry holds beside its geometry; VGG's file names, file attributes and region
    attributes; every VOC element but the geometry and the class name (`<folder>`,
    `<filename>`, `<path>`, `<source>`, `<owner>`, ...). Identifiers are dates more precise
    than the year, telephone numbers, e-mail addresses, runs of six or more digits, DICOM
    UIDs, labelled names, home folders' user names (`/home/jsmith/...` in a VOC `<path>`) and
    institutions, and any value of a field named for a person, a date, a place or a UID
    (`<owner>/<name>`, a VGG attribute `patient`, a COCO `date_captured`). COCO's `info` and
    `licenses` describe the dataset: their `date_created` and `contributor` are the release's
    own, only patterns are looked for there. The value is shown masked.

    Why: annotation tools write the annotator's paths, user names and free-text notes into the
    files they export, and a note typed while looking at a radiograph may name its patient.
    Fix: remove the value (for a path, write the release's relative path), then audit again.
    """
    for fmt, source in release.annotations.sources.items():
        if fmt not in FORMAT_NAMES:
            continue
        for entry in source.texts:
            field = entry.field
            described = fmt == "coco" and field.startswith(("info", "licenses"))
            if not identifying(None if described else field, entry.value):
                continue
            where = f"{entry.location} {field}" if entry.location else field
            found = _hit(f"{entry.file}: {FORMAT_NAMES[fmt]} ", where, entry.value,
                         None if described else field, entry.image_id, entry.file,
                         where, format=fmt, field=field)  # fmt: skip
            if found:
                yield found


@rule("PRV013", "identifier-in-split-files", "privacy", "error",
      "a split file entry holds an identifier", needs=(SPLITS,))
def identifier_in_split_files(release: Release) -> Iterator[Hit]:
    """An entry of a split file (Utilities/Fracture Split) holds an identifier: a date more
    precise than the year, a telephone number, an e-mail address, a run of six or more digits,
    a DICOM UID, a labelled name or an institution. The finding gives the file and line and
    shows the entry masked.

    Why: split lists are copied into training code and papers; one made from a hospital's
    export may list accession numbers or patient names instead of the release's ids.
    Fix: write the release's image ids in the split file.
    """
    table = release.splits.table
    for row in table.itertuples(index=False):
        if not isinstance(row.image_id, str) or not identifying(None, row.image_id):
            continue
        found = _hit(f"{row.file}:{row.line}: ", "the entry", row.image_id, None, None,
                     row.file, f"line {row.line}", split=row.split)  # fmt: skip
        if found:
            yield found
