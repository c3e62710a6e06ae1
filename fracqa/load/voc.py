"""PASCAL VOC: one .xml per image, parsed with defusedxml (entity declarations are refused).

Read as the VOC devkit reads it (`obj.find('name').text`, `int(bbox.find('xmin').text)`). What
fracqa reads although the devkit would read it otherwise is a problem: spaces around the text
of <filename> or <name>, which fracqa strips (ANN024); an element written twice where readers
take the first (ANN021); a size or corner that int() cannot read, such as 12.0 (ANN022);
objects without the <pose>, <truncated> or <difficult> the devkit's parse_rec reads (ANN002, one
problem per file).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from fracqa.layout import Layout
from fracqa.load.annotation_table import FormatSource, PendingSource, Text, number
from fracqa.load.files import Unreadable, files_in
from fracqa.workers import Done, Workers


def load_voc(layout: Layout, workers: Workers | None = None) -> PendingSource:
    """Every .xml of the VOC folder, read by `workers` in chunks (in this process without)."""
    folder, relative = layout.annotation_dirs.get("voc"), layout.relative
    source = FormatSource("voc", present=folder is not None)
    prefix = relative(folder) if folder else ""
    files = [(path, f"{prefix}/{name}", f"{name[:-4]}.jpg")
             for name, path in (files_in(folder, ".xml", layout.root) if folder else [])]
    parts = workers.in_chunks(_load_files, files) if workers else [Done(_load_files(files))]
    return PendingSource(source, parts)


def _load_files(files: list[tuple[Path, str, str]]) -> FormatSource:
    source = FormatSource("voc")
    for path, file, image_id in files:
        _load_file(path, file, image_id, source)
    return source


def _load_file(path: Path, file: str, image_id: str, source: FormatSource) -> None:
    try:
        root = _parse(source.read(path, file))
    except (Unreadable, ParseError, DefusedXmlException) as error:
        source.problem("ANN001", f"{file} {_why(error)}", file, image_id=image_id)
        source.unreadable_images.add(image_id)
        return
    if root.tag != "annotation":
        source.problem("ANN001", f"{file} is not a VOC annotation (root <{root.tag}>)", file,
                       image_id=image_id)  # fmt: skip
        source.unreadable_images.add(image_id)
        return
    width, height = number(root.findtext("size/width")), number(root.findtext("size/height"))
    filename = root.findtext("filename") or ""
    source.add_entry(
        image_id, file, None, width, height, filename.strip(),
        path=root.findtext("path") or "",  # as written: no rule reads it
    )  # fmt: skip
    _texts(root, file, image_id, source)
    if filename != filename.strip() and filename.strip():
        _padded(source, file, image_id, "<filename>", filename)
    _repeated(root, ("filename", "size"), "the file", file, image_id, source)
    texts = [("<size>/<width>", root.findtext("size/width")),
             ("<size>/<height>", root.findtext("size/height"))]  # fmt: skip
    lacking: dict[str, list[int]] = {}
    for position, element in enumerate(root.findall("object"), start=1):
        texts.extend(_load_object(element, position, image_id, file, source))
        for tag in _lacks(element):
            lacking.setdefault(tag, []).append(position)
    _non_integers(texts, file, image_id, source)
    if lacking:
        _unparsed(lacking, file, image_id, source)


_GEOMETRY = {"size", "bndbox", "segmented", "truncated", "difficult", "occluded", "pose"}


def _texts(root: Element, file: str, image_id: str, source: FormatSource) -> None:
    """The text of every element but the geometry and an object's class name: <folder>,
    <filename>, <path>, <source>, <owner> and whatever else the file holds."""
    def walk(element: Element, path: str) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag in _GEOMETRY:
                continue
            where = f"{path}/<{child.tag}>" if path else f"<{child.tag}>"
            if path.endswith("<object>") and child.tag == "name":
                continue
            text = (child.text or "").strip()
            if text:
                source.texts.append(Text.of(file, None, where, text, image_id))
            walk(child, where)

    walk(root, "")


def _parse(data: bytes) -> Element:
    """The XML document in `data`. A document that declares nothing (no `<!` anywhere, and
    single-byte markup, so that no declaration can hide in another encoding) cannot define or
    reference entities and is parsed by the standard library's C parser; any other goes
    through defusedxml, which refuses entity declarations and external references."""
    if b"<!" not in data and b"\x00" not in data:
        return ElementTree.fromstring(data)
    return SafeTree.fromstring(data)


def _why(error: Exception) -> str:
    if isinstance(error, DefusedXmlException):
        return f"is refused: it declares XML entities ({type(error).__name__})"
    if isinstance(error, ParseError):
        return f"is not well-formed XML ({error})"
    return str(error)


def _load_object(element: Element, position: int, image_id: str, file: str,
                 source: FormatSource) -> list[tuple[str, str | None]]:  # fmt: skip
    """Add the object's instance; return the text of its corners, as (element, text)."""
    location = f"object {position}"
    keys = ("xmin", "ymin", "xmax", "ymax")
    texts = [element.findtext(f"bndbox/{k}") for k in keys]
    corners = [number(text) for text in texts]
    raw = element.findtext("name") or ""
    name = raw.strip()
    if raw != name and name:
        _padded(source, file, image_id, f"{location} <name>", raw)
    _repeated(element, ("name", "bndbox"), location, file, image_id, source)
    difficult = element.findtext("difficult")
    if None in corners:
        source.problem("ANN002", f"{file} {location} has no numeric bndbox", file, location,
                       image_id)  # fmt: skip
        source.add_instance(image_id, file, location, malformed=True, name=name,
                            difficult=difficult)  # fmt: skip
        return []
    source.add_instance(image_id, file, location, tuple(corners), name=name, difficult=difficult)
    return [(f"{location} <{k}>", text) for k, text in zip(keys, texts, strict=True)]


def _lacks(element: Element) -> list[str]:
    """What the devkit's parse_rec cannot read in an object: `obj.find('pose').text` needs the
    element, `int(obj.find('truncated').text)` and `int(obj.find('difficult').text)` an integer
    (a <difficult> that is there but not an integer is ANN028's)."""
    lacking = [] if element.find("pose") is not None else ["pose"]
    if not _is_int(element.findtext("truncated")):
        lacking.append("truncated")
    if element.find("difficult") is None:
        lacking.append("difficult")
    return lacking


def _unparsed(lacking: dict[str, list[int]], file: str, image_id: str,
              source: FormatSource) -> None:  # fmt: skip
    """ANN002: objects the VOC devkit's parse_rec fails on, one problem for the file."""
    shown = "; ".join(f"<{tag}> in object{'s' * (len(found) > 1)} {', '.join(map(str, found))}"
                      for tag, found in lacking.items())  # fmt: skip
    first = min(n for found in lacking.values() for n in found)
    source.problem("ANN002", f"{file} lacks (or has no integer in) {shown}: the VOC devkit's "
                             "parse_rec (voc_eval.py, also detectron2's PASCAL VOC evaluator) "
                             "reads obj.find('pose').text and int() of <truncated> and "
                             "<difficult> for every object and fails on the file, so the VOC "
                             "evaluation cannot run", file, f"object {first}", image_id,
                   lacking={tag: found[:50] for tag, found in lacking.items()})  # fmt: skip


def _padded(source: FormatSource, file: str, image_id: str, where: str, raw: str) -> None:
    source.problem("ANN024", f"{file} {where} is {raw!r}, with spaces around the text: fracqa "
                             f"strips them, the VOC devkit and detectron2 read {raw!r} as it is, "
                             f"which is not {raw.strip()!r}", file, where, image_id,
                   text=raw)  # fmt: skip


def _repeated(element: Element, tags: tuple[str, ...], where: str, file: str, image_id: str,
              source: FormatSource) -> None:  # fmt: skip
    """Report each of `tags` written more than once directly under `element`."""
    for tag in tags:
        found = element.findall(tag)
        if len(found) > 1:
            source.problem("ANN021", f"{file}: {where} has {len(found)} <{tag}> elements: fracqa, "
                                     "the VOC devkit and torchvision read the first and the "
                                     f"others are lost (or read by another reader instead)",
                           file, where if where != "the file" else f"<{tag}>", image_id,
                           element=tag, count=len(found))  # fmt: skip


def _non_integers(texts: list[tuple[str, str | None]], file: str, image_id: str,
                  source: FormatSource) -> None:  # fmt: skip
    """One problem for the sizes and corners that fracqa read as numbers but int() cannot."""
    found = [(where, text) for where, text in texts
             if text is not None and number(text) is not None and not _is_int(text)]  # fmt: skip
    if found:
        shown = ", ".join(f"{where} {text.strip()!r}" for where, text in found[:4])
        more = f" and {len(found) - 4} more" if len(found) > 4 else ""
        source.problem("ANN022", f"{file} writes {shown}{more} where VOC has whole pixels: "
                                 "fracqa reads the number, the VOC devkit's int() and mmdetection "
                                 "fail on it", file, found[0][0], image_id,
                       values={where: text for where, text in found})  # fmt: skip


def _is_int(text: str | None) -> bool:
    try:
        int(text)
    except (TypeError, ValueError):
        return False
    return True
