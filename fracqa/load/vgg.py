"""VGG JSON (VIA project files): every .json in Annotations/VGG JSON, one entry per image.

Read as VIA reads it (a whole project or just its image metadata; regions as a list or, as VIA 1
and makesense.ai write them, an object keyed by position). What is read although a plain reader
would read it otherwise is a problem: a byte-order mark, NaN or a repeated key (ANN020), a region
that is a rect or a polyline rather than a polygon (ANN021), numbers written as strings (ANN022).
"""

from __future__ import annotations

import json
from pathlib import Path

from fracqa.layout import Layout, json_files
from fracqa.load.annotation_table import FormatSource, Tally, number
from fracqa.load.files import Unreadable
from fracqa.load.json_text import load_json
from fracqa.workers import Done, Workers


def load_vgg(layout: Layout, workers: Workers | None = None) -> Done:
    """The documented .json of the folder (every .json when it is not there), read here (one
    release-wide file is not worth splitting)."""
    folder, relative = layout.annotation_dirs.get("vgg"), layout.relative
    source = FormatSource("vgg", present=folder is not None)
    for _, path in json_files(folder, "vgg", layout.root) if folder else []:
        _load_file(Path(path), relative(Path(path)), source)
    return Done(source)


def _load_file(path: Path, file: str, source: FormatSource) -> None:
    try:
        document, notes = load_json(source.read(path, file))
    except (Unreadable, json.JSONDecodeError) as error:
        source.problem("ANN001", f"{file} {_why(error)}", file)
        source.broken_files.add(file)
        return
    for location, note in notes:
        source.problem("ANN020", f"{file} {note}", file, location)
    if isinstance(document, dict) and isinstance(document.get("_via_img_metadata"), dict):
        document = document["_via_img_metadata"]  # a whole VIA project, not just its images
    if not isinstance(document, dict):
        source.problem("ANN001", f"{file} is not a VGG (VIA) document: not an object", file)
        source.broken_files.add(file)
        return
    tally = Tally()
    for key, entry in document.items():
        _load_entry(key, entry, file, source, tally)
    tally.report(source, file)


def _why(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    return str(error)


def _load_entry(key: str, entry, file: str, source: FormatSource, tally: Tally) -> None:
    location = f"entry {key!r}"
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        source.problem("ANN002", f"VGG {location} has no filename", file, location)
        return
    image_id = entry["filename"]
    regions = entry.get("regions")
    regions = list(regions.values()) if isinstance(regions, dict) else regions
    source.add_texts(file, location, "", {
        "filename": image_id, "file_attributes": entry.get("file_attributes"),
        **{f"regions[{n}].region_attributes": r.get("region_attributes")
           for n, r in enumerate(regions if isinstance(regions, list) else [])
           if isinstance(r, dict)}}, image_id)  # fmt: skip
    source.add_entry(image_id, file, location, filename=image_id, size=entry.get("size"),
                     key=key)  # fmt: skip
    if "regions" not in entry:
        source.problem("ANN002", f"VGG {location} has no 'regions' (VIA writes an empty list for "
                                 "an image without regions; readers that take entry['regions'] "
                                 "fail)", file, location, image_id)  # fmt: skip
        return
    regions = entry["regions"]
    if isinstance(regions, dict):  # VIA 1 keeps regions in an object keyed by position
        regions = list(regions.values())
    if not isinstance(regions, list):
        source.problem("ANN002", f"VGG {location} has no list of regions", file, location,
                       image_id)  # fmt: skip
        return
    for position, region in enumerate(regions):
        _load_region(region, image_id, file, f"{location} region {position}", source, tally)


def _load_region(region, image_id: str, file: str, location: str, source: FormatSource,
                 tally: Tally) -> None:  # fmt: skip
    shape = region.get("shape_attributes") if isinstance(region, dict) else None
    shape = shape if isinstance(shape, dict) else {}
    name = shape.get("name")
    if name in ("polygon", "polyline"):
        xs, ys = shape.get("all_points_x"), shape.get("all_points_y")
        points = _points(xs, ys)
        if points is not None:
            _tally_text(tally, shape, ("all_points_x", "all_points_y"), location, image_id)
            if name == "polyline":
                source.problem("ANN021", f"VGG {location} is a polyline, not a polygon: fracqa "
                                         "closes it, VIA draws it open, and converters that "
                                         "expect closed polygons read a line",
                               file, location, image_id, shape=name)  # fmt: skip
            source.add_instance(image_id, file, location, _bounds(points), [points])
            return
    elif name == "rect":
        x, y, w, h = (number(shape.get(k)) for k in ("x", "y", "width", "height"))
        if None not in (x, y, w, h):
            _tally_text(tally, shape, ("x", "y", "width", "height"), location, image_id)
            source.problem("ANN021", f"VGG {location} is a rect, not a polygon: fracqa takes it "
                                     "as a box, but the readers of VIA polygons (Mask R-CNN's, "
                                     "via2coco) read all_points_x/all_points_y and fail on it, "
                                     "and it carries no fracture outline",
                           file, location, image_id, shape=name)  # fmt: skip
            source.add_instance(image_id, file, location, (x, y, x + w, y + h))
            return
    source.problem("ANN002", f"VGG {location} has no readable polygon or rectangle", file,
                   location, image_id)  # fmt: skip
    source.add_instance(image_id, file, location, malformed=True)


def _tally_text(tally: Tally, shape: dict, keys: tuple[str, ...], location: str,
                image_id: str) -> None:  # fmt: skip
    """Note the keys of the shape whose numbers fracqa read from JSON strings."""
    for key in keys:
        value = shape.get(key)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) for v in values):
            tally.add("ANN022", f"regions hold numbers written as strings in {key!r} (\"12.5\", "
                                "not 12.5): fracqa reads them as numbers, VIA and the readers "
                                "of VIA files (Mask R-CNN's, via2coco) get text and fail or "
                                "misdraw", location, image_id)  # fmt: skip


def _points(xs, ys) -> list[tuple[float, float]] | None:
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys):
        return None
    points = [(number(x), number(y)) for x, y in zip(xs, ys, strict=True)]
    return None if any(None in p for p in points) else points


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)
