"""YOLO: classes.txt and one .txt per image, a line `class cx cy w h` per instance, normalised
by the image's size. Pixel boxes need the image's real size, which the image scan gives later:
`Annotations.place_yolo_boxes` adds them.

Read as the YOLO trainers read it (ultralytics: `[x.split() for x in f.read().strip().splitlines()
if len(x)]`, then one float array; darknet: fscanf("%d %f %f %f %f") until it fails): blank
lines around the boxes and spaces, tabs, form feeds and vertical tabs between fields are
harmless to both. What fracqa reads although a trainer would not is a problem: a byte-order
mark (ANN020: the first value becomes '\\ufeff0', the trainer drops the whole file as corrupt),
a line of spaces between two boxes (ANN024: the rows no longer make an array, same outcome), a
character ultralytics takes as a line break or a space but darknet as neither (ANN024: U+2028,
\\x1c, a no-break space; fracqa reads as ultralytics does), a class written as a float (ANN022:
darknet's %d reads `0` of `0.0` and every value after it shifts), a classes.txt name with spaces
around it or after a blank line (ANN024). Lines that are no box (a comment, a polygon, a wrong
number of fields, a value that is not a number) are one problem per file (ANN002), which says
what ultralytics and darknet make of the whole file; a comment line is no instance, every
other such line counts as one.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from fracqa.layout import Layout
from fracqa.load.annotation_table import FormatSource, PendingSource, number
from fracqa.load.files import BOM, Unreadable, as_text, files_in, text_lines
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
        lines = text_lines(as_text(data))
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
    found = _Lines(file, image_id, text)
    lines = []
    for line_number, physical in enumerate(text_lines(text), start=1):
        for char in physical:
            if char.isspace() and char not in C_SPACE:
                found.odd.setdefault(char, line_number)
        # ultralytics splits the text with str.splitlines(): read as it reads, but for a box
        # that such a line break cuts in two (darknet and a reader of lines read the box)
        pieces = physical.splitlines() or [""]
        if len(pieces) > 1 and _is_box(physical) and not all(
                _is_box(piece) or not piece.strip() for piece in pieces):  # fmt: skip
            breaks = [c for c in physical if c in _BREAKS]
            found.broken.setdefault(breaks[0], line_number)
            pieces = [physical]
        lines.extend((line_number, line) for line in pieces)
    spaces = None  # the first line of spaces met since the last box
    for line_number, line in lines:
        if line.strip():
            if spaces is not None:
                _line_of_spaces(spaces, file, image_id, source)
                spaces = None
            found.add(line, line_number, source)
        elif line and spaces is None and found.rows:
            spaces = line_number
    found.report(source)


# What C's isspace() (darknet's fscanf) takes as white space; Python's str.split() and
# str.splitlines() also take \x1c-\x1f, \x85, the no-break spaces, U+2028, U+2029 and others.
C_SPACE = " \t\n\r\x0b\x0c"
_C_SPACES = re.compile(r"[ \t\n\r\x0b\x0c]*")
_SCANF_INTEGER = re.compile(r"[+-]?[0-9]+")  # fscanf's %d
_SCANF_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # %f


def darknet_boxes(text: str) -> list[tuple[float, ...]]:
    """The boxes darknet's read_boxes takes from a label file: `while (fscanf(file,
    "%d %f %f %f %f", ...) == 5)`, a stream of values whatever the lines, that stops at the
    first value it cannot read."""
    boxes, position = [], 0
    while True:
        values = []
        for pattern in (_SCANF_INTEGER, *(_SCANF_FLOAT,) * 4):
            position = _C_SPACES.match(text, position).end()
            found = pattern.match(text, position)
            if found is None:
                return boxes
            values.append(float(found.group()))
            position = found.end()
        boxes.append(tuple(values))


def _line_of_spaces(line_number: int, file: str, image_id: str, source: FormatSource) -> None:
    source.problem("ANN024", f"{file} line {line_number} holds only spaces, between two boxes: "
                             "fracqa skips it, but a YOLO trainer splits it into no fields, the "
                             "rows no longer make one array, and the whole file is dropped as "
                             "corrupt (ultralytics: 'ignoring corrupt image/label')", file,
                   f"line {line_number}", image_id)  # fmt: skip


_INTEGER = re.compile(r"[+-]?[0-9]+")
# Where str.splitlines() ends a line besides CR and LF.
_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _is_box(line: str) -> bool:
    fields = line.split()
    return len(fields) == 5 and None not in (number(v) for v in fields)


class _Lines:
    """The lines of one YOLO file, read as ultralytics reads them: each box becomes an
    instance; the lines that are no box (a comment, a polygon, a wrong number of fields, a
    value that is no number) are one ANN002 problem for the file, which says what ultralytics
    and darknet make of the whole file; a class written as a float is one ANN022 problem, and
    a character ultralytics reads as a line break or a space but darknet as neither one ANN024
    problem, when darknet then reads other boxes."""

    def __init__(self, file: str, image_id: str, text: str):
        self.file, self.image_id, self.text = file, image_id, text
        self.rows: list[list[str]] = []  # every line's fields, as ultralytics splits them
        self.numbers: list[int] = []  # the line of each row
        self.bad: list[tuple[int, str, str]] = []  # (line, what, text) of lines that are no box
        self.boxes: list[tuple[int, tuple[float, ...]]] = []  # (line, values) of each box
        self.float_classes: list[tuple[int, str]] = []
        self.odd: dict[str, int] = {}  # white space only Python takes as such -> its first line
        self.broken: dict[str, int] = {}  # a line break of str.splitlines() inside a box -> line

    def add(self, line: str, line_number: int, source: FormatSource) -> None:
        location = f"line {line_number}"
        fields = line.split()
        self.rows.append(fields)
        self.numbers.append(line_number)
        values = [number(v) for v in fields]
        if fields[0].startswith("#"):
            self.bad.append((line_number, "is a comment (YOLO label files have none)", line))
            return  # no instance: nothing but text
        if len(fields) != 5 or None in values:
            if len(fields) > 6 and None not in values and len(fields) % 2:
                what = f"is a polygon of {(len(fields) - 1) // 2} points, not a box"
            elif len(fields) != 5:
                what = f"has {len(fields)} fields where `class cx cy w h` has 5"
            else:
                what = "has a value that is not a finite number"
            self.bad.append((line_number, what, line))
            source.add_instance(self.image_id, self.file, location, malformed=True)
            return
        if not _INTEGER.fullmatch(fields[0]) and values[0] == int(values[0]):
            self.float_classes.append((line_number, fields[0]))
        self.boxes.append((line_number, tuple(values)))
        cls, cx, cy, w, h = values
        source.add_instance(self.image_id, self.file, location, yolo_class=cls,
                            normalised=[cx, cy, w, h])  # fmt: skip

    def report(self, source: FormatSource) -> None:
        darknet = (self._darknet() if self.bad or self.float_classes or self.odd or self.broken
                   else None)  # fmt: skip
        if self.float_classes:
            line, written = self.float_classes[0]
            source.problem("ANN022", f"{self.file} writes the class as {written!r} "
                                     f"({_lines_named(self.float_classes)}): ultralytics and "
                                     "fracqa read the number, but darknet's fscanf('%d %f %f %f "
                                     "%f') reads its integer part as the class and the rest "
                                     f"({written[len(written.split('.')[0]):]!r}) as cx: "
                                     f"{darknet or 'it reads every box'}", self.file,
                           f"line {line}", self.image_id,
                           lines=[n for n, _ in self.float_classes][:50])  # fmt: skip
        odd = self._odd_characters()
        if self.bad:
            line, what, text = self.bad[0]
            more = len(self.bad) - 1
            others = (f" (and {more} more line{'s' * (more > 1)} that "
                      f"{'is' if more == 1 else 'are'} no box)" if more else "")  # fmt: skip
            hidden = (f"; the file holds {odd}, which ultralytics reads as a line break or a "
                      "space" if odd else "")  # fmt: skip
            source.problem("ANN002", f"{self.file} line {line} {what}: {text.strip()[:80]!r}"
                                     f"{others}{hidden}: {self._ultralytics()}; "
                                     f"{darknet or 'darknet reads every box'}", self.file,
                           f"line {line}", self.image_id, line=text.strip()[:200],
                           lines=[n for n, _, _ in self.bad][:50])  # fmt: skip
        elif self.broken or (odd and darknet):
            self._hidden_breaks(source, darknet)

    def _hidden_breaks(self, source: FormatSource, darknet: str | None) -> None:
        """ANN024: characters ultralytics reads as a line break or a space where darknet reads
        another box, or a line break of str.splitlines() inside a box."""
        found = {**self.odd, **self.broken}
        first = min(found.values())
        chars = ", ".join(_named(c) for c in sorted(found, key=found.get))
        if self.broken:
            said = ("ultralytics (str.splitlines()) ends a line there, in the middle of a box, "
                    "cannot make a table of the pieces and leaves the image out of training as "
                    "corrupt ('ignoring corrupt image/label')")  # fmt: skip
        else:
            said = ("fracqa and ultralytics (str.splitlines(), str.split()) read it as a line "
                    "break or a space, darknet's fscanf as neither")  # fmt: skip
        source.problem("ANN024", f"{self.file} line {first} holds {chars}: {said}; "
                                 f"{darknet or 'darknet reads it as a space'}", self.file,
                       f"line {first}", self.image_id, characters=sorted(found))  # fmt: skip

    def _odd_characters(self) -> str:
        return ", ".join(_named(c) for c in sorted(self.odd, key=self.odd.get))

    def _ultralytics(self) -> str:
        """What ultralytics' verify_image_label makes of the whole file."""
        rows = self.rows
        if any(len(row) > 6 for row in rows):  # ultralytics reads every line as a polygon
            coordinates = [row[1:] for row in rows]
            if all(_floats(row) for row in rows) and all(len(c) % 2 == 0 for c in coordinates):
                boxes = [n for n, row in zip(self.numbers, rows, strict=True) if len(row) <= 6]
                if not boxes:
                    return "ultralytics reads the polygon and trains on its bounds"
                made = ("box line {} becomes a two-point outline with a wrong box"
                        if len(boxes) == 1 else
                        "box lines {} become two-point outlines with wrong boxes")  # fmt: skip
                return ("with a line of more than 6 fields ultralytics reads every line as a "
                        f"polygon, so the {made.format(', '.join(map(str, boxes)))}")
        return ("ultralytics cannot make one table of numbers of the file's lines and leaves "
                "the image out of training as corrupt ('ignoring corrupt image/label'): every "
                "box of the file is lost")  # fmt: skip

    def _darknet(self) -> str | None:
        """What darknet's fscanf loop makes of the file, where it differs from the boxes fracqa
        read (None: it reads the same boxes)."""
        read, meant = darknet_boxes(self.text), [values for _, values in self.boxes]
        if read == meant:
            return None
        pairs = enumerate(zip(read, meant, strict=False))
        same = next((i for i, (a, b) in pairs if a != b), min(len(read), len(meant)))
        if not meant:
            return (f"darknet reads {len(read)} box{'es' * (len(read) != 1)} made of the "
                    "file's numbers, none of them a box the file means")  # fmt: skip
        if same == len(read):
            return (f"darknet stops reading after {same} of the file's {len(meant)} "
                    f"box{'es' * (len(meant) != 1)}")  # fmt: skip
        return (f"darknet reads shifted values from box {same + 1} of {len(meant)} on (line "
                f"{self.boxes[min(same, len(meant) - 1)][0]})")


def _named(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character').lower()}"


def _lines_named(found: list[tuple[int, str]]) -> str:
    more = len(found) - 1
    return f"line {found[0][0]}" + (f" and {more} more line{'s' * (more > 1)}" if more else "")


def _floats(fields: list[str]) -> bool:
    try:
        [float(v) for v in fields]
    except ValueError:
        return False
    return True
