"""How a name written in an annotation or split file may spell an image of the release
otherwise: what a reader that matches names exactly misses, while the image is plainly meant."""

from __future__ import annotations

from collections.abc import Iterable

SUFFIXES = ("jpg", "jpeg")


def spelt_otherwise(names: Iterable[str], images: set[str]) -> dict[str, tuple[str, str]]:
    """name -> (image, how) for each name that is not one of `images` but spells exactly one of
    them otherwise: with spaces around it, without its suffix, its suffix in another case or as
    `.jpeg`, its suffix twice (`IMG0000019.jpg.jpg`, as a label file named `IMG0000019.jpg.txt`
    gives), or in another case altogether."""
    by_fold: dict[str, list[str]] = {}
    for image in images:
        by_fold.setdefault(image.casefold(), []).append(image)
    found = {}
    for name in set(names):
        if not isinstance(name, str) or name in images:
            continue
        meant, how = _meant(name)
        if meant in images:
            found[name] = (meant, how)
            continue
        folded = by_fold.get(meant.casefold(), [])
        if len(folded) == 1:
            found[name] = (folded[0], f"{how} and in another case" if how else "in another case")
    return found


def _meant(name: str) -> tuple[str, str]:
    """The name with what readers commonly vary undone, and in words what that was."""
    said = []
    stripped = name.strip()
    if stripped != name:
        said.append("with white space around it")
    stem, dot, suffix = stripped.rpartition(".")
    if dot and suffix.lower() in SUFFIXES:
        inner, inner_dot, inner_suffix = stem.rpartition(".")
        if inner_dot and inner_suffix.lower() in SUFFIXES:
            said.append("with its suffix twice")
            stem = inner
        elif suffix != "jpg":
            said.append(f"with the suffix .{suffix}")
        stripped = f"{stem}.jpg"
    elif stripped:
        said.append("without its suffix .jpg")
        stripped = f"{stripped}.jpg"
    return stripped, ", ".join(said)
