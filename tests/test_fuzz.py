"""Property-based tests: every source of a release, mutated by hypothesis (truncated, bytes
flipped, re-encoded, fields given wrong types, keys dropped or added), is still read, and every
rule that reads it still finishes with findings that make a valid JSON report; where the
mutation surely breaks the file, an error is reported. The sample is loaded once; each case
reads only the mutated source again (see tests/fuzzing.py for the deep end-to-end run, the
number of cases and the seed). The counts run are printed at the end of the session."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from fixtures import defects
from fracqa.model import Severity
from tests.fuzzing import EXAMPLES, SEED, Loaded, check_mutated, counted

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip

WEIRD = st.one_of(
    st.none(), st.booleans(), st.text(max_size=6), st.just(math.nan), st.just(math.inf),
    st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=3),
                                                              st.integers(), max_size=2),
)  # fmt: skip
WEIRD_TEXT = st.one_of(
    st.text(max_size=8), st.sampled_from(["", "-1", "1e999", "nan", "inf", "0x10", "１", "1,5",
                                          "<x>", "&amp;", "\x00", "\ufeff", "IMG0000001.jpg"]),
)  # fmt: skip


@pytest.fixture(scope="module")
def tree(sample_root, tmp_path_factory) -> Loaded:
    """A clone of the sample, loaded once."""
    return Loaded.of(defects.clone_release(sample_root, tmp_path_factory.mktemp("fuzz")))


def _errors(findings) -> list:
    return [f for f in findings if f.severity is Severity.ERROR]


class Mutated(bytes):
    """Mutated file content, shown by its length and digest: hypothesis shows every case it
    generates, and a repr of a whole JPEG costs more than the case itself (the seed, printed
    on failure, reproduces the bytes)."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes, sha256 {hashlib.sha256(self).hexdigest()[:12]}>"


def byte_mutations(original: bytes):
    size = len(original)
    truncated = st.integers(0, max(size - 1, 0)).map(lambda n: original[:n])
    flipped = st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, 255)), min_size=1,
                       max_size=8).map(lambda flips: _flip(original, flips))  # fmt: skip
    inserted = st.tuples(st.integers(0, size), st.binary(min_size=1, max_size=24)).map(
        lambda at: original[: at[0]] + at[1] + original[at[0]:]
    )
    encoded = st.sampled_from(["utf-16", "utf-32", "latin-1", "cp500"]).map(
        lambda codec: original.decode("utf-8", "replace").encode(codec, "replace")
    )
    return st.one_of(truncated, flipped, inserted, encoded, st.binary(max_size=64)).map(Mutated)


def _flip(data: bytes, flips) -> bytes:
    mutable = bytearray(data)
    for position, mask in flips:
        mutable[position] ^= mask
    return bytes(mutable)


def _paths(node, prefix=(), depth=0):
    yield prefix
    if depth >= 5:
        return
    children = node.items() if isinstance(node, dict) else enumerate(node[:3]) if isinstance(
        node, list) else ()  # fmt: skip
    for key, child in children:
        yield from _paths(child, (*prefix, key), depth + 1)


def json_mutations(document):
    paths = [p for p in _paths(document) if p]
    operation = st.sampled_from(["replace", "delete", "add"])
    return st.tuples(st.sampled_from(paths), operation, WEIRD, st.text(max_size=5)).map(
        lambda case: _mutate_json(document, *case)
    )


def _mutate_json(document, path, operation, value, key) -> bytes:
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "add" and isinstance(parent, dict):
        parent[f"{key}_extra"] = value
    else:
        parent[last] = value
    return json.dumps(copy, allow_nan=True).encode()


def _truncated_surely(original: bytes):
    """Truncations that always break a JSON or XML document (more than trailing whitespace)."""
    return st.integers(0, len(original.rstrip()) - 1).map(lambda n: original[:n])


def _document(tree: Path, part: str, suffix: str) -> Path:
    return sorted(defects.part_path(tree, part).glob(f"*{suffix}"))[0]


def _fractured_file(tree: Path, part: str, suffix: str) -> Path:
    labels = (tree / "dataset.csv").read_text().splitlines()
    fractured = next(line.split(",")[0] for line in labels[1:] if line.split(",")[8] == "1")
    return defects.part_path(tree, part) / f"{fractured[:-4]}{suffix}"


# ------------------------------------------------------------------------------------ COCO, VGG


@pytest.mark.parametrize(("part", "source"), [("COCO JSON", "coco"), ("VGG JSON", "vgg")])
def test_json_annotations_never_crash(tree, part, source, record_property):
    path = _document(tree.root, part, ".json")
    original = path.read_bytes()
    document = json.loads(original)

    @FUZZ
    @seed(SEED)
    @given(st.one_of(json_mutations(document), byte_mutations(original)))
    def run(content):
        check_mutated(tree, path, content, source)

    counted(run, record_property)


@pytest.mark.parametrize(("part", "source"), [("COCO JSON", "coco"), ("VGG JSON", "vgg")])
def test_truncated_json_is_always_an_error(tree, part, source, record_property):
    path = _document(tree.root, part, ".json")
    original = path.read_bytes()

    @settings(FUZZ, max_examples=max(EXAMPLES // 5, 20))
    @seed(SEED)
    @given(_truncated_surely(original))
    def run(content):
        findings = check_mutated(tree, path, content, source)
        assert any(f.rule == "ANN001" for f in _errors(findings))

    counted(run, record_property)


# ------------------------------------------------------------------------------------ YOLO, VOC


def yolo_mutations(original: bytes):
    lines = [line.split() for line in original.decode().splitlines()]

    def mutate(case):
        row, column, text, extra = case
        copy = [list(line) for line in lines]
        line = copy[row % len(copy)]
        if extra == "drop" and line:
            del line[column % len(line)]
        elif extra == "add":
            line.insert(column % (len(line) + 1), text)
        elif line:
            line[column % len(line)] = text
        return "\n".join(" ".join(tokens) for tokens in copy).encode("utf-8", "replace")

    return st.tuples(st.integers(0, 10), st.integers(0, 10), WEIRD_TEXT,
                     st.sampled_from(["replace", "drop", "add"])).map(mutate)  # fmt: skip


def test_yolo_never_crashes(tree, record_property):
    path = _fractured_file(tree.root, "YOLO", ".txt")
    original = path.read_bytes()

    @FUZZ
    @seed(SEED)
    @given(st.one_of(yolo_mutations(original), byte_mutations(original)))
    def run(content):
        check_mutated(tree, path, content, "yolo")

    counted(run, record_property)


def voc_mutations(original: bytes):
    root = ElementTree.fromstring(original)
    count = len(list(root.iter()))

    def mutate(case):
        index, text, remove = case
        copy = ElementTree.fromstring(original)
        elements = list(copy.iter())
        target = elements[index % count]
        if remove and target is not copy:
            parent = next(p for p in copy.iter() if target in list(p))
            parent.remove(target)
        else:
            target.text = text
        return ElementTree.tostring(copy, encoding="utf-8")

    return st.tuples(st.integers(0, 200), WEIRD_TEXT.filter(_xml_safe), st.booleans()).map(mutate)


def _xml_safe(text: str) -> bool:
    return all(ch in "\t\n\r" or ord(ch) >= 32 for ch in text) and "\ufffe" not in text


def test_voc_never_crashes(tree, record_property):
    path = _fractured_file(tree.root, "PASCAL VOC", ".xml")
    original = path.read_bytes()

    @FUZZ
    @seed(SEED)
    @given(st.one_of(voc_mutations(original), byte_mutations(original)))
    def run(content):
        check_mutated(tree, path, content, "voc")

    counted(run, record_property)


def test_truncated_voc_is_always_an_error(tree, record_property):
    path = _fractured_file(tree.root, "PASCAL VOC", ".xml")
    original = path.read_bytes()

    @settings(FUZZ, max_examples=max(EXAMPLES // 5, 20))
    @seed(SEED)
    @given(_truncated_surely(original))
    def run(content):
        assert _errors(check_mutated(tree, path, content, "voc"))

    counted(run, record_property)


# --------------------------------------------------------------------------- dataset.csv, splits


def csv_mutations(original: bytes):
    rows = list(csv.reader(io.StringIO(original.decode())))

    def mutate(case):
        row, column, text, operation = case
        copy = [list(r) for r in rows]
        target = copy[row % len(copy)]
        if operation == "drop-column":
            for r in copy:
                del r[column % len(r)]
        elif operation == "add-field":
            target.append(text)
        else:
            target[column % len(target)] = text
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(copy)
        return buffer.getvalue().encode("utf-8", "replace")

    return st.tuples(st.integers(0, 60), st.integers(0, 20), WEIRD_TEXT,
                     st.sampled_from(["cell", "drop-column", "add-field"])).map(mutate)  # fmt: skip


def test_dataset_csv_never_crashes(tree, record_property):
    path = tree.root / "dataset.csv"
    original = path.read_bytes()

    @FUZZ
    @seed(SEED)
    @given(st.one_of(csv_mutations(original), byte_mutations(original)))
    def run(content):
        check_mutated(tree, path, content, "dataset.csv")

    counted(run, record_property)


def test_split_file_never_crashes(tree, record_property):
    path = defects.part_path(tree.root, "split") / "train.csv"
    original = path.read_bytes()
    lines = original.decode().splitlines()
    replaced = st.tuples(st.integers(0, len(lines) - 1), WEIRD_TEXT).map(
        lambda case: "\n".join(case[1] if i == case[0] else line
                               for i, line in enumerate(lines)).encode("utf-8", "replace")
    )  # fmt: skip

    @FUZZ
    @seed(SEED)
    @given(st.one_of(replaced, byte_mutations(original)))
    def run(content):
        check_mutated(tree, path, content, "splits")

    counted(run, record_property)


# ------------------------------------------------------------------------------------ images


def test_jpeg_never_crashes(tree, record_property):
    labels = (tree.root / "dataset.csv").read_text().splitlines()
    image_id = next(line.split(",")[0] for line in labels[1:] if line.split(",")[8] == "0")
    path = defects.find_image(tree.root, image_id)
    original = path.read_bytes()

    @FUZZ
    @seed(SEED)
    @given(byte_mutations(original))
    def run(content):
        check_mutated(tree, path, content, "jpeg")

    counted(run, record_property)


@pytest.mark.parametrize(
    "case",
    [(("annotations", 2, "segmentation", 0), "delete", None, ""),
     (("annotations", 0, "category_id"), "delete", None, ""),
     (("annotations", 0, "category_id"), "replace", [], "")],
    ids=["empty segmentation", "no category_id", "category_id a list"],
)  # fmt: skip
def test_cases_hypothesis_once_broke(tree, case):
    """Regressions: both once stopped a rule (ANN019) or the COCO index (pycocotools)."""
    path = _document(tree.root, "COCO JSON", ".json")
    content = _mutate_json(json.loads(path.read_bytes()), *case)
    assert _errors(check_mutated(tree, path, content, "coco"))
