"""YOLO: classes.txt and one .txt per image, a line `class cx cy w h` per instance, normalised
by the image's size. Pixel boxes need the image's real size, which the image scan gives later:
`Annotations.place_yolo_boxes` adds them."""

from __future__ import annotations

from pathlib import Path

from fracqa.layout import Layout
from fracqa.load.annotation_table import FormatSource, PendingSource, number
from fracqa.load.files import Unreadable, as_text, files_in
from fracqa.workers import Done, Workers

CLASSES_FILE = "classes.txt"


def load_yolo(layout: Layout, workers: Workers | None = None) -> PendingSource:
    """classes.txt and every other .txt of the YOLO folder, read by `workers` in chunks (in this
    process without)."""
    folder, relative = layout.annotation_dirs.get("yolo"), layout.relative
    source = FormatSource("yolo", present=folder is not None)
    if folder is None:
        return PendingSource(source, [])
    _load_classes(folder / CLASSES_FILE, relative, source)
    prefix = relative(folder)
    files = [(path, f"{prefix}/{name}", f"{name[:-4]}.jpg")
             for name, path in files_in(folder, ".txt", layout.root) if name != CLASSES_FILE]
    parts = workers.in_chunks(_load_files, files) if workers else [Done(_load_files(files))]
    return PendingSource(source, parts)


def _load_files(files: list[tuple[Path, str, str]]) -> FormatSource:
    source = FormatSource("yolo")
    for path, file, image_id in files:
        _load_file(path, file, image_id, source)
    return source


def _load_classes(path: Path, relative, source: FormatSource) -> None:
    file = relative(path)
    try:
        names = [line.strip() for line in as_text(source.read(path, file)).splitlines()
                 if line.strip()]  # fmt: skip
    except Unreadable as error:
        if path.exists():
            source.problem("ANN001", f"{file} {error}", file)
        return
    source.classes.extend({"file": file, "id": i, "name": n} for i, n in enumerate(names))


def _load_file(path: Path, file: str, image_id: str, source: FormatSource) -> None:
    try:
        text = as_text(source.read(path, file))
    except Unreadable as error:
        source.problem("ANN001", f"{file} {error}", file, image_id=image_id)
        source.unreadable_images.add(image_id)
        return
    source.add_entry(image_id, file, filename=image_id)
    for line_number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            _load_line(line, line_number, image_id, file, source)


def _load_line(line: str, line_number: int, image_id: str, file: str,
               source: FormatSource) -> None:  # fmt: skip
    location = f"line {line_number}"
    fields = line.split()
    values = [number(v) for v in fields]
    if len(fields) != 5 or None in values:
        what = (f"has {len(fields)} fields where `class cx cy w h` has 5" if len(fields) != 5
                else "has a value that is not a finite number")  # fmt: skip
        source.problem("ANN002", f"{file} {location} {what}: {line.strip()[:80]!r}", file,
                       location, image_id, line=line.strip()[:200])  # fmt: skip
        source.add_instance(image_id, file, location, malformed=True)
        return
    cls, cx, cy, w, h = values
    source.add_instance(image_id, file, location, yolo_class=cls, normalised=[cx, cy, w, h])
