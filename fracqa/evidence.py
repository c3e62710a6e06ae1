"""What the report shows beside the findings: for each image a finding names (and each member
of a duplicate group), its size, split, labels, a thumbnail, and every format's boxes and
polygons; and the distributions the charts draw. Gathered once, after the checks and only for
the HTML report, so that the reports only render. It uses what the audit loaded: an input the
rules that ran did not need (the image scan, say) is simply not shown."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from fracqa.columns import FLAGS
from fracqa.load.thumbnails import thumbnail
from fracqa.model import Finding
from fracqa.release import Release

MAX_THUMBNAILS = 300  # keeps the report of a badly broken release within a few megabytes
MAX_IMAGES = 2000


def named_images(findings: list[Finding]) -> list[str]:
    """Image ids the findings name, most severe first, duplicate-group members included."""
    ordered: dict[str, None] = {}
    for finding in sorted(findings, key=lambda f: f.severity.rank):
        if finding.family not in ("images", "annotations", "splits", "csv", "privacy"):
            continue
        if finding.image_id:
            ordered.setdefault(finding.image_id)
        for member in finding.details.get("members", []):
            ordered.setdefault(member["image_id"])
    return list(ordered)


def gather(release: Release, findings: list[Finding]) -> dict[str, dict]:
    """image_id -> evidence for the report."""
    images = release.images.drop_duplicates("image_id").set_index("image_id")
    instances = release.annotations.instances
    instances = instances[instances["x0"].notna() & ~instances["malformed"].astype(bool)]
    by_image = {image_id: group for image_id, group in instances.groupby("image_id")}
    labels = release.meta.dropna(subset=["image_id"]).drop_duplicates("image_id")
    labels = labels.set_index("image_id")
    named = named_images(findings)[:MAX_IMAGES]
    splits = release.splits.of(set(named))
    text_regions = _text_regions(findings)
    oriented = _drawn_oriented(findings)
    evidence = {}
    for position, image_id in enumerate(named):
        row = images.loc[image_id] if image_id in images.index else None
        # decoded: unknown unless the scan ran; an image that killed its reader is not opened
        readable = (row is not None and not bool(row["outside_root"])
                    and bool(row.get("decoded", True))
                    and not bool(row.get("killed_reader", False)))  # fmt: skip
        shapes = _instances(by_image.get(image_id))
        width, height = _int(row, "width"), _int(row, "height")
        orientation = oriented.get(image_id)
        if orientation is not None and orientation >= 5 and width and height:
            width, height = height, width  # the oriented view, as the annotations were drawn
        zoom = _zoom(shapes, width, height)
        previews = readable and position < MAX_THUMBNAILS
        path = release.layout.root / row["file"] if row is not None else None
        hide = [region["box"] for region in text_regions.get(image_id, [])]
        evidence[image_id] = {
            "file": None if row is None else row["file"],
            "width": width,
            "height": height,
            "splits": splits.get(image_id, []),
            "labels": _labels(labels, image_id),
            "thumbnail": (thumbnail(path, hide=hide, orientation=orientation)
                          if previews else None),  # fmt: skip
            "zoom": zoom,
            "zoom_thumbnail": (thumbnail(path, region=zoom, hide=hide, orientation=orientation)
                               if previews and zoom else None),  # fmt: skip
            "instances": shapes,
            "text_regions": text_regions.get(image_id, []),
        }
    return evidence


def _drawn_oriented(findings: list[Finding]) -> dict[str, int]:
    """image_id -> its orientation tag, for the images whose annotations were drawn on the view
    the tag shows (IMG020 says which view each format's stated size fits): their previews are
    turned likewise, so that the shapes drawn over them fall on what the annotators saw."""
    found = {}
    for finding in findings:
        if finding.rule != "IMG020" or not finding.image_id:
            continue
        views = list((finding.details.get("drawn_on") or {}).values())
        if views.count("oriented") > views.count("stored"):
            found[finding.image_id] = int(finding.details["orientation"])
    return found


def _text_regions(findings: list[Finding]) -> dict[str, list[dict]]:
    """image_id -> the burned-in text regions the privacy findings give (box, masked text),
    blacked out and outlined on the report's thumbnails."""
    found: dict[str, list[dict]] = {}
    for finding in findings:
        regions = finding.details.get("regions") if finding.family == "privacy" else None
        if finding.image_id and isinstance(regions, list):
            found.setdefault(finding.image_id, []).extend(
                {"box": r["box"], "masked": r.get("masked")} for r in regions
                if isinstance(r, dict) and isinstance(r.get("box"), list))  # fmt: skip
    return found


def _zoom(shapes: list[dict], width: int | None, height: int | None) -> list[float] | None:
    """The part of the image around its annotations, when they cover a small part of it:
    [x0, y0, x1, y1], their union widened by its own size on each side, at least 64 px."""
    if not shapes or not width or not height:
        return None
    x0 = max(0.0, min(s["box"][0] for s in shapes))
    y0 = max(0.0, min(s["box"][1] for s in shapes))
    x1 = min(float(width), max(s["box"][2] for s in shapes))
    y1 = min(float(height), max(s["box"][3] for s in shapes))
    if x1 <= x0 or y1 <= y0:
        return None
    grow_x, grow_y = max(x1 - x0, 64.0), max(y1 - y0, 64.0)
    region = [max(0.0, x0 - grow_x), max(0.0, y0 - grow_y),
              min(float(width), x1 + grow_x), min(float(height), y1 + grow_y)]  # fmt: skip
    if (region[2] - region[0]) * (region[3] - region[1]) > 0.5 * width * height:
        return None  # the whole image shows them well enough
    return [round(v, 1) for v in region]


def _int(row, column: str) -> int | None:
    if row is None or column not in row or pd.isna(row[column]):
        return None
    return int(row[column])


def _labels(labels: pd.DataFrame, image_id: str) -> dict | None:
    if image_id not in labels.index:
        return None
    row = labels.loc[image_id]
    return {c: (None if pd.isna(row[c]) else int(row[c]))
            for c in (*FLAGS, "fracture_count") if c in row}  # fmt: skip


def _instances(group: pd.DataFrame | None) -> list[dict]:
    if group is None:
        return []
    found = []
    for row in group.itertuples(index=False):
        x0, x1 = sorted((float(row.x0), float(row.x1)))
        y0, y1 = sorted((float(row.y0), float(row.y1)))
        polygon = None
        if row.rings:
            polygon = [[round(float(x), 1), round(float(y), 1)] for x, y in row.rings[0]]
        found.append({"format": row.format, "location": row.location, "file": row.file,
                      "box": [round(v, 1) for v in (x0, y0, x1, y1)],
                      "polygon": polygon})  # fmt: skip
    return found


def distributions(release: Release) -> dict:
    """Observed distributions for the report's charts: fracture_count among all images and
    among fractured ones."""
    meta = release.meta.dropna(subset=["fracture_count"])
    counts = Counter(int(v) for v in meta["fracture_count"])
    return {"fracture_count": {str(k): counts[k] for k in sorted(counts)}}

