"""Locate the parts of a release under its root, accepting the spellings real releases use.

Nothing here opens a file: it only lists folders. What is missing, ambiguous, points outside
the root or cannot be listed is recorded for the layout rules to report; a folder that cannot be
listed is located as None, like a missing one (nothing in it can be audited).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fracqa.errors import Unusable
from fracqa.load.files import inside, links_out

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


class NotARelease(Unusable):
    """The root cannot be audited at all (not a directory, unreadable)."""


@dataclass(frozen=True)
class LayoutNote:
    """Something odd about where a part of the release sits."""

    kind: str  # "ambiguous" | "outside-root" | "unreadable"
    path: str  # relative to the root
    message: str


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
    layout.dataset_csv = find.file(root, _DATASET_CSV)
    layout.images_dir = find.folder(root, _IMAGES)
    if layout.images_dir:
        layout.fractured_dir = find.folder(layout.images_dir, _FRACTURED)
        layout.non_fractured_dir = find.folder(layout.images_dir, _NON_FRACTURED)
    layout.annotations_dir = find.folder(root, _ANNOTATIONS)
    for fmt in ANNOTATION_FORMATS:
        parent = layout.annotations_dir
        layout.annotation_dirs[fmt] = parent and find.folder(parent, _FORMAT_FOLDERS[fmt])
    layout.utilities_dir = find.folder(root, _UTILITIES)
    if layout.utilities_dir:
        layout.split_dir = find.folder(layout.utilities_dir, _SPLIT_FOLDER)
    for split in SPLITS:
        parent = layout.split_dir
        layout.split_files[split] = parent and find.file(parent, (f"{split}.csv",))
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
    """Picks the entry of a folder that spells a part, noting ambiguity and escapes."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def folder(self, parent: Path, spellings: tuple[str, ...]) -> Path | None:
        """The folder, or None when it is missing or cannot be listed (then noted)."""
        found = self._pick(parent, spellings, Path.is_dir)
        return found if found is None or _listable(found, self.layout.note_unreadable) else None

    def file(self, parent: Path, spellings: tuple[str, ...]) -> Path | None:
        return self._pick(parent, spellings, Path.is_file)

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
