"""PASCAL VOC: one .xml per image, parsed with defusedxml (entity declarations are refused)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from fracqa.layout import Layout
from fracqa.load.annotation_table import FormatSource, PendingSource, number
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
    source.add_entry(
        image_id, file, None, width, height, (root.findtext("filename") or "").strip(),
        path=(root.findtext("path") or "").strip(),
    )  # fmt: skip
    for position, element in enumerate(root.findall("object"), start=1):
        _load_object(element, position, image_id, file, source)


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
                 source: FormatSource) -> None:  # fmt: skip
    location = f"object {position}"
    corners = [number(element.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
    name = (element.findtext("name") or "").strip()
    if None in corners:
        source.problem("ANN002", f"{file} {location} has no numeric bndbox", file, location,
                       image_id)  # fmt: skip
        source.add_instance(image_id, file, location, malformed=True, name=name)
        return
    source.add_instance(image_id, file, location, tuple(corners), name=name)
