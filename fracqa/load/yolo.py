"""YOLO: classes.txt and one .txt per image, a line `class cx cy w h` per instance, normalised
by the image's size (taken from the image's own header to give pixel boxes)."""

from __future__ import annotations

from pathlib import Path

from fracqa.load.annotation_table import FormatSource, number
from fracqa.load.files import Unreadable, read_text

CLASSES_FILE = "classes.txt"


def load_yolo(folder: Path | None, relative, sizes: dict[str, tuple[int, int]]) -> FormatSource:
    """`sizes` maps image_id to the real (width, height) of the image."""
    source = FormatSource("yolo", present=folder is not None)
    if folder is None:
        return source
    _load_classes(folder / CLASSES_FILE, relative, source)
    for path in sorted(folder.glob("*.txt")):
        if path.name != CLASSES_FILE:
            _load_file(path, relative(path), f"{path.stem}.jpg", sizes, source)
    return source


def _load_classes(path: Path, relative, source: FormatSource) -> None:
    file = relative(path)
    try:
        names = [line.strip() for line in read_text(path).splitlines() if line.strip()]
    except Unreadable as error:
        if path.exists():
            source.problem("ANN001", f"{file} {error}", file)
        return
    source.classes.extend({"file": file, "id": i, "name": n} for i, n in enumerate(names))


def _load_file(path: Path, file: str, image_id: str, sizes, source: FormatSource) -> None:
    try:
        text = read_text(path)
    except Unreadable as error:
        source.problem("ANN001", f"{file} {error}", file, image_id=image_id)
        source.unreadable_images.add(image_id)
        return
    source.add_entry(image_id, file, filename=image_id)
    size = sizes.get(image_id)
    for line_number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            _load_line(line, line_number, image_id, file, size, source)


def _load_line(line: str, line_number: int, image_id: str, file: str, size,
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
    box = None
    if size:
        width, height = size
        box = ((cx - w / 2) * width, (cy - h / 2) * height,
               (cx + w / 2) * width, (cy + h / 2) * height)  # fmt: skip
    source.add_instance(image_id, file, location, box, yolo_class=cls,
                        normalised=[cx, cy, w, h])  # fmt: skip
