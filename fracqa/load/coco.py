"""COCO JSON: every .json in Annotations/COCO JSON, indexed with pycocotools.

Entries that lack a required key or carry the wrong type are problems (ANN002) and are left
out of the index; an annotation that cannot be read still counts towards its image's instances.
Ids are indexed as written, as pycocotools indexes them: an id written as a string ("1") is
read as that string, so string ids written alike still match each other (one ANN035 problem for
the file). An image's width or height that is not an integer is an ANN002 problem for the file
(pycocotools' annToRLE fails on it) but keeps the entry, read with the number when it is one.
Annotations without `iscrowd` or `area` (COCOeval fails on them) are one ANN002 problem for the
file. What is read although a plain reader would read it otherwise is a problem too: a
byte-order mark, NaN or a repeated key (ANN020, see json_text), an RLE mask for a single object
(ANN021), numbers written as strings (ANN022), integers written as floats (ANN023).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from pycocotools.coco import COCO

from fracqa.layout import Layout, json_files
from fracqa.load.annotation_table import FormatSource, Tally, is_integer, number
from fracqa.load.files import Unreadable
from fracqa.load.json_text import load_json
from fracqa.workers import Done, Workers


def load_coco(layout: Layout, workers: Workers | None = None) -> Done:
    """The documented .json of the folder (every .json when it is not there), read here (one
    release-wide file is not worth splitting)."""
    folder, relative = layout.annotation_dirs.get("coco"), layout.relative
    source = FormatSource("coco", present=folder is not None)
    for _, path in json_files(folder, "coco", layout.root) if folder else []:
        _load_file(Path(path), relative(Path(path)), source)
    return Done(source)


def _load_file(path: Path, file: str, source: FormatSource) -> None:
    document = _parse(path, file, source)
    if document is None:
        return
    tally, texts = Tally(), _Texts()
    _texts(document, file, source)
    images = _images(document["images"], file, source, tally, texts)
    annotations = _annotations(document["annotations"], file, source, tally, texts)
    categories = _categories(document["categories"], file, source, tally, texts)
    index = _index(images, annotations, categories)
    names = {coco_id: image["file_name"] for coco_id, image in index.imgs.items()}
    unevaluable = []
    for annotation in annotations:
        image_id, location = _add_annotation(annotation, names, file, source, tally)
        missing = [key for key in ("iscrowd", "area") if key not in annotation]
        if missing:
            unevaluable.append((location, image_id, missing))
    texts.report(tally)
    _unevaluable(unevaluable, tally)
    tally.report(source, file)


def _unevaluable(found: list[tuple[str, str | None, list[str]]], tally: Tally) -> None:
    """One ANN002 problem for the annotations COCOeval cannot evaluate: without iscrowd or
    area (evaluateImg reads int(g['iscrowd']) and g['area'] of every annotation)."""
    keys = sorted({key for _, _, missing in found for key in missing})
    for location, image_id, _ in found:
        tally.add("ANN002", f"annotations have no {' or no '.join(map(repr, keys))}: "
                            "pycocotools' COCOeval.evaluate() reads 'iscrowd' and 'area' of "
                            f"every annotation and fails with KeyError({keys[0]!r}), so the "
                            "standard COCO evaluation cannot run on the file", location,
                  image_id)  # fmt: skip


class _Texts:
    """The ids written as JSON strings ("1"): one ANN035 problem for the file, naming the keys
    and every entry."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str | None]] = []  # (key, location, image_id)

    def add(self, section: str, key: str, location: str, image_id: str | None = None) -> None:
        self.found.append((f"{section}.{key}", location, image_id))

    def report(self, tally: Tally) -> None:
        keys = ", ".join(dict.fromkeys(key for key, _, _ in self.found))
        for _, location, image_id in self.found:
            tally.add("ANN035", f"ids are written as strings (\"1\", not 1) in {keys}: "
                                "pycocotools indexes them as written, so ids written alike "
                                "still match, but readers with typed fields (Go, Rust, Java, "
                                "a JSON schema of COCO) refuse them, and a result file with "
                                "integer image ids matches none of them (COCOeval.loadRes: "
                                "'Results do not correspond to current coco set')",
                      location, image_id)  # fmt: skip


_GEOMETRY = ("id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd",
             "width", "height")  # fmt: skip


def _texts(document: dict, file: str, source: FormatSource) -> None:
    """The text of the document beside its geometry: info, licenses, each image's file name
    and other keys, the categories, and what annotations hold beyond their geometry."""
    for key, value in document.items():
        if key in ("images", "annotations", "categories"):
            continue
        source.add_texts(file, key, key, value)
    for section in ("images", "annotations", "categories"):
        for position, entry in enumerate(document[section]):
            image_id = entry.get("file_name") if section == "images" and isinstance(
                entry, dict) else None  # fmt: skip
            if isinstance(entry, dict):
                source.add_texts(file, f"{section}[{position}]", f"{section}[{position}]", entry,
                                 image_id if isinstance(image_id, str) else None,
                                 skip=_GEOMETRY)  # fmt: skip


def _index(images: list[dict], annotations: list[dict], categories: list[dict]) -> COCO:
    """The pycocotools index of the readable entries (an annotation whose category_id is not an
    integer or a string is left out of it: pycocotools cannot index a list or an object;
    ANN003 reports it)."""
    index = COCO()
    indexable = [a for a in annotations if _is_id(a.get("category_id"))]
    index.dataset = {"images": images, "annotations": indexable, "categories": categories}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        index.createIndex()
    return index


def _parse(path: Path, file: str, source: FormatSource) -> dict | None:
    try:
        document, notes = load_json(source.read(path, file))
    except Unreadable as error:
        source.problem("ANN001", f"{file} {error}", file)
    except json.JSONDecodeError as error:
        source.problem(
            "ANN001",
            f"{file} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            file,
            f"line {error.lineno}",
        )
    else:
        lists = document if isinstance(document, dict) else {}
        missing = [k for k in ("images", "annotations", "categories")
                   if not isinstance(lists.get(k), list)]  # fmt: skip
        for location, note in notes:
            source.problem("ANN020", f"{file} {note}", file, location)
        if not missing:
            return document
        source.problem(
            "ANN001", f"{file} is not a COCO document: no {', '.join(missing)} list", file
        )
    source.broken_files.add(file)
    return None


def _images(images: list, file: str, source: FormatSource, tally: Tally,
            texts: _Texts) -> list[dict]:  # fmt: skip
    readable = []
    for position, image in enumerate(images):
        location = f"images[{position}]"
        floats: list[str] = []
        fields = _fields(image, {"id": "id", "file_name": str}, floats)
        if isinstance(fields, str):
            source.problem("ANN002", f"COCO image entry {location} {fields}", file, location)
            continue
        name = fields["file_name"]
        if isinstance(fields["id"], str):
            texts.add("images", "id", location, name)
        sizes = {key: _size(image, key, location, name, tally, floats) for key in
                 ("width", "height")}  # fmt: skip
        _tally_floats(tally, "images", floats, location, name)
        source.add_entry(
            name, file, f"image id {_shown_id(fields['id'])}", sizes["width"], sizes["height"],
            name, coco_id=fields["id"],
            **({"size_reported": True} if None in sizes.values() else {}),
        )  # fmt: skip
        readable.append({**fields, **{k: v for k, v in sizes.items() if v is not None}})
    return readable


def _size(image: dict, key: str, location: str, image_id: str, tally: Tally,
          floats: list[str]) -> int | None:  # fmt: skip
    """The entry's width or height: an integer (a float that is one noted in `floats`); or,
    reported as one ANN002 problem per cause for the file (pycocotools' annToRLE and
    frPyObjects need integers), the number a string holds, else None."""
    value = image.get(key)
    if is_integer(value):
        return value
    if isinstance(value, float) and value.is_integer():
        floats.append(key)
        return int(value)
    read = number(value) if isinstance(value, str) else None
    if key not in image:
        what = f"have no {key!r}"
    elif read is not None:
        what = f"hold {key!r} written as a string (\"373\", not 373)"
    else:
        what = f"hold a {key!r} that is not an integer ({json.dumps(value)[:30]})"
    tally.add("ANN002", f"images entries {what}: pycocotools' annToRLE and frPyObjects need "
                        "the image's size as integers and fail on it, and readers that scale "
                        "boxes by it cannot", location, image_id)  # fmt: skip
    return int(read) if read is not None and read.is_integer() else None


def _shown_id(value) -> str:
    """An id as a finding shows it: a string id in quotes."""
    return repr(value) if isinstance(value, str) else str(value)


def _categories(categories: list, file: str, source: FormatSource, tally: Tally,
                texts: _Texts) -> list[dict]:  # fmt: skip
    readable = []
    for position, category in enumerate(categories):
        floats: list[str] = []
        fields = _fields(category, {"id": "id", "name": str}, floats)
        location = f"categories[{position}]"
        if isinstance(fields, str):
            source.problem("ANN002", f"COCO category {location} {fields}", file, location)
            continue
        if isinstance(fields["id"], str):
            texts.add("categories", "id", location)
        _tally_floats(tally, "categories", floats, location)
        readable.append(fields)
    source.classes.extend({"file": file, "id": c["id"], "name": c["name"]} for c in readable)
    return readable


def _annotations(annotations: list, file: str, source: FormatSource, tally: Tally,
                 texts: _Texts) -> list[dict]:  # fmt: skip
    """The annotations that have an id and image_id pycocotools can index."""
    readable = []
    for position, annotation in enumerate(annotations):
        floats: list[str] = []
        fields = _fields(annotation, {"id": "id", "image_id": "id"}, floats)
        location = f"annotations[{position}]"
        if isinstance(fields, str):
            source.problem("ANN002", f"COCO annotation {location} {fields}", file, location)
            continue
        where = f"annotation id {_shown_id(fields['id'])}"
        for key in ("id", "image_id"):
            if isinstance(fields[key], str):
                texts.add("annotations", key, where)
        _tally_floats(tally, "annotations", floats, where)
        readable.append({**annotation, "id": fields["id"], "image_id": fields["image_id"]})
    return readable


def _tally_floats(tally: Tally, section: str, keys: list[str], location: str,
                  image_id: str | None = None) -> None:  # fmt: skip
    for key in keys:
        tally.add("ANN023", f"the {section} entries' {key!r} is written as a float (1.0, not 1) "
                            "where COCO has an integer: pycocotools reads it as the same number, "
                            "a reader with typed fields (Go, Rust, Java, a JSON schema) refuses "
                            "it", location, image_id)  # fmt: skip


def _add_annotation(annotation: dict, names: dict, file: str, source: FormatSource,
                    tally: Tally) -> tuple[str | None, str]:  # fmt: skip
    """Add the annotation's instance; its image and location."""
    image_id = names.get(annotation["image_id"])
    location = f"annotation id {_shown_id(annotation['id'])}"
    box, rings, trouble = _geometry(annotation)
    if trouble:
        source.problem("ANN002", f"COCO {location} {trouble}", file, location, image_id)
    if isinstance(annotation.get("segmentation"), dict) and not annotation.get("iscrowd"):
        source.problem("ANN021", f"COCO {location} has a run-length (RLE) mask where COCO keeps "
                                 "polygons for single objects (iscrowd 0) and the release writes "
                                 "polygons: fracqa checks its box only, and readers of polygon "
                                 "masks (detectron2 by default, torchvision's COCO references) "
                                 "fail on it", file, location, image_id)  # fmt: skip
    for key in _text_numbers(annotation):
        tally.add("ANN022", f"annotations hold numbers written as strings in {key!r} (\"12.5\", "
                            "not 12.5): fracqa reads them as numbers, but torchvision's "
                            "CocoDetection and detectron2 fail on text (or join it as text), and "
                            "pycocotools' COCOeval fails comparing a text area",
                  location, image_id)  # fmt: skip
    extra = {}
    segmentation = annotation.get("segmentation")
    if not trouble and isinstance(segmentation, dict):  # checked by _geometry: it decodes
        extra["rle"] = {"size": [int(v) for v in segmentation["size"]],
                        "counts": segmentation["counts"]}  # fmt: skip
    if "ignore" in annotation:
        extra["ignore"] = annotation["ignore"]
    source.add_instance(
        image_id, file, location, box, rings, malformed=bool(trouble),
        ann_id=annotation["id"], coco_image_id=annotation["image_id"],
        category_id=annotation.get("category_id"), area=number(annotation.get("area")),
        iscrowd=annotation.get("iscrowd"),
        **extra,
    )  # fmt: skip
    return image_id, location


def _text_numbers(annotation: dict) -> list[str]:
    """The keys of the annotation whose numbers fracqa read from JSON strings."""
    found = []
    bbox, segmentation = annotation.get("bbox"), annotation.get("segmentation")
    if isinstance(bbox, list) and any(isinstance(v, str) for v in bbox):
        found.append("bbox")
    if isinstance(segmentation, list) and any(
        isinstance(v, str) for ring in segmentation if isinstance(ring, list) for v in ring
    ):
        found.append("segmentation")
    if isinstance(annotation.get("area"), str) and number(annotation["area"]) is not None:
        found.append("area")
    return found


def _geometry(annotation: dict):
    """The box (corners), the polygon rings, and what is wrong with them, if anything."""
    bbox = annotation.get("bbox")
    values = [number(v) for v in bbox] if isinstance(bbox, list) else []
    if len(values) != 4 or None in values:
        return None, None, f"has no bbox of four numbers (bbox is {json.dumps(bbox)[:60]})"
    x, y, w, h = values
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, dict):  # run-length encoded mask: no polygon to compare
        return (x, y, x + w, y + h), None, _rle_trouble(segmentation)
    if (not isinstance(segmentation, list) or not segmentation
            or not all(isinstance(r, list) for r in segmentation)):  # fmt: skip
        return (x, y, x + w, y + h), None, "has no polygon segmentation"
    rings = []
    for ring in segmentation:
        coordinates = [number(v) for v in ring]
        if None in coordinates or len(coordinates) % 2:
            return (x, y, x + w, y + h), None, "has a polygon with non-numeric or odd coordinates"
        rings.append(list(zip(coordinates[0::2], coordinates[1::2], strict=True)))
    return (x, y, x + w, y + h), rings, None


MAX_RUN = 2**32 - 1  # pycocotools keeps each run in an unsigned 32-bit integer


def _rle_trouble(rle: dict) -> str | None:
    """What keeps a run-length encoding from decoding to its own size (pycocotools would read
    or write past its buffers), or None: `size` is [height, width] of positive integers and the
    runs, a list of integers or pycocotools' compressed string, cover exactly height x width
    pixels."""
    size, counts = rle.get("size"), rle.get("counts")
    if (not isinstance(size, list) or len(size) != 2 or not all(is_integer(v) for v in size)
            or not all(0 < v <= MAX_RUN for v in size)):  # fmt: skip
        return f"has a run-length mask whose size is not [height, width] ({json.dumps(size)[:40]})"
    if isinstance(counts, list):
        runs = counts if all(is_integer(v) and 0 <= v <= MAX_RUN for v in counts) else None
    elif isinstance(counts, str):
        runs = _compressed_runs(counts)
    else:
        runs = None
    if runs is None:
        return "has a run-length mask whose counts cannot be decoded"
    if sum(runs) != size[0] * size[1]:
        return (f"has a run-length mask whose runs cover {sum(runs)} pixels, not its "
                f"{size[0]}x{size[1]}")
    return None


def _compressed_runs(text: str) -> list[int] | None:
    """The runs of pycocotools' compressed RLE string (rleFrString), or None when the string
    is not one: characters outside '0'..'o', a number cut short, or a negative run."""
    runs: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(text) or not 48 <= ord(text[position]) < 112:
                return None
            code = ord(text[position]) - 48
            value |= (code & 0x1F) << shift
            more = bool(code & 0x20)
            position += 1
            shift += 5
            if not more and code & 0x10:
                value |= -1 << shift
        if len(runs) > 2:
            value += runs[-2]
        if not 0 <= value <= MAX_RUN:
            return None
        runs.append(value)
    return runs


def _fields(entry, wanted: dict[str, type | str], floats: list[str]) -> dict | str:
    """The entry's wanted keys, or a description of the first one missing or mistyped; an
    integer written as a float (1.0) is read as the integer and its key added to `floats`. An
    "id" key is an integer or, as pycocotools indexes it as written, a string."""
    if not isinstance(entry, dict):
        return "is not an object"
    for key, kind in wanted.items():
        value = entry.get(key)
        if key not in entry:
            return f"has no {key!r}"
        if kind == "id" and isinstance(value, str):
            continue
        if kind in (int, "id") and (isinstance(value, bool) or not isinstance(value, int)):
            if isinstance(value, float) and value.is_integer():
                floats.append(key)
                continue
            return f"has {key!r} = {json.dumps(value)[:40]}, not an integer"
        if kind is str and not isinstance(value, str):
            return f"has {key!r} = {json.dumps(value)[:40]}, not a string"
    return {key: (int(entry[key]) if isinstance(entry[key], float) else entry[key])
            for key in wanted}


def _is_id(value) -> bool:
    """A value pycocotools can index an entry by as an id: an integer or a string."""
    return is_integer(value) or isinstance(value, str)
