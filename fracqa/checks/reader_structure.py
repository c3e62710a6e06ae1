"""Structure a reader trips over: what makes one image appear as two, or two as one, or an
instance vanish, for pycocotools, a VOC reader, a YOLO trainer or a file system."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_extras import count_note, exact_copies
from fracqa.checks.annotation_facts import instances, known_images, label
from fracqa.checks.annotation_votes import CHAIN, listing
from fracqa.inputs import COCO, CSV, IMAGE_FILES, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release

_SEPARATOR = re.compile(r"[/\\]")


def folder_named(release: Release) -> dict[tuple[str, str], str]:
    """(format, name) -> the image a COCO file_name or VGG filename names with a folder in front
    of it (`images/Fractured/IMG0000019.jpg`), for the names whose last part is an image of
    the release; ANN025 reports them and ANN006 leaves them to it."""
    def compute():
        known = known_images(release)
        entries = release.annotations.entries
        named = entries[entries["format"].isin(["coco", "vgg"])]
        found = {}
        for fmt, name in named[["format", "image_id"]].itertuples(index=False):
            if isinstance(name, str) and _SEPARATOR.search(name):
                base = _SEPARATOR.split(name)[-1]
                if base in known and ".." not in _SEPARATOR.split(name):
                    found[(fmt, name)] = base
        return found

    return release.derived("folder-named", compute, uses=(COCO, VGG, CSV, IMAGE_FILES))


@rule("ANN025", "file-name-with-folder", "annotations", "error",
      "a COCO file_name or VGG filename carries a folder path",
      needs=(COCO, VGG, CSV, IMAGE_FILES))  # fmt: skip
def file_name_with_folder(release: Release) -> Iterator[Hit]:
    """A COCO images entry's file_name or a VGG entry's filename names an image of the release
    with a folder in front of it (`images/Fractured/IMG0000019.jpg`, `Fractured\\IMG0000019.jpg`)
    where the release names the image alone. (A name whose last part is no image of the release,
    such as `../../etc/passwd`, is ANN006's.)

    Why: readers join file_name to the image folder they are given (detectron2, torchvision,
    mmdetection: os.path.join(image_root, file_name)) and find no file, or a path with a
    backslash on Linux; every join of the annotations with dataset.csv or the split by file name
    misses the image, so its fracture is lost to those readers.
    Fix: write the image's file name alone, as every other entry does.
    """
    entries = release.annotations.entries
    named = folder_named(release)
    for row in entries.itertuples(index=False):
        base = named.get((row.format, row.image_id))
        if base is not None:
            what = "file_name" if row.format == "coco" else "filename"
            folders = [part for part in _SEPARATOR.split(row.image_id)[:-1] if part]
            joined = ("a reader joining it to the image folder still finds the file (the "
                      "folder is the current one), but" if set(folders) <= {"."} and
                      "\\" not in row.image_id else
                      "a reader joining it to the image folder finds no file, and")  # fmt: skip
            yield Hit(f"{label(row.format)} {row.location} has the {what} {row.image_id!r}, a "
                      f"path with a folder, where the release names the image alone ({base!r}): "
                      f"{joined} no join by file name finds {base}'s entry", base, row.file,
                      row.location, {"format": row.format, "written": row.image_id})  # fmt: skip


@rule("ANN026", "coco-zero-id", "annotations", "warning",
      "a COCO annotation or category has the id 0", needs=(COCO,))  # fmt: skip
def coco_zero_id(release: Release) -> Iterator[Hit]:
    """A COCO annotation has the id 0, or a category the id 0.

    Why: pycocotools' COCOeval records each match by the matched annotation's id and reads 0 as
    'no match': a detection of the fracture whose annotation has id 0 counts as a false
    positive (and that fracture can be matched twice). torchvision's detection references and
    many Mask R-CNN codes use label 0 for the background, so a category 0 trains every fracture
    as background.
    Fix: number annotations and categories from 1, as the COCO files of the COCO dataset do.
    """
    for row in instances(release, "coco").itertuples(index=False):
        if row.extra.get("ann_id") == 0:
            yield Hit(f"COCO annotation id 0 (on {row.image_id}): COCOeval reads a match with it "
                      "as no match, so a correct detection of this fracture counts as a false "
                      "positive", row.image_id, row.file, row.location, {"ann_id": 0})  # fmt: skip
    for category in release.annotations.sources["coco"].classes:
        if category["id"] == 0:
            yield Hit(f"COCO category {category['name']!r} has the id 0, the label most "
                      "detection code keeps for the background: trained with it, every fracture "
                      "is background", None, category["file"], "categories",
                      {"category": category})  # fmt: skip


@rule("ANN027", "duplicate-entry", "annotations", "error",
      "an image or a category is listed twice in one annotation file",
      needs=(COCO, VGG))  # fmt: skip
def duplicate_entry(release: Release) -> Iterator[Hit]:
    """Two COCO images entries (with different ids) have the same file_name; two VGG entries
    (under different keys) have the same filename; two COCO categories have the same id. (Two
    images entries with the same id are ANN005's.)

    Why: pycocotools indexes images by id, so one radiograph becomes two images with the
    annotations split between them (and evaluated twice); a reader keyed by file name keeps
    one entry and loses the other's instances. VIA shows one of two entries. With a category
    listed twice, detectron2 numbers two classes and maps every annotation to the second.
    Fix: merge the two entries into one (re-pointing annotations to the id kept); list each
    category once.
    """
    entries = release.annotations.entries
    coco = entries[entries["format"] == "coco"]
    coco = coco.assign(coco_id=[e.get("coco_id") for e in coco["extra"]])
    for (file, image_id), group in coco.groupby(["file", "image_id"], sort=True):
        ids = list(dict.fromkeys(group["coco_id"]))
        if len(ids) > 1:
            yield Hit(f"COCO lists {image_id} {len(group)} times, as image ids "
                      f"{', '.join(map(str, ids))}: pycocotools makes them {len(ids)} images and "
                      "splits the image's annotations between them", image_id, file,
                      group["location"].iloc[1], {"coco_ids": ids})  # fmt: skip
    vgg = entries[entries["format"] == "vgg"]
    for (file, image_id), group in vgg.groupby(["file", "image_id"], sort=True):
        if len(group) > 1:
            keys = list(group["location"])
            yield Hit(f"VGG has {len(group)} entries for {image_id} ({', '.join(keys)}): VIA and "
                      "readers keyed by file name keep one, and the other's regions are lost",
                      image_id, file, keys[1], {"entries": keys})  # fmt: skip
    categories: dict[tuple[str, int], list[str]] = {}
    for category in release.annotations.sources["coco"].classes:
        categories.setdefault((category["file"], category["id"]), []).append(category["name"])
    for (file, category_id), names in sorted(categories.items()):
        if len(names) > 1:
            yield Hit(f"COCO lists category id {category_id} {len(names)} times ({names}): "
                      f"detectron2 makes {len(names)} classes of it and maps every annotation "
                      "to the last", None, file, "categories",
                      {"category_id": category_id, "names": names})  # fmt: skip


@rule("ANN028", "ignored-instance", "annotations", "error",
      "an instance is marked crowd (COCO) or difficult (VOC), so readers ignore it",
      needs=(COCO, VOC))  # fmt: skip
def ignored_instance(release: Release) -> Iterator[Hit]:
    """A COCO annotation has a true iscrowd (1, or anything truthy: `"0"` is a non-empty
    string), or a VOC object has <difficult> other than 0. The release marks every fracture as
    an ordinary instance (iscrowd 0, difficult 0).

    Why: pycocotools' COCOeval treats a crowd annotation as a region to ignore, never as a
    fracture to find, and detectron2 and torchvision drop crowd annotations from training;
    the VOC devkit leaves difficult objects out of evaluation and most VOC training code
    (py-faster-rcnn, mmdetection) out of training: the fracture is silently lost.
    Fix: set iscrowd to 0 (and give the annotation a polygon) or difficult to 0.
    """
    for row in instances(release, "coco").itertuples(index=False):
        crowd = row.extra.get("iscrowd")
        if crowd:  # pycocotools' test: `'iscrowd' in gt and gt['iscrowd']`
            yield Hit(f"COCO {row.location} (on {row.image_id}) has iscrowd={crowd!r}: COCOeval "
                      "ignores it as a crowd region and detectron2 and torchvision drop it from "
                      "training", row.image_id, row.file, row.location,
                      {"iscrowd": crowd})  # fmt: skip
    for row in instances(release, "voc").itertuples(index=False):
        text = row.extra.get("difficult")
        if text is None:
            continue
        value = text.strip()
        try:
            if int(value) == 0:
                continue
            what = "readers leave difficult objects out of evaluation and training"
        except ValueError:
            what = "not 0 or 1: the VOC devkit's int() fails on it"
        yield Hit(f"{row.file} {row.location} has <difficult>{value}</difficult>: {what}",
                  row.image_id, row.file, row.location, {"difficult": text})  # fmt: skip


# What each format's readers make of an instance written twice with the same shape.
_READ_TWICE = {
    "coco": "pycocotools and COCOeval load both COCO annotations (evaluation expects the "
            "fracture to be found twice: one of them counts as missed)",
    "vgg": "readers of the VGG file load both regions",
    "yolo": "ultralytics drops the repeated YOLO line ('duplicate labels removed') and trains "
            "on one",
    "voc": "the VOC devkit and torchvision load both objects (VOC evaluation counts the second "
           "as missed)",
}  # fmt: skip
_UNIT = {"coco": ("annotation id", "annotation ids"), "vgg": ("region", "regions"),
         "yolo": ("line", "lines"), "voc": ("object", "objects")}  # fmt: skip
@rule("ANN034", "coco-ignore-flag", "annotations", "warning",
      "a COCO annotation carries an `ignore` flag", needs=(COCO,))  # fmt: skip
def coco_ignore_flag(release: Release) -> Iterator[Hit]:
    """A COCO annotation has an `ignore` key whose value is not 0 (`"ignore": 1`, as some
    exporters write for regions to leave out). COCO defines no such key: pycocotools' COCOeval
    overwrites it from iscrowd. One finding per file, naming every annotation.

    Why: detectron2's load_coco_json refuses it (`assert anno.get("ignore", 0) == 0`: '"ignore"
    in COCO json file is not supported') and stops loading the release, and mmdetection's COCO
    dataset drops every annotation with a true `ignore` from training, so the fracture is lost
    there while COCOeval still counts it.
    Fix: remove the key (or set it to 0); mark a region to ignore with iscrowd, if at all.
    """
    flagged: dict[str, list] = {}
    for row in instances(release, "coco").itertuples(index=False):
        if "ignore" in row.extra and row.extra["ignore"] != 0:
            flagged.setdefault(row.file, []).append(row)
    for file, rows in sorted(flagged.items()):
        values = sorted({json.dumps(row.extra["ignore"]) for row in rows})
        where = (rows[0].location if len(rows) == 1 else
                 f"{len(rows)} annotations, the first {rows[0].location}")  # fmt: skip
        images = sorted({row.image_id for row in rows if isinstance(row.image_id, str)})
        yield Hit(f"COCO annotations carry \"ignore\": {', '.join(values)} ({where}): "
                  "detectron2's load_coco_json refuses the file ('\"ignore\" in COCO json file "
                  "is not supported'), mmdetection drops the annotation from training, and "
                  "COCOeval disregards the key", images[0] if len(images) == 1 else None, file,
                  rows[0].location, {"locations": [row.location for row in rows][:50],
                                     "images": images[:50], "count": len(rows)})  # fmt: skip


@rule("ANN035", "coco-id-as-string", "annotations", "warning",
      "COCO ids are written as strings (\"1\")", needs=(COCO,))  # fmt: skip
def coco_id_as_string(release: Release) -> Iterator[Hit]:
    """A COCO images entry's id, an annotation's id or image_id, or a category's id is written
    as a JSON string (`"1"`) where COCO has an integer. fracqa, like pycocotools, indexes ids as
    written, so string ids written alike still match each other (and `"5"` does not match 5:
    ANN004). One finding per file, naming the keys and every entry.

    Why: pycocotools reads the file, but readers with typed fields (Go, Rust, Java, a JSON
    schema of COCO) refuse it, and a result file that writes image ids as integers, as
    detectors do, matches none of them (COCOeval.loadRes: 'Results do not correspond to
    current coco set').
    Fix: write the ids as integers.
    """
    yield from release.problems("ANN035")


# A VIA entry key: the file name, then (VIA) the file's size in bytes, -1 when unknown.
_VIA_KEY = re.compile(r"(.*?\.(?:jpe?g|png|bmp|tiff?|gif|webp))(-?[0-9]*)", re.IGNORECASE)


def _vgg_entries(release: Release):
    entries = release.annotations.entries
    return entries[entries["format"] == "vgg"]


@rule("ANN036", "vgg-key-names-other-image", "annotations", "warning",
      "a VGG entry's key names another image than its filename", needs=(VGG,))  # fmt: skip
def vgg_key_names_other_image(release: Release) -> Iterator[Hit]:
    """A VGG (VIA) entry is keyed by the name of another image than the one its `filename`
    names (`"IMG0000307.jpg7356": {"filename": "IMG0000467.jpg", ...}`). A key that is the
    filename, or the filename followed by a size (VIA's own key), is the entry's own.

    Why: VIA keys an entry by file name and size: its import recomputes the key from
    `filename` and `size` and discards an entry whose key differs, so these regions are lost to
    VIA; a reader that takes the image from the key puts them on one radiograph, a reader of
    `filename` (Mask R-CNN's VIA loader, via2coco, fracqa) on another.
    Fix: key every entry by its own filename and size (re-export the project from VIA).
    """
    found: dict[str, list] = {}
    for row in _vgg_entries(release).itertuples(index=False):
        key = row.extra.get("key")
        named = _VIA_KEY.fullmatch(key) if isinstance(key, str) else None
        base = _SEPARATOR.split(row.image_id)[-1]  # a folder in filename is ANN025's
        if named is not None and named.group(1) not in (row.image_id, base):
            found.setdefault(row.file, []).append((row, key, named.group(1)))
    for file, rows in sorted(found.items()):
        row, key, other = rows[0]
        more = (f" (and {len(rows) - 1} more entr{'y' if len(rows) == 2 else 'ies'} keyed by "
                "another image)" if len(rows) > 1 else "")  # fmt: skip
        yield Hit(f"VGG entry {key!r} holds the filename {row.image_id!r}{more}: VIA's import, "
                  "which recomputes the key from filename and size, discards the entry, a "
                  f"reader that takes the image from the key puts its regions on {other}, a "
                  f"reader of filename on {row.image_id}",
                  row.image_id if len(rows) == 1 else None, file, row.location,
                  {"entries": [{"key": k, "filename": r.image_id, "key_names": o}
                               for r, k, o in rows][:50], "count": len(rows)})  # fmt: skip


@rule("ANN037", "vgg-size-mismatch", "annotations", "info",
      "a VGG entry's size is not the size its key gives", needs=(VGG,))  # fmt: skip
def vgg_size_mismatch(release: Release) -> Iterator[Hit]:
    """A VGG (VIA) entry is keyed, as VIA keys entries, by its filename followed by the file's
    size in bytes, but its `size` says another number (`"IMG0000307.jpg7356": {"size": 1,
    ...}`). One finding per VGG file, naming every entry. (An image with two entries is
    ANN027's. A key and size that agree with each other but not with the image file, as after
    re-saving the image, are not reported: VIA opens a project's images by file name, and the
    image rules report what re-saving changed.)

    Why: VIA's import recomputes each entry's key from `filename` and `size` and discards an
    entry whose key differs as malformed, so in VIA the image shows without its regions.
    Fix: write the image's size in bytes into `size` and the key (re-export the project from
    VIA).
    """
    entries = _vgg_entries(release)
    twice = entries.duplicated(["file", "image_id"], keep=False)
    found: dict[str, list] = {}
    for row in entries[~twice].itertuples(index=False):
        key, stated = row.extra.get("key"), row.extra.get("size")
        named = _VIA_KEY.fullmatch(key) if isinstance(key, str) else None
        if named is None or named.group(1) != row.image_id or not named.group(2):
            continue  # a key without a size (the file name alone) says nothing of it
        if str(stated).strip() != named.group(2):
            found.setdefault(row.file, []).append((row, stated, named.group(2)))
    for file, rows in sorted(found.items()):
        row, stated, in_key = rows[0]
        more = "" if len(rows) == 1 else f" (and {len(rows) - 1} more entries)"
        yield Hit(f"VGG entry {row.extra.get('key')!r} of {row.image_id} states the size "
                  f"{json.dumps(stated)} where its key gives {in_key}{more}: VIA's import "
                  "recomputes the key from filename and size and discards the entry as "
                  "malformed, so in VIA the image shows without its regions",
                  row.image_id if len(rows) == 1 else None, file, row.location,
                  {"entries": [r.location for r, _, _ in rows][:50], "count": len(rows),
                   "images": [r.image_id for r, _, _ in rows][:50]})  # fmt: skip


@rule("ANN029", "duplicate-instance", "annotations", "error",
      "an image has the same instance twice in one format",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS, CSV))  # fmt: skip
def duplicate_instance(release: Release) -> Iterator[Hit]:
    """Two instances of one image in one format are identical: the same YOLO line, the same
    VOC box, the same COCO box and polygon, the same VGG polygon. One finding per image,
    naming every format that repeats it (an exporter that wrote the instance twice wrote it
    twice in each format it exported), with what each format's readers make of it, and what
    fracture_count says: when the formats count one instance more than it does only because
    of the copies, the count is right and CSV003 does not report it.
    Boxes that coincide in YOLO or VOC are not reported where COCO or VGG outline the image's
    objects as that many distinct shapes: two fracture lines crossing in an X share one box,
    and a copy moved slightly is ANN032's (overlapping-instances).

    Why: ultralytics removes repeated YOLO lines ('duplicate labels removed') and trains on one
    instance where the other formats and fracture_count say two; in COCO, VOC and VGG the one
    fracture counts twice, and evaluation expects two detections of it.
    Fix: delete the copy in every format that has it, or, if the image has two fractures,
    outline the other one (and count it in fracture_count).
    """
    by_image: dict[str, list] = {}
    for copies in exact_copies(release):
        by_image.setdefault(copies.image_id, []).append(copies)
    for image_id, found in sorted(by_image.items()):
        found.sort(key=lambda c: CHAIN.index(c.fmt))
        first = found[0]
        where = "; ".join(
            f"{label(c.fmt)} {_UNIT[c.fmt][1]} "
            f"{_listed([_short(r.location) for r in c.rows])}" for c in found)  # fmt: skip
        formats = [c.fmt for c in found]
        times = max(len(c.rows) for c in found)
        reads = "; ".join(_READ_TWICE[f] for f in formats)
        noun = "the copy" if sum(len(c.rows) - 1 for c in found) == 1 else "the copies"
        note = count_note(release, image_id, noun)
        copy = first.rows[-1]
        yield Hit(f"{image_id} has the same instance {_times(times)} in {listing(formats)} "
                  f"({where}): {reads}{note}", image_id, copy.file, copy.location,
                  {"format": first.fmt, "formats": formats,
                   "locations": [str(r.location) for r in first.rows],
                   "by_format": {c.fmt: [str(r.location) for r in c.rows] for c in found},
                   "files": list(dict.fromkeys(r.file for c in found for r in c.rows))})


def _short(location) -> str:
    """'5' from 'annotation id 5', 'line 2' -> '2', 'entry ... region 1' -> '1'."""
    text = str(location)
    return text.rsplit(" ", 1)[-1] if " " in text else text


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _times(n: int) -> str:
    return {2: "twice", 3: "three times"}.get(n, f"{n} times")


@rule("IMG015", "case-collision", "images", "error",
      "two image files have names that differ only in case", needs=(IMAGE_FILES,))  # fmt: skip
def case_collision(release: Release) -> Iterator[Hit]:
    """Two files under images/ have paths that differ only in upper and lower case
    (`IMG0000019.jpg` and `img0000019.jpg`, or `IMG0000019.JPG`).

    Why: on a case-insensitive file system (Windows, macOS) the two are one file: unpacking
    the release overwrites one radiograph with the other (or renames it), so two labelled
    images become one, and which survives depends on the machine.
    Fix: keep the file whose name is the image's id; remove or rename the other.
    """
    images = release.images
    folded = images["file"].str.lower()
    for _, group in images[folded.duplicated(keep=False)].groupby(folded, sort=True):
        files = sorted(group["file"])
        yield Hit(f"{' and '.join(files)} differ only in case: on Windows and macOS they are "
                  "one file, and unpacking the release keeps only one of the radiographs",
                  group["image_id"].iloc[-1], files[-1], details={"files": files})  # fmt: skip


@rule("IMG016", "linked-image", "images", "error",
      "an image file is a link to another file of the release", needs=(IMAGE_FILES,))  # fmt: skip
def linked_image(release: Release) -> Iterator[Hit]:
    """An image file is another file of the release under a second name: a symbolic link to
    it, or a hard link (the same file on disk). (A link leading outside the release is
    IMG014's.)

    Why: two image ids, one radiograph: the release counts, labels and splits it twice, a model
    can be trained and tested on the same pixels, and an archive or copy that does not keep
    links turns it into two files or into one.
    Fix: replace the link by the image it stands for (if it is a distinct radiograph), or
    remove it with its labels.
    """
    images = release.images
    linked = images[images["same_file_as"].notna()] if "same_file_as" in images else images[:0]
    for image in linked.itertuples(index=False):
        yield Hit(f"{image.file} is not a file of its own but a link to {image.same_file_as}: "
                  "two image ids, one radiograph", image.image_id, image.file,
                  details={"same_file_as": image.same_file_as})  # fmt: skip

