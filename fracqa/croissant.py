"""`fracqa croissant`: a Croissant description (JSON-LD, Croissant 1.1 with its Responsible-AI
properties) of a release, written from the tables the audit loads.

The description names every file of the release with its SHA-256: dataset.csv, the COCO and VGG
files, YOLO's classes.txt and the split files as FileObjects; the image folders and the
per-image YOLO and PASCAL VOC files as FileSets; and every file again, the images included, in
the inline record set `file_checksums`, so that a copy checked against it (`fracqa audit ROOT
--croissant FILE`) names the one image that differs. `record_counts` holds the records of
dataset.csv and of each split file. Paths in `contentUrl` and `includes` are relative to the
folder the description is written to, so that a Croissant loader reads the release from there;
each FileObject's `@id` and the checksums' `path` are relative to the release's root, which is
how a copy anywhere else is compared with it.

This module writes; it reads nothing of the release itself (the loaders do).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fracqa import inputs
from fracqa.columns import COLUMNS, VIEWS
from fracqa.errors import Unusable
from fracqa.layout import FORMAT_FOLDER_NAME
from fracqa.load.identity import file_digests, record_counts

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
CHECKSUMS = "file_checksums"  # the inline record set of every file's SHA-256
COUNTS = "record_counts"  # the inline record set of each table's records

# What `fracqa croissant` loads: the tables that hold every file's digest.
NEEDS = inputs.closure({inputs.CSV, inputs.SPLITS, inputs.IMAGE_HEADERS,
                        *inputs.ANNOTATION_FORMATS})

# The JSON-LD context of Croissant 1.1 (the vocabulary mapping every Croissant file declares).
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

CITATION = """@article{Abedeen_2023,
  title = {{FracAtlas}: A Dataset for Fracture Classification, Localization and Segmentation of Musculoskeletal Radiographs},
  author = {Abedeen, Iftekharul and Rahman, Md. Ashiqur and Prottyasha, Fatema Zohra and Ahmed, Tasnim and Chowdhury, Tareque Mohmud and Shatabda, Swakkhar},
  journal = {Scientific Data},
  volume = {10},
  number = {1},
  pages = {521},
  year = {2023},
  doi = {10.1038/s41597-023-02432-4}
}"""  # noqa: E501

AUTHORS = ("Iftekharul Abedeen", "Md. Ashiqur Rahman", "Fatema Zohra Prottyasha", "Tasnim Ahmed",
           "Tareque Mohmud Chowdhury", "Swakkhar Shatabda")  # fmt: skip

# The dataset's metadata, as the FracAtlas data descriptor (Abedeen et al., Scientific Data 10,
# 521 (2023)) states it; each key can be set in fracqa.toml's [croissant-metadata] table.
METADATA: dict[str, Any] = {
    "name": "FracAtlas",
    "description": (
        "FracAtlas: musculoskeletal radiographs (X-ray scans, JPEG) for bone fracture "
        "classification, localization and segmentation. dataset.csv labels every image "
        "(fractured, fracture_count, body region, view, hardware, multiscan); each fracture "
        "instance has a polygon mask and a bounding box in COCO, VGG, YOLO and PASCAL VOC "
        "formats; Utilities/Fracture Split lists the official train/valid/test split of the "
        "fractured images."
    ),
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "url": "https://doi.org/10.6084/m9.figshare.22363012",
    "version": "1.0.0",
    "cite-as": CITATION,
    "keywords": ["radiography", "X-ray", "bone fracture", "musculoskeletal", "medical imaging",
                 "classification", "object detection", "segmentation"],  # fmt: skip
}

# The Responsible-AI properties (Croissant RAI 1.0), from what the data descriptor publishes;
# each key can be set in fracqa.toml's [croissant-metadata.rai] table.
RAI: dict[str, str] = {
    "dataCollection": (
        "Radiographs collected from 3 major hospitals in Bangladesh; the data descriptor "
        "reports 4,083 images selected from them: 717 with fractures (922 fracture instances) "
        "and 3,366 without, of the hand (1,538), leg (2,272), hip (338) and shoulder (349)."
    ),
    "dataCollectionType": "Secondary use of clinical radiographs from hospitals.",
    "dataAnnotationProtocol": (
        "Manual annotation for fracture classification, localization and segmentation with "
        "the help of 2 expert radiologists and an orthopedist. Every image has global labels "
        "in dataset.csv (fractured, fracture_count, region: hand, leg, hip, shoulder, mixed; "
        "view: frontal, lateral, oblique; hardware; multiscan); every fracture instance has its "
        "own polygon mask and bounding box, drawn in COCO format and converted to VGG, YOLO and "
        "PASCAL VOC."
    ),
    "dataAnnotationPlatform": "makesense.ai, an open-source labeling platform.",
    "personalSensitiveInformation": (
        "Medical images of patients. dataset.csv holds no patient identifier (an image id and "
        "labels only), but the data descriptor states that logos and texts on the images were "
        "not removed: images may carry burned-in text. No patient id links images of one "
        "patient."
    ),
    "dataBiases": (
        "Fractured images are a minority (717 of 4,083, 17.6 %); body regions are unevenly "
        "represented (leg 2,272 images, hand 1,538, shoulder 349, hip 338) and so are views "
        "(frontal 2,503, lateral 1,492, oblique 418); 99 images show hardware (implants); all "
        "images come from hospitals of one country (Bangladesh)."
    ),
    "dataLimitations": (
        "The official split (train 574, valid 82, test 61) covers the fractured images only, "
        "for localization and segmentation; the 3,366 non-fractured images are in no split. "
        "Without patient ids, images of one patient may fall in different splits. 396 images "
        "hold several scans (multiscan)."
    ),
    "dataUseCases": (
        "Research on computer-aided fracture diagnosis: classification of radiographs as "
        "fractured or not, localization (boxes) and segmentation (masks) of fractures."
    ),
}

RAI_KEYS = ("dataCollection", "dataCollectionType", "dataCollectionMissingData",
            "dataCollectionRawData", "dataCollectionTimeframe", "dataImputationProtocol",
            "dataPreprocessingProtocol", "dataManipulationProtocol", "dataAnnotationProtocol",
            "dataAnnotationPlatform", "dataAnnotationAnalysis", "annotationsPerItem",
            "annotatorDemographics", "machineAnnotationTools", "dataBiases", "dataUseCases",
            "dataLimitations", "dataSocialImpact", "personalSensitiveInformation",
            "dataReleaseMaintenancePlan")  # fmt: skip

_SPLIT_URLS = {"train": "cr:TrainingSplit", "valid": "cr:ValidationSplit", "test": "cr:TestSplit"}
_ENCODING = {".csv": "text/csv", ".json": "application/json", ".txt": "text/plain",
             ".xml": "application/xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}  # fmt: skip


class CroissantError(Unusable):
    """The description cannot be written (no dataset.csv to describe, an unwritable path)."""


def describe(release, output: Path, overrides: Mapping[str, Any] | None = None) -> dict:
    """The Croissant description of the loaded `release`, to be written at `output` (paths in
    contentUrl and includes are relative to its folder), with `overrides` laid over the
    default metadata (a nested "rai" mapping for the Responsible-AI properties)."""
    overrides = dict(overrides or {})
    rai = {**RAI, **overrides.pop("rai", {})}
    metadata = {**METADATA, **overrides}
    layout = release.layout
    base = Path(os.path.abspath(output)).parent
    digests = file_digests(release.dataset_csv, release.annotations, release.splits,
                           release.images)  # fmt: skip
    if release.dataset_csv is None or release.dataset_csv.file not in digests:
        raise CroissantError(f"{layout.root} has no readable dataset.csv to describe")

    def url(relative: str) -> str:
        return Path(os.path.relpath(layout.root / relative, base)).as_posix()

    sizes = _sizes(release, digests)
    distribution, record_sets = [], []
    for file in _release_wide_files(release, digests):
        distribution.append({
            "@type": "cr:FileObject", "@id": file_id(file), "name": file,
            "contentUrl": url(file), "contentSize": f"{sizes[file]} B",
            "encodingFormat": _ENCODING.get(Path(file).suffix.lower(), "application/octet-stream"),
            "sha256": digests[file],
        })  # fmt: skip
    folders = _file_sets(release)
    for set_id, (folder, pattern, fmt, what) in folders.items():
        distribution.append({
            "@type": "cr:FileSet", "@id": set_id, "name": set_id, "description": what,
            "encodingFormat": fmt, "includes": url(folder) + "/" + pattern,
        })  # fmt: skip

    record_sets.append(_labels(file_id(release.dataset_csv.file)))
    if release.splits.digests:
        distribution.append({
            "@type": "cr:FileSet", "@id": "split-files", "name": "split-files",
            "description": "The official split's files, one image id per line.",
            "encodingFormat": "text/csv",
            "includes": url(release.layout.relative(release.layout.split_dir)) + "/*.csv",
        })  # fmt: skip
        record_sets.append(_split_enumeration())
        record_sets.append(_split_membership())
    coco = _coco_file(release, digests)
    if coco:
        record_sets.append(_coco_instances(file_id(coco)))
    table = _instance_table(release.annotations.instances)
    if table is not None:
        record_sets.append(table)
    for set_id in ("images-fractured", "images-non-fractured"):
        if set_id in folders:
            record_sets.append(_image_records(set_id))
    record_sets.append(_checksums(digests, sizes))
    counts = record_counts(release.dataset_csv, release.splits)
    if counts:
        record_sets.append(_counts(counts))

    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_1, RAI_1_0],
        "name": metadata["name"],
        "description": metadata["description"],
        "license": metadata["license"],
        "url": metadata["url"],
        "version": metadata["version"],
        "citeAs": metadata["cite-as"],
        "creator": [{"@type": "sc:Person", "name": name} for name in metadata.get(
            "creators", AUTHORS)],
        "keywords": list(metadata["keywords"]),
    }
    for key in ("date-published", "date-modified"):
        if key in metadata:
            document["datePublished" if key == "date-published" else "dateModified"] = metadata[key]
    document.update({f"rai:{key}": value for key, value in rai.items() if value})
    document["distribution"] = distribution
    document["recordSet"] = record_sets
    return document


def file_id(file: str) -> str:
    """The @id of the FileObject of `file` (a path relative to the root): Croissant loaders
    refuse an @id with white space, which FracAtlas's folder names have."""
    return re.sub(r"\s", "_", file)


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sizes(release, digests: Mapping[str, str]) -> dict[str, int]:
    """Each file's size in bytes: the image table's, or the file's own (a stat, not a read)."""
    sizes = {}
    if "bytes" in release.images:
        sizes.update(zip(release.images["file"], release.images["bytes"], strict=True))
    for file in digests:
        if file not in sizes or sizes[file] is None:
            try:
                sizes[file] = os.stat(release.layout.root / file).st_size
            except OSError:
                sizes[file] = 0
    return {file: int(sizes[file]) for file in digests}


def _release_wide_files(release, digests: Mapping[str, str]) -> list[str]:
    """dataset.csv, the annotation files that are not one per image, the split files."""
    per_image = {folder for folder, *_ in _file_sets(release).values()}
    files = []
    for file in digests:
        folder = str(Path(file).parent.as_posix())
        if folder in per_image and Path(file).name.lower() != "classes.txt":
            continue
        files.append(file)
    return files


def _file_sets(release) -> dict[str, tuple[str, str, str, str]]:
    """FileSet id -> (folder relative to the root, glob, encoding format, description)."""
    layout, found = release.layout, {}
    if layout.fractured_dir is not None:
        found["images-fractured"] = (layout.relative(layout.fractured_dir), "*.jpg", "image/jpeg",
                                     "The radiographs labelled fractured=1.")  # fmt: skip
    if layout.non_fractured_dir is not None:
        found["images-non-fractured"] = (layout.relative(layout.non_fractured_dir), "*.jpg",
                                         "image/jpeg", "The radiographs labelled fractured=0.")
    yolo, voc = layout.annotation_dirs.get("yolo"), layout.annotation_dirs.get("voc")
    if yolo is not None:
        found["yolo-labels"] = (layout.relative(yolo), "IMG*.txt", "text/plain",
                                f"{FORMAT_FOLDER_NAME['yolo']} boxes, one file per image.")
    if voc is not None:
        found["voc-annotations"] = (layout.relative(voc), "*.xml", "application/xml",
                                    f"{FORMAT_FOLDER_NAME['voc']} boxes, one file per image.")
    return found


def _field(record_set: str, name: str, data_type: str, source: dict | None = None,
           description: str | None = None, **extra) -> dict:  # fmt: skip
    field = {"@type": "cr:Field", "@id": f"{record_set}/{name}", "name": name,
             "dataType": data_type}  # fmt: skip
    if description:
        field["description"] = description
    if source:
        field["source"] = source
    field.update(extra)
    return field


_COLUMN_DOCS = {
    "image_id": "The image's file name (IMG + seven digits + .jpg).",
    "fracture_count": "The number of fracture instances annotated in the image.",
    "fractured": "1 when the image shows a fracture.",
    "mixed": "1 when the image shows more than one body region.",
    "hardware": "1 when the image shows hardware (an implant, a plate, screws).",
    "multiscan": "1 when the image holds several scans.",
}


def _labels(csv_file: str) -> dict:
    fields = []
    for column in COLUMNS:
        kind = "sc:Text" if column == "image_id" else "sc:Integer"
        kind_of_flag = "view" if column in VIEWS else "region"
        doc = _COLUMN_DOCS.get(column, f"1 when the image shows the {column} {kind_of_flag}.")
        fields.append(_field("labels", column, kind, {"fileObject": {"@id": csv_file},
                                                      "extract": {"column": column}}, doc))
    return {"@type": "cr:RecordSet", "@id": "labels", "name": "labels",
            "description": "dataset.csv: one row of labels per image.",
            "key": {"@id": "labels/image_id"}, "field": fields}  # fmt: skip


def _split_enumeration() -> dict:
    return {
        "@type": "cr:RecordSet", "@id": "splits", "name": "splits", "dataType": "cr:Split",
        "description": "The official split's three parts.",
        "key": {"@id": "splits/name"},
        "field": [_field("splits", "name", "sc:Text"), _field("splits", "url", "sc:URL")],
        "data": [{"splits/name": name, "splits/url": url} for name, url in _SPLIT_URLS.items()],
    }  # fmt: skip


def _split_membership() -> dict:
    return {
        "@type": "cr:RecordSet", "@id": "fracture_split", "name": "fracture_split",
        "description": "The official split of the fractured images: the image ids listed in "
                       "Utilities/Fracture Split/{train,valid,test}.csv.",
        "field": [
            _field("fracture_split", "image_id", "sc:Text",
                   {"fileSet": {"@id": "split-files"}, "extract": {"column": "image_id"}}),
            _field("fracture_split", "split", ["sc:Text", "cr:Split"],
                   {"fileSet": {"@id": "split-files"}, "extract": {"fileProperty": "filename"},
                    "transform": {"regex": "^(train|valid|test)\\.csv$"}},
                   references={"field": {"@id": "splits/name"}}),
        ],
    }  # fmt: skip


def _coco_file(release, digests) -> str | None:
    source = release.annotations.sources.get("coco")
    if source is None or source.broken_files:
        return None
    files = sorted(file for file in source.digests if file.lower().endswith(".json"))
    return files[0] if len(files) == 1 else None


def _coco_instances(coco: str) -> dict:
    """The instances as COCO's file holds them, read with JSONPath."""

    def field(name, data_type, json_path, doc):
        return _field("coco_instances", name, data_type,
                      {"fileObject": {"@id": coco}, "extract": {"jsonPath": json_path}}, doc)

    return {
        "@type": "cr:RecordSet", "@id": "coco_instances", "name": "coco_instances",
        "description": "Every fracture instance of the COCO file: its id, its image's COCO id, "
                       "its bounding box [x, y, width, height] in pixels and its mask's area.",
        "key": {"@id": "coco_instances/id"},
        "field": [
            field("id", "sc:Integer", "$.annotations[*].id", "COCO's instance id."),
            field("image_id", "sc:Integer", "$.annotations[*].image_id",
                  "The COCO id of the instance's image."),
            field("bbox", "cr:BoundingBox", "$.annotations[*].bbox",
                  "The box: x, y, width, height in pixels."),
            field("area", "sc:Float", "$.annotations[*].area",
                  "The polygon mask's area in square pixels."),
        ],
    }  # fmt: skip


def _instance_table(instances) -> dict | None:
    """The audit's instance table: one record per instance per format, with its box in pixels
    (instances whose box could not be read are left out)."""
    rows = instances.dropna(subset=["x0", "y0", "x1", "y1"])
    rows = rows[~rows["malformed"].astype(bool)]
    if rows.empty:
        return None
    names = ("image_id", "format", "instance", "x0", "y0", "x1", "y1")
    kinds = ("sc:Text", "sc:Text", "sc:Integer", "sc:Float", "sc:Float", "sc:Float", "sc:Float")
    docs = ("The image's file name.", "The annotation format: coco, vgg, yolo or voc.",
            "The instance's order within its image and format, from 0.",
            "Left edge, pixels.", "Top edge, pixels.", "Right edge, pixels.",
            "Bottom edge, pixels.")  # fmt: skip
    data = [{"instances/image_id": str(row.image_id), "instances/format": str(row.format),
             "instances/instance": int(row.instance),
             **{f"instances/{c}": round(float(getattr(row, c)), 3) for c in names[3:]}}
            for row in rows.itertuples(index=False)]  # fmt: skip
    return {
        "@type": "cr:RecordSet", "@id": "instances", "name": "instances",
        "description": "Every fracture instance in every annotation format, as fracqa read it: "
                       "its image, its format, its order within the image and its box in "
                       "pixels (YOLO's normalised boxes scaled by the image's real size).",
        "field": [_field("instances", name, kind, description=doc)
                  for name, kind, doc in zip(names, kinds, docs, strict=True)],
        "data": data,
    }  # fmt: skip


def _image_records(set_id: str) -> dict:
    record_set = set_id.replace("-", "_")
    return {
        "@type": "cr:RecordSet", "@id": record_set, "name": record_set,
        "description": f"The radiographs of the FileSet {set_id}.",
        "key": {"@id": f"{record_set}/image_id"},
        "field": [
            _field(record_set, "image_id", "sc:Text",
                   {"fileSet": {"@id": set_id}, "extract": {"fileProperty": "filename"}},
                   "The image's file name."),
            _field(record_set, "image", "sc:ImageObject",
                   {"fileSet": {"@id": set_id}, "extract": {"fileProperty": "content"}},
                   "The radiograph."),
        ],
    }  # fmt: skip


def _checksums(digests: Mapping[str, str], sizes: Mapping[str, int]) -> dict:
    return {
        "@type": "cr:RecordSet", "@id": CHECKSUMS, "name": CHECKSUMS,
        "description": "Every file of the release, images included, with its SHA-256 and size: "
                       "a copy whose file differs is named by `fracqa audit --croissant`.",
        "key": {"@id": f"{CHECKSUMS}/path"},
        "field": [
            _field(CHECKSUMS, "path", "sc:Text", description="Relative to the release's root."),
            _field(CHECKSUMS, "sha256", "sc:Text", description="SHA-256, hexadecimal."),
            _field(CHECKSUMS, "bytes", "sc:Integer", description="The file's size."),
        ],
        "data": [{f"{CHECKSUMS}/path": file, f"{CHECKSUMS}/sha256": digest,
                  f"{CHECKSUMS}/bytes": sizes[file]} for file, digest in digests.items()],
    }  # fmt: skip


def _counts(counts: Mapping[str, int]) -> dict:
    return {
        "@type": "cr:RecordSet", "@id": COUNTS, "name": COUNTS,
        "description": "The records of each table: dataset.csv's rows, each split file's ids.",
        "key": {"@id": f"{COUNTS}/file"},
        "field": [_field(COUNTS, "file", "sc:Text", description="Relative to the release's root."),
                  _field(COUNTS, "records", "sc:Integer")],
        "data": [{f"{COUNTS}/file": file, f"{COUNTS}/records": n} for file, n in counts.items()],
    }  # fmt: skip


def write_description(root: Path, output: Path, options) -> tuple[dict, str]:
    """Load the release at `root` (the tables that hold every file's digest) and describe it,
    for writing at `output` (stdout: paths relative to the current folder), with the metadata
    of `options.croissant_metadata`."""
    from fracqa.layout import locate
    from fracqa.release import load_release

    layout = locate(root)
    release = load_release(layout, options.settings, NEEDS)
    where = Path("croissant.json") if str(output) == "-" else Path(output)
    document = describe(release, where, options.croissant_metadata)
    return document, render(document)
