"""Locate the parts of a release under its root, accepting the spellings real releases use.

Nothing here opens a file: it only lists folders. What is missing, ambiguous, points outside
the root or cannot be listed is recorded for the layout rules to report (a folder that
cannot be listed is located as None, like a missing one: nothing in it can be audited),
and so is every spelling accepted other than the release's own (a part found ignoring case
or under an alias, an annotation file whose suffix differs in case: code that opens the
documented names does not find them) and every entry that is no part of the release (which
no loader reads).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fracqa.errors import Unusable
from fracqa.load.files import files_in, inside, links_out, stray_twin

ANNOTATION_FORMATS = ("coco", "vgg", "yolo", "voc")
SPLITS = ("train", "valid", "test")

# Accepted spellings of each part, compared case-insensitively, preferred spelling first.
_DATASET_CSV = ("dataset.csv",)
_IMAGES = ("images",)
_FRACTURED = ("fractured",)
_NON_FRACTURED = ("non_fractured", "non-fractured", "non fractured", "nonfractured")
_ANNOTATIONS = ("annotations", "annotation")
_FORMAT_FOLDERS = {
    "coco": ("coco json", "coco_json", "coco"),
    "vgg": ("vgg json", "vgg_json", "vgg"),
    "yolo": ("yolo",),
    "voc": ("pascal voc", "pascal_voc", "voc"),
}
_UTILITIES = ("utilities", "utility")
_SPLIT_FOLDER = ("fracture split", "fracture_split")

FORMAT_FOLDER_NAME = {"coco": "COCO JSON", "vgg": "VGG JSON", "yolo": "YOLO", "voc": "PASCAL VOC"}
FORMAT_SUFFIX = {"coco": ".json", "vgg": ".json", "yolo": ".txt", "voc": ".xml"}
# The file the release documents in each JSON format's folder: the one every reader opens.
DOCUMENTED_JSON = {"coco": "COCO_fracture_masks.json", "vgg": "VGG_fracture_masks.json"}
# The spellings real releases use, accepted silently; any other spelling found is noted.
_RELEASE_SPELLINGS = {"dataset.csv", "images", "Fractured", "Non_fractured", "Annotations",
                      "Annotation", "COCO JSON", "VGG JSON", "YOLO", "PASCAL VOC", "Utilities",
                      "utilities", "Fracture Split", "train.csv", "valid.csv",
                      "test.csv"}  # fmt: skip
_SHOWN = 10  # names listed in a note about several entries


class NotARelease(Unusable):
    """The root cannot be audited at all (not a directory, unreadable)."""


@dataclass(frozen=True)
class LayoutNote:
    """Something odd about where a part of the release sits."""

    kind: str  # "ambiguous" | "outside-root" | "non-canonical" | "unexpected" | "unreadable"
    path: str  # relative to the root
    message: str
    image_id: str | None = None


@dataclass
class Layout:
    root: Path
    dataset_csv: Path | None = None
    images_dir: Path | None = None
    fractured_dir: Path | None = None
    non_fractured_dir: Path | None = None
    annotations_dir: Path | None = None
    annotation_dirs: dict[str, Path | None] = field(default_factory=dict)
    utilities_dir: Path | None = None
    split_dir: Path | None = None
    split_files: dict[str, Path | None] = field(default_factory=dict)
    notes: list[LayoutNote] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        """`path` as a POSIX path relative to the root, as findings name files."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def note_unreadable(self, folder: Path, error: OSError) -> None:
        """Note a folder of the release that exists but cannot be listed (LAY010)."""
        name = self.relative(Path(folder))
        if not any(n.kind == "unreadable" and n.path == name for n in self.notes):
            self.notes.append(LayoutNote("unreadable", name, f"{name}/ cannot be read "
                                         f"({error.strerror or error}): nothing in it is audited"))

    def unreadable(self, part: str) -> bool:
        """True when the part named `part` ("images/Fractured", "Annotations/YOLO", in any
        accepted spelling), or a folder above it, exists but cannot be read: whether the part
        is there cannot be told."""
        wanted = _canonical(part)
        folders = [_canonical(n.path) for n in self.notes if n.kind == "unreadable"]
        return any(wanted[:len(folder)] == folder for folder in folders)


def locate(root: Path | str) -> Layout:
    """Find every part of the release under `root`; raise NotARelease if it is not a folder."""
    root = Path(root)
    if not root.is_dir():
        reason = "does not exist" if not root.exists() else "is not a directory"
        raise NotARelease(f"{root} {reason}")
    try:
        os.listdir(root)
    except OSError as error:
        raise NotARelease(f"{root} cannot be read: {error.strerror}") from None
    root = _release_folder(root.resolve())

    layout = Layout(root=root)
    find = _Finder(layout)
    layout.dataset_csv = find.file(root, _DATASET_CSV, "dataset.csv")
    layout.images_dir = find.folder(root, _IMAGES, "images")
    if layout.images_dir:
        layout.fractured_dir = find.folder(layout.images_dir, _FRACTURED, "Fractured")
        layout.non_fractured_dir = find.folder(layout.images_dir, _NON_FRACTURED,
                                               "Non_fractured")  # fmt: skip
    layout.annotations_dir = find.folder(root, _ANNOTATIONS, "Annotations")
    for fmt in ANNOTATION_FORMATS:
        parent = layout.annotations_dir
        layout.annotation_dirs[fmt] = parent and find.folder(parent, _FORMAT_FOLDERS[fmt],
                                                             FORMAT_FOLDER_NAME[fmt])  # fmt: skip
    layout.utilities_dir = find.folder(root, _UTILITIES, "Utilities")
    if layout.utilities_dir:
        layout.split_dir = find.folder(layout.utilities_dir, _SPLIT_FOLDER, "Fracture Split")
    for split in SPLITS:
        parent = layout.split_dir
        layout.split_files[split] = parent and find.file(parent, (f"{split}.csv",),
                                                         f"{split}.csv")  # fmt: skip
    _survey(layout)
    for folder in [*layout.annotation_dirs.values(), layout.split_dir]:
        for link in links_out(folder, root):
            layout.notes.append(LayoutNote(
                "outside-root", layout.relative(link),
                f"{layout.relative(link)} is a link to {link.resolve()}, outside the release: "
                "not followed"))  # fmt: skip
    return layout


def _release_folder(root: Path) -> Path:
    """The root itself, or its only sub-folder when the root merely wraps the release."""
    if _looks_like_release(root):
        return root
    children = [c for c in _entries(root) if c.is_dir() and not c.is_symlink()]
    candidates = [c for c in children if _looks_like_release(c)]
    return candidates[0] if len(candidates) == 1 else root


def _looks_like_release(folder: Path) -> bool:
    names = {c.name.lower() for c in _entries(folder)}
    return bool(names & {"dataset.csv", "images"})


def _entries(folder: Path, unreadable=None) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as error:
        if unreadable is not None:
            unreadable(folder, error)
        return []


def _survey(layout: Layout) -> None:
    """Note the entries of the release's folders that are no part of it, the annotation files
    whose suffix differs in case from the format's, and a format folder holding several JSON
    files. (images/ is the image rules' to survey, Utilities/ holds the authors' notebooks.)"""
    root, notes = layout.root, layout.notes
    parts = {_DATASET_CSV, _IMAGES, _ANNOTATIONS, _UTILITIES}
    _unexpected(layout, root, {s for spellings in parts for s in spellings})
    if layout.annotations_dir:
        _unexpected(layout, layout.annotations_dir,
                    {s for spellings in _FORMAT_FOLDERS.values() for s in spellings})  # fmt: skip
    if layout.split_dir:
        _unexpected(layout, layout.split_dir, {f"{split}.csv" for split in SPLITS})
    for fmt, folder in layout.annotation_dirs.items():
        if folder is None:
            continue
        suffix, entries = FORMAT_SUFFIX[fmt], _scan(folder)
        where = layout.relative(folder)
        files = {name for name, is_dir in entries if not is_dir}
        if suffix == ".json":
            _second_json(layout, fmt, where, sorted(n for n in files if n.lower().endswith(suffix)))
        misspelt = sorted({name[-len(suffix):] for name in files
                           if name.lower().endswith(suffix) and not name.endswith(suffix)})
        for spelt in misspelt:
            spelt_files = sorted(n for n in files if n.endswith(spelt))
            twins = [n for n in spelt_files if stray_twin(n, suffix, files)]
            alone = [n for n in spelt_files if n not in twins]
            if alone:
                _misspelt_suffix(layout, fmt, where, alone, spelt, suffix)
            if twins:
                _misspelt_twins(layout, fmt, where, twins, spelt, suffix)
        classes = [n for n, is_dir in entries if n.lower() == "classes.txt" and n != "classes.txt"]
        if fmt == "yolo" and classes:
            notes.append(LayoutNote(
                "non-canonical", f"{where}/{classes[0]}",
                f"{where}/{classes[0]} is spelled {classes[0]!r}, not 'classes.txt': fracqa "
                "reads it, a reader that opens classes.txt does not find it on a "
                "case-sensitive file system"))  # fmt: skip
        others = [n + ("/" if is_dir else "") for n, is_dir in entries
                  if (is_dir or not n.lower().endswith(suffix)) and not n.startswith(".")]
        if others:
            notes.append(LayoutNote(
                "unexpected", f"{where}/{others[0]}",
                f"{where}/ holds {_count(others, 'entry', 'entries')} that no {fmt.upper()} "
                f"reader reads ({_names(others)}): not audited"))  # fmt: skip


def json_files(folder: Path, fmt: str, root: Path) -> list[tuple[str, str]]:
    """(name, path) of the JSON files of a COCO or VGG folder that readers open: the
    documented one alone when it is there (the others are strays, see `_second_json`), else
    every one."""
    found = files_in(folder, ".json", root)
    documented = documented_json([name for name, _ in found], fmt)
    return [item for item in found if documented is None or item[0] == documented]


def documented_json(names: list[str], fmt: str) -> str | None:
    """The file of `names` (the .json files of a COCO or VGG folder) that the release
    documents for `fmt` (COCO_fracture_masks.json, VGG_fracture_masks.json; in another case if
    it is not there as written), or None."""
    documented = DOCUMENTED_JSON.get(fmt)
    if documented in names:
        return documented
    return next((name for name in names if documented and name.lower() == documented.lower()),
                None)  # fmt: skip


def _second_json(layout: Layout, fmt: str, where: str, names: list[str]) -> None:
    """Note the JSON files beside the documented one (each a stray no reader opens, which
    fracqa does not read), or, without it, a folder of several JSON files (fracqa reads them
    all)."""
    if len(names) < 2:
        return
    documented = documented_json(names, fmt)
    if documented is None:
        layout.notes.append(LayoutNote(
            "ambiguous", f"{where}/{names[1]}",
            f"{where}/ holds {len(names)} JSON files ({_names(names)}) and none is "
            f"{DOCUMENTED_JSON[fmt]}: a reader loads one of them, fracqa reads them all, so an "
            "image in two of them is annotated twice"))  # fmt: skip
        return
    for name in names:
        if name != documented:
            layout.notes.append(LayoutNote(
                "ambiguous", f"{where}/{name}",
                f"{where}/{name} is a second {fmt.upper()} file beside {documented}, which "
                f"readers open: fracqa audits {documented} alone; a reader that loads the "
                "folder's .json files (or picks this one) reads other annotations"))  # fmt: skip


_NOT_FOUND = {"yolo": "a YOLO trainer finds no label for the image and trains it as a negative",
              "voc": "a VOC reader finds no annotation for the image",
              "coco": "a COCO reader finds no annotation file",
              "vgg": "a VIA reader finds no annotation file"}  # fmt: skip


def _misspelt_suffix(layout: Layout, fmt: str, where: str, files: list[str], spelt: str,
                     suffix: str) -> None:  # fmt: skip
    image = f"{files[0][:-len(suffix)]}.jpg" if len(files) == 1 and fmt in (
        "yolo", "voc") else None  # fmt: skip
    them = "it" if len(files) == 1 else "them"
    layout.notes.append(LayoutNote(
        "non-canonical", f"{where}/{files[0]}",
        f"{where}/ holds {_count(files, 'file')} named {spelt!r}, not {suffix!r} "
        f"({_names(files)}): fracqa reads {them}, but a reader that opens the name ending in "
        f"{suffix!r} does not find {them} on a case-sensitive file system ({_NOT_FOUND[fmt]}), "
        "while on Windows or macOS it does: the release reads differently on different "
        "machines", image))  # fmt: skip


def _misspelt_twins(layout: Layout, fmt: str, where: str, files: list[str], spelt: str,
                    suffix: str) -> None:  # fmt: skip
    """Files whose suffix differs in case beside a file of the same name spelt with the
    format's suffix: stray copies fracqa does not read."""
    image = f"{files[0][:-len(suffix)]}.jpg" if len(files) == 1 and fmt in (
        "yolo", "voc") else None  # fmt: skip
    one = len(files) == 1
    twins = ", ".join(f"{name[:-len(suffix)]}{suffix}" for name in files[:3])
    layout.notes.append(LayoutNote(
        "non-canonical", f"{where}/{files[0]}",
        f"{where}/ holds {_count(files, 'file')} named {spelt!r} beside {twins}"
        f"{', ...' if len(files) > 3 else ''} of the same name ({_names(files)}): a reader on a "
        f"case-sensitive file system opens the {suffix!r} file and never sees "
        f"{'this copy' if one else 'these copies'}, which fracqa does not read either; on "
        "Windows or macOS the two names are one file, and unpacking the release keeps only "
        "one of them, whichever the archive lists last", image))  # fmt: skip


def _unexpected(layout: Layout, folder: Path, spellings: set[str]) -> None:
    """Note the entries of `folder` that spell none of its parts; hidden entries (a .git/ or a
    .DS_Store, of the tools around the release) and, at the root, the release's documents
    and fracqa's own files (README, LICENSE, CITATION, fracqa.toml, waivers) are not noted."""
    at_root = folder == layout.root
    others = [name + ("/" if is_dir else "") for name, is_dir in _scan(folder)
              if name.lower() not in spellings and not name.startswith(".")
              and not (at_root and _document(name))]  # fmt: skip
    if others:
        where = "the release's top folder" if at_root else f"{layout.relative(folder)}/"
        verb = "is" if len(others) == 1 else "are"
        layout.notes.append(LayoutNote(
            "unexpected", others[0] if at_root else f"{layout.relative(folder)}/{others[0]}",
            f"{where} holds {_count(others, 'entry', 'entries')} that {verb} no part of a "
            f"FracAtlas release ({_names(others)}): not audited"))  # fmt: skip


def _document(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(".toml") or lower.startswith(("readme", "license", "licence",
                                                         "citation"))  # fmt: skip


def _scan(folder: Path) -> list[tuple[str, bool]]:
    """(name, is a folder) of each entry of `folder`, sorted; links are not followed."""
    try:
        with os.scandir(folder) as entries:
            return sorted((e.name, e.is_dir(follow_symlinks=False)) for e in entries)
    except OSError:
        return []


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown}, ... {len(names) - _SHOWN} more"


def _count(items: list, one: str, many: str | None = None) -> str:
    return f"1 {one}" if len(items) == 1 else f"{len(items)} {many or one + 's'}"


def _listable(folder: Path, unreadable) -> bool:
    """True when `folder` can be listed; else `unreadable(folder, error)`."""
    try:
        os.scandir(folder).close()
    except OSError as error:
        unreadable(folder, error)
        return False
    return True


_SPELLINGS = {spelling: spellings[0]
              for spellings in (_IMAGES, _FRACTURED, _NON_FRACTURED, _ANNOTATIONS, _UTILITIES,
                                _SPLIT_FOLDER, *_FORMAT_FOLDERS.values())
              for spelling in spellings}  # fmt: skip


def _canonical(path: str) -> tuple[str, ...]:
    return tuple(_SPELLINGS.get(name.lower(), name.lower()) for name in path.split("/"))


class _Finder:
    """Picks the entry of a folder that spells a part, noting ambiguity, escapes and spellings
    other than the release's."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def folder(self, parent: Path, spellings: tuple[str, ...], name: str) -> Path | None:
        """The folder, or None when it is missing or cannot be listed (then noted)."""
        found = self._pick(parent, spellings, Path.is_dir)
        if found is not None and not _listable(found, self.layout.note_unreadable):
            return None
        return self._noted(found, name)

    def file(self, parent: Path, spellings: tuple[str, ...], name: str) -> Path | None:
        return self._noted(self._pick(parent, spellings, Path.is_file), name)

    def _noted(self, found: Path | None, name: str) -> Path | None:
        """`found`, noted when it is not spelled as a release spells the part `name`."""
        if found is not None and found.name not in _RELEASE_SPELLINGS:
            where = self.layout.relative(found)
            expected = f"{self.layout.relative(found.parent)}/{name}".lstrip("./")
            self.layout.notes.append(LayoutNote(
                "non-canonical", where,
                f"{where} is spelled {found.name!r}, not {name!r}: fracqa accepts it, but code "
                f"that opens {expected} (every reader of the release) does not find it on a "
                "case-sensitive file system"))  # fmt: skip
        return found

    def _pick(self, parent: Path, spellings: tuple[str, ...], kind) -> Path | None:
        rank = {s: i for i, s in enumerate(spellings)}
        found = sorted(
            (c for c in _entries(parent, self.layout.note_unreadable)
             if c.name.lower() in rank and kind(c)),
            key=lambda c: (rank[c.name.lower()], c.name),
        )
        inside = [c for c in found if self._inside_root(c)]
        if len(inside) > 1:
            names = ", ".join(c.name for c in inside)
            self.layout.notes.append(
                LayoutNote(
                    "ambiguous",
                    self.layout.relative(inside[0]),
                    f"{self.layout.relative(parent) or '.'}/ holds {names}: "
                    f"auditing {inside[0].name} only",
                )
            )
        return inside[0] if inside else None

    def _inside_root(self, path: Path) -> bool:
        if inside(path, self.layout.root):
            return True
        target = path.resolve()
        self.layout.notes.append(
            LayoutNote(
                "outside-root",
                self.layout.relative(path),
                f"{self.layout.relative(path)} is a link to {target}, outside the release: "
                "not followed",
            )
        )
        return False
