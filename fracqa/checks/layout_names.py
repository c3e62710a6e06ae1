"""LAY, names: every part and file of the release is spelled as the release spells it, and the
release holds nothing that no reader reads."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.model import Hit
from fracqa.release import Release


@rule("LAY008", "non-canonical-name", "layout", "error",
      "a folder or file is spelled other than the release spells it")  # fmt: skip
def non_canonical_name(release: Release) -> Iterator[Hit]:
    """A part of the release was found under a spelling other than the release's own, because
    fracqa matches names ignoring case and accepts aliases (`images/fractured`, `COCO`,
    `pascal_voc`, `Fracture_Split`, `Train.csv`, `Dataset.csv`), or an annotation file's suffix
    differs in case from its format's (`IMG0000019.TXT`, `.XML`, `.Json`), which fracqa reads;
    one beside a file of the same name with the format's suffix (`IMG0000019.TXT` beside
    `IMG0000019.txt`) is a stray copy, which fracqa does not read, as a reader on Linux does not.
    (`Annotation` and `utilities`, which real releases use, are accepted silently.)

    Why: every script written for the release opens the documented names
    (`images/Fractured/...`, `Annotations/YOLO/<image>.txt`); on a case-sensitive file system
    (Linux, most training machines) it does not find the part or the label file, and on Windows
    or macOS it does, so the same release trains differently on different machines; a label
    file that is not found is an image trained as if it had no fracture. Two files whose names
    differ only in case are one file on Windows and macOS: unpacking keeps one of them.
    Fix: rename the folder or file to the release's spelling.
    """
    for note in release.layout.notes:
        if note.kind == "non-canonical":
            yield Hit(note.message, note.image_id, note.path)


@rule("LAY009", "unexpected-entry", "layout", "info",
      "the release holds a file or folder that is no part of it")  # fmt: skip
def unexpected_entry(release: Release) -> Iterator[Hit]:
    """A file or folder at the top of the release, in Annotations/, in an annotation format's
    folder or in the Fracture Split folder that no reader of the release reads: a stray copy
    (`dataset (1).csv`, `train.csv.bak`), a sub-folder of label files, a file of another format
    (`.png` among the VOC files), an archive's debris (`__MACOSX/`). fracqa does not audit it.
    (Hidden entries such as `.git/`, and at the top the release's documents, README, LICENSE,
    CITATION, and fracqa's own .toml files, are not reported.)

    Why: what nobody reads is either stale or holds data that should be where readers look
    (labels in a sub-folder are labels a trainer never sees); it also makes the published
    archive differ from what was checked.
    Fix: remove the entry, or move what it holds to where the release keeps it.
    """
    for note in release.layout.notes:
        if note.kind == "unexpected":
            yield Hit(note.message, note.image_id, note.path)
