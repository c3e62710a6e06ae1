"""The shape every annotation loader fills: instances, per-image entries, and problems.

`instances` has one row per annotated instance per format: format, image_id, instance (its
order within the image and format), file and location (where it is written), the box as pixel
corners x0, y0, x1, y1 as written (not reordered), the polygon's rings and shapely geometry
where the format has one, and `malformed` for an entry that could not be read but still counts.
`entries` has one row per image a format speaks of: a COCO image, a VGG entry, a YOLO or VOC
file, with the size and file name it states.
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import shapely

from fracqa.load.files import read_document
from fracqa.model import Hit

INSTANCE_COLUMNS = (
    "format", "image_id", "instance", "file", "location", "x0", "y0", "x1", "y1", "rings",
    "polygon", "malformed", "extra",
)  # fmt: skip
ENTRY_COLUMNS = ("format", "image_id", "file", "location", "width", "height", "filename", "extra")
FORMAT_LABEL = {"coco": "COCO", "vgg": "VGG", "yolo": "YOLO", "voc": "VOC"}


class Text(NamedTuple):
    """A text a format's files hold beside the geometry (for the privacy rules)."""

    file: str
    location: str | None
    field: str  # where in the file: `info.description`, `<owner>/<name>`, ...
    value: str
    image_id: str | None

    @classmethod
    def of(cls, file: str, location: str | None, field: str, value: str,
           image_id: str | None) -> Text:  # fmt: skip
        """A text, its field name and short value kept once however many files repeat them
        (ten times the release's VOC files hold hundreds of thousands of `<folder>Fractured`)."""
        return cls(file, location, sys.intern(field),
                   sys.intern(value) if len(value) <= SHARED_TEXT else value, image_id)


SHARED_TEXT = 64  # values up to this long are interned


@dataclass
class FormatSource:
    """What one format's loader read from its folder."""

    fmt: str
    present: bool = True  # the format's folder exists
    instances: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[str, Hit]] = field(default_factory=list)
    classes: list[dict[str, Any]] = field(default_factory=list)  # COCO categories, YOLO classes
    digests: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of what was read
    broken_files: set[str] = field(default_factory=set)  # release-wide files that failed to parse
    unreadable_images: set[str] = field(default_factory=set)  # images whose own file failed
    # text the format's files hold beside geometry, for the privacy rules: dicts of file,
    # location, field (where in the entry: `info.contributor`, `<owner>/<name>`), value, image_id
    texts: list[Text] = field(default_factory=list)

    def problem(self, code: str, message: str, file: str, location: str | None = None,
                image_id: str | None = None, **details) -> None:  # fmt: skip
        self.problems.append((code, Hit(message, image_id, file, location, details)))

    def add_instance(self, image_id, file, location, box=None, rings=None, malformed=False,
                     **extra) -> None:  # fmt: skip
        x0, y0, x1, y1 = box if box is not None else (math.nan,) * 4
        self.instances.append(
            {
                "format": self.fmt, "image_id": image_id, "instance": 0, "file": file,
                "location": location, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                "rings": rings, "polygon": None, "malformed": malformed,
                "extra": extra,
            }
        )  # fmt: skip

    def absorb(self, part: FormatSource) -> None:
        """Add what the loader read from some of the format's files (in a worker process)."""
        self.instances.extend(part.instances)
        self.entries.extend(part.entries)
        self.problems.extend(part.problems)
        self.unreadable_images |= part.unreadable_images
        self.digests.update(part.digests)
        self.texts.extend(Text.of(*text) for text in part.texts)  # interned here too

    def add_texts(self, file: str, location: str | None, field_name: str, value: Any,
                  image_id: str | None = None, skip: tuple[str, ...] = ()) -> None:  # fmt: skip
        """Record every text (and every number of six digits or more) in `value`, a JSON
        value, under `field_name` (`info.description`, `regions[0].region_attributes.note`),
        leaving out the keys in `skip` at its top level."""
        for name, text in text_leaves(value, field_name, skip):
            self.texts.append(Text.of(file, location, name, text, image_id))

    def read(self, path, file: str) -> bytes:
        """The bytes of one of the format's files, its digest recorded for the report."""
        data = read_document(path)
        self.digests[file] = hashlib.sha256(data).hexdigest()
        return data

    def add_entry(self, image_id, file, location=None, width=None, height=None, filename=None,
                  **extra) -> None:  # fmt: skip
        self.entries.append(
            {
                "format": self.fmt, "image_id": image_id, "file": file, "location": location,
                "width": width, "height": height, "filename": filename, "extra": extra,
            }
        )  # fmt: skip


class Tally:
    """The occurrences of each cause of a problem in one release-wide file (COCO, VGG), reported
    as one problem per cause that names where it occurs, not one per entry: a file written
    with every bbox as text is one thing to fix, not a thousand."""

    SHOWN = 50  # locations and images listed in a problem's details

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], list[tuple[str, str | None]]] = {}

    def add(self, code: str, cause: str, location: str, image_id: str | None = None) -> None:
        self._found.setdefault((code, cause), []).append((location, image_id))

    def report(self, source: FormatSource, file: str) -> None:
        """Record one problem per cause in `source`."""
        for (code, cause), found in self._found.items():
            locations = [location for location, _ in found]
            images = sorted({image for _, image in found if isinstance(image, str)})
            where = (f" ({locations[0]})" if len(found) == 1 else
                     f" ({len(found)} entries, the first {locations[0]})")  # fmt: skip
            image_id = images[0] if len(images) == 1 else None
            source.problem(code, f"{file}: {cause}{where}", file, locations[0], image_id,
                           count=len(found), locations=locations[:self.SHOWN],
                           images=images[:self.SHOWN])  # fmt: skip
        self._found = {}


class PendingSource:
    """A format whose per-image files are being read in worker processes, chunk by chunk
    (`parts`: a workers.Chunks of (path, file, image_id) items, or a list of pending results)."""

    def __init__(self, source: FormatSource, parts):
        self._source, self._parts = source, parts

    def result(self) -> FormatSource:
        """The whole source, once every chunk is read. A file whose reading killed the worker
        process twice (see fracqa.workers) is not read: it is an ANN001 problem."""
        if hasattr(self._parts, "results"):
            found = self._parts.results(self._not_read)
        else:
            found = [part.result() for part in self._parts]
        for part in found:
            self._source.absorb(part)
        self._parts = []
        return self._source

    def _not_read(self, item: tuple, how: str) -> FormatSource:
        _, file, image_id = item
        part = FormatSource(self._source.fmt)
        part.problem("ANN001", f"{file} killed the process reading it, twice ({how}): not read",
                     file, image_id=image_id, killed_reader=True, how=how)  # fmt: skip
        part.unreadable_images.add(image_id)
        return part


def text_leaves(value: Any, name: str, skip: tuple[str, ...] = (), depth: int = 0):
    """(field, text) for every string in a JSON value, keys named in dotted form; a number
    of six digits or more counts as text (a record number written as a number)."""
    if depth > 8:
        return
    if isinstance(value, str):
        if value.strip():
            yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if depth == 0 and key in skip:
                continue
            yield from text_leaves(item, f"{name}.{key}" if name else str(key), (), depth + 1)
    elif isinstance(value, list):
        for position, item in enumerate(value[:1000]):
            yield from text_leaves(item, f"{name}[{position}]", (), depth + 1)
    elif is_integer(value) and abs(value) >= 100_000:
        yield name, str(value)


def geometries(all_rings: list) -> list:
    """The shapely geometry of each instance's polygon rings (see `geometry`), the usual case
    of one ring made in one vectorised call: one by one, shapely takes longer than reading."""
    found: list = [None] * len(all_rings)
    single = []
    for i, rings in enumerate(all_rings):
        if rings and len(rings) == 1 and len(rings[0]) >= 3:
            single.append(i)
        elif rings:
            found[i] = geometry(rings)
    if single:
        lengths = [len(all_rings[i][0]) for i in single]
        coordinates = np.array([point for i in single for point in all_rings[i][0]], dtype=float)
        rings = shapely.linearrings(coordinates, indices=np.repeat(np.arange(len(single)),
                                                                   lengths))  # fmt: skip
        for i, polygon in zip(single, shapely.polygons(rings), strict=True):
            found[i] = polygon
    return found


def geometry(rings: list[list[tuple[float, float]]] | None):
    """The shapely geometry of polygon rings (None when no ring has three points)."""
    if not rings:
        return None
    polygons = [shapely.Polygon(ring) for ring in rings if len(ring) >= 3]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def is_integer(value: Any) -> bool:
    """A JSON integer (true and false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def number(value: Any) -> float | None:
    """A finite number from JSON/XML/text, or None."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


@dataclass
class Annotations:
    """Every format's instances and entries in two tables, and what could not be read."""

    instances: pd.DataFrame
    entries: pd.DataFrame
    sources: dict[str, FormatSource]

    @classmethod
    def of(cls, sources: list[FormatSource]) -> Annotations:
        instances = pd.DataFrame(
            [row for s in sources for row in s.instances], columns=INSTANCE_COLUMNS
        )
        instances["instance"] = instances.groupby(["format", "image_id"], dropna=False).cumcount()
        instances["polygon"] = geometries(instances["rings"].tolist())
        entries = pd.DataFrame([row for s in sources for row in s.entries], columns=ENTRY_COLUMNS)
        for source in sources:  # the tables hold them now; at 10x the lists alone weigh 100 MB
            source.instances, source.entries = [], []
        return cls(instances, entries, {s.fmt: s for s in sources})

    def place_yolo_boxes(self, sizes: dict[str, tuple[int, int]]) -> None:
        """Give every well-formed YOLO instance its pixel box, from its image's real size
        (instances of images of unknown size keep none)."""
        table = self.instances
        rows = table[(table["format"] == "yolo") & ~table["malformed"].astype(bool)]
        rows = rows[rows["image_id"].isin(sizes.keys())]
        if rows.empty:
            return
        cx, cy, w, h = np.array([extra["normalised"] for extra in rows["extra"]]).T
        width, height = np.array([sizes[image_id] for image_id in rows["image_id"]]).T
        table.loc[rows.index, ["x0", "y0", "x1", "y1"]] = np.column_stack(
            [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
             (cy + h / 2) * height]
        )  # fmt: skip

    def only(self, formats: set[str] | frozenset[str], yolo_pixels: bool = True) -> Annotations:
        """These annotations restricted to `formats`; without `yolo_pixels`, YOLO instances
        keep no pixel box (as when the images' sizes are not known)."""
        instances = self.instances[self.instances["format"].isin(formats)]
        if not yolo_pixels and (instances["format"] == "yolo").any():
            instances = instances.copy()
            instances.loc[instances["format"] == "yolo", ["x0", "y0", "x1", "y1"]] = math.nan
        entries = self.entries[self.entries["format"].isin(formats)]
        sources = {fmt: source for fmt, source in self.sources.items() if fmt in formats}
        return Annotations(instances, entries, sources)

    def problems(self, code: str, formats=None):
        """The problems tagged `code` of the loaders of `formats` (every format by default)."""
        for fmt, source in self.sources.items():
            if formats is None or fmt in formats:
                yield from (hit for problem_code, hit in source.problems if problem_code == code)

    def digest(self, fmt: str) -> str | None:
        """One SHA-256 over the names and contents of every file the format's loader read."""
        source = self.sources.get(fmt)
        if source is None or not source.present:
            return None
        combined = hashlib.sha256()
        for file, digest in sorted(source.digests.items()):
            combined.update(f"{file}\0{digest}\n".encode())
        return combined.hexdigest()

    def readable(self, fmt: str) -> bool:
        """The format's folder exists and none of its release-wide files failed to parse, so
        that an image it does not mention is really not annotated in it."""
        source = self.sources.get(fmt)
        return bool(source and source.present and not source.broken_files)
