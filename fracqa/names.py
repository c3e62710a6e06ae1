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


def plain_name(name: str) -> str:
    """The image id a file name spells with white space around it or a `.jpg` or `.jpeg`
    suffix in any case."""
    stripped = name.strip()
    return f"{stripped.rpartition('.')[0]}.jpg" if _suffix(stripped) else stripped


def _suffix(name: str) -> str | None:
    """The name's suffix if it is `jpg` or `jpeg` in any case."""
    _, dot, suffix = name.rpartition(".")
    return suffix if dot and suffix.lower() in SUFFIXES else None


def _meant(name: str) -> tuple[str, str]:
    """The name with what readers commonly vary undone, and in words what that was."""
    stripped = name.strip()
    said = ["with white space around it"] if stripped != name else []
    suffix = _suffix(stripped)
    if suffix is None:
        if not stripped:
            return stripped, ", ".join(said)
        return f"{stripped}.jpg", ", ".join([*said, "without its suffix .jpg"])
    stem = stripped.rpartition(".")[0]
    if _suffix(stem):
        said.append("with its suffix twice")
        stem = stem.rpartition(".")[0]
    elif suffix != "jpg":
        said.append(f"with the suffix .{suffix}")
    return f"{stem}.jpg", ", ".join(said)
