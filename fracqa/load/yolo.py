"""YOLO: classes.txt and one .txt per image, a line `class cx cy w h` per instance, normalised
by the image's size. Pixel boxes need the image's real size, which the image scan gives later:
`Annotations.place_yolo_boxes` adds them.

Read as the YOLO trainers read it (ultralytics: `[x.split() for x in f.read().strip().splitlines()
if len(x)]`, then one float array): blank lines around the boxes and any whitespace between
fields are harmless. What fracqa reads although a trainer would not is a problem: a byte-order
mark (ANN020: the first value becomes '\\ufeff0', the trainer drops the whole file as corrupt),
a line of spaces between two boxes (ANN024: the rows no longer make an array, same outcome), a
classes.txt name with spaces around it or after a blank line (ANN024).
"""

from __future__ import annotations

from pathlib import Path

from fracqa.layout import Layout
from fracqa.load.annotation_table import FormatSource, PendingSource, number
from fracqa.load.files import BOM, Unreadable, as_text, files_in
from fracqa.workers import Done, Workers

CLASSES_FILE = "classes.txt"


def load_yolo(layout: Layout, workers: Workers | None = None) -> PendingSource:
    """classes.txt and every other .txt of the YOLO folder, read by `workers` in chunks (in this
    process without)."""
    folder, relative = layout.annotation_dirs.get("yolo"), layout.relative
    source = FormatSource("yolo", present=folder is not None)
    if folder is None:
        return PendingSource(source, [])
    listed = files_in(folder, ".txt", layout.root)
    spelt = [name for name, _ in listed if name.lower() == CLASSES_FILE]  # LAY008 notes others
    _load_classes(folder / (CLASSES_FILE if CLASSES_FILE in spelt or not spelt else spelt[0]),
                  relative, source)  # fmt: skip
    prefix = relative(folder)
    files = [(path, f"{prefix}/{name}", f"{name[:-4]}.jpg")
             for name, path in listed if name.lower() != CLASSES_FILE]  # fmt: skip
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
        data = source.read(path, file)
        lines = as_text(data).splitlines()
    except Unreadable as error:
        if path.exists():
            source.problem("ANN001", f"{file} {error}", file)
        return
    if data.startswith(BOM):
        source.problem("ANN020", f"{file} starts with a UTF-8 byte-order mark: a reader of the "
                                 "class names gets '\\ufeff' + the first name", file, "line 1")
    names = [line.strip() for line in lines if line.strip()]
    first = next((n for n, line in enumerate(lines, start=1) if line.strip()), None)
    if first is not None and first > 1:
        source.problem("ANN024", f"{file} has {first - 1} blank line(s) before its first class "
                                 "name: fracqa skips them, darknet's and other readers that "
                                 "number the lines of classes.txt make each blank line a class, "
                                 f"so {names[0]!r} is no longer class 0", file, f"line {first}",
                       line=first)  # fmt: skip
    for position, line in enumerate(lines, start=1):
        if line.strip() and line.strip() != line:
            source.problem("ANN024", f"{file} line {position} has spaces around the class name "
                                     f"({line!r}): fracqa strips them, a reader of the file "
                                     f"gets {line!r}, not {line.strip()!r}", file,
                           f"line {position}", line=line)  # fmt: skip
    source.classes.extend({"file": file, "id": i, "name": n} for i, n in enumerate(names))


def _load_file(path: Path, file: str, image_id: str, source: FormatSource) -> None:
    try:
        data = source.read(path, file)
        text = as_text(data)
    except Unreadable as error:
        source.problem("ANN001", f"{file} {error}", file, image_id=image_id)
        source.unreadable_images.add(image_id)
        return
    source.add_entry(image_id, file, filename=image_id)
    if data.startswith(BOM):
        source.problem("ANN020", f"{file} starts with a UTF-8 byte-order mark: a YOLO trainer "
                                 "reads its first value as '\\ufeff0', cannot make it a number "
                                 "and drops the whole file as corrupt (ultralytics: 'ignoring "
                                 "corrupt image/label'): the image trains as if it had no "
                                 "fracture", file, "line 1", image_id)  # fmt: skip
    spaces = None  # the first line of spaces met since the last box
    for line_number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if spaces is not None:
                _line_of_spaces(spaces, file, image_id, source)
                spaces = None
            _load_line(line, line_number, image_id, file, source)
        elif line and spaces is None and source.instances and _after_a_box(source, file):
            spaces = line_number


def _after_a_box(source: FormatSource, file: str) -> bool:
    return source.instances[-1]["file"] == file


def _line_of_spaces(line_number: int, file: str, image_id: str, source: FormatSource) -> None:
    source.problem("ANN024", f"{file} line {line_number} holds only spaces, between two boxes: "
                             "fracqa skips it, but a YOLO trainer splits it into no fields, the "
                             "rows no longer make one array, and the whole file is dropped as "
                             "corrupt (ultralytics: 'ignoring corrupt image/label')", file,
                   f"line {line_number}", image_id)  # fmt: skip


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
