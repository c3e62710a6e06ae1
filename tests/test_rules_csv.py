"""CSV rules: each defect planted in a copy of the sample release is reported, naming the planted
image, at the rule's severity; harmless variations raise nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import defects
from tests.helpers import audit_rules, audit_sample, codes, findings_of, image_with, planted_finding


def _set(column: str, value: str, **where: int):
    def plant(root: Path) -> str:
        return defects.set_csv_value(root, image_with(root, **where), column, value)

    return plant


def _clear_regions(root: Path) -> str:
    image_id = image_with(root, mixed=0, hand=1)
    defects.set_csv_value(root, image_id, "hand", 0)
    return image_id


def _clear_views(root: Path) -> str:
    image_id = image_with(root, frontal=1, lateral=0, oblique=0)
    defects.set_csv_value(root, image_id, "frontal", 0)
    return image_id


def _bad_id(root: Path) -> str:
    old = image_with(root, fractured=0)
    defects.rename_csv_image_id(root, old, "IMG19.jpg")
    return "IMG19.jpg"


def _ragged_row(root: Path) -> str:
    image_id = image_with(root, fractured=0)
    text = (root / "dataset.csv").read_text()
    row = next(line for line in text.splitlines() if line.startswith(image_id))
    (root / "dataset.csv").write_text(text.replace(row, row + ",1"))
    return image_id


# case -> (planter returning the image it names (None: no single image), rule, severity)
PLANTED = {
    "flag 2": (_set("leg", "2", fractured=0), "CSV006", "error"),
    "flag empty": (_set("hardware", "", fractured=1), "CSV006", "error"),
    "flag word": (_set("frontal", "yes", fractured=0), "CSV006", "error"),
    "count 7": (_set("fracture_count", "7", fractured=1), "CSV007", "error"),
    "count negative": (_set("fracture_count", "-1", fractured=0), "CSV007", "error"),
    "count fraction": (_set("fracture_count", "1.5", fractured=1), "CSV007", "error"),
    "count text": (_set("fracture_count", "two", fractured=1), "CSV007", "error"),
    "fractured without count": (_set("fracture_count", "0", fractured=1), "CSV008", "error"),
    "count without fractured": (_set("fracture_count", "1", fractured=0), "CSV008", "error"),
    "no region": (_clear_regions, "CSV009", "warning"),
    "mixed on one region": (_set("mixed", "1", mixed=0), "CSV010", "warning"),
    "mixed off on two regions": (_set("mixed", "0", mixed=1), "CSV010", "warning"),
    "no view": (_clear_views, "CSV011", "warning"),
    "malformed id": (_bad_id, "CSV004", "error"),
    "duplicate row": (
        lambda root: defects.duplicate_csv_row(root, image_with(root, fractured=1)),
        "CSV005",
        "error",
    ),
    "ragged row": (_ragged_row, "CSV012", "error"),
    "column missing": (lambda root: defects.drop_csv_column(root, "hip"), "CSV002", "error"),
    "binary garbage": (defects.write_garbage_csv, "CSV001", "error"),
}


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_csv_defect_is_reported_naming_the_image(case, sample_copy):
    image_id, result, found = planted_finding(sample_copy, PLANTED[case])
    assert found.file == "dataset.csv"
    if image_id:
        assert found.location.startswith("line ")
    assert result.gates("error") == (found.severity.value == "error")


def test_line_numbers_point_at_the_row(sample_copy):
    image_id = image_with(sample_copy, fractured=0)
    defects.set_csv_value(sample_copy, image_id, "hip", "9")
    lines = (sample_copy / "dataset.csv").read_text().splitlines()
    expected = next(n for n, line in enumerate(lines, start=1) if line.startswith(image_id))
    [finding] = findings_of(audit_rules(sample_copy), "CSV006")
    assert finding.location == f"line {expected}"
    assert finding.details == {"column": "hip", "value": "9", "line": expected}


def test_every_failing_cell_is_reported_not_just_the_first(sample_copy):
    planted = [image_with(sample_copy, fractured=0, hand=h) for h in (0, 1)]
    for image_id in planted:
        defects.set_csv_value(sample_copy, image_id, "multiscan", "3")
    found = findings_of(audit_rules(sample_copy), "CSV006")
    assert sorted(f.image_id for f in found) == sorted(planted)


@pytest.mark.parametrize(
    ("plant", "message"),
    [
        (lambda root: defects.drop_csv_column(root, "hip"), "'hip' is missing"),
        (lambda root: defects.add_csv_column(root, "notes", "x"), "'notes' is not"),
    ],
    ids=["missing column", "extra column"],
)
def test_column_defects_are_one_finding_each(plant, message, sample_copy):
    plant(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "CSV002")
    assert message in finding.message
    assert finding.severity.value == "error"


def test_a_missing_column_does_not_stop_the_other_checks(sample_copy):
    defects.drop_csv_column(sample_copy, "mixed")
    image_id = image_with(sample_copy, fractured=0)
    defects.set_csv_value(sample_copy, image_id, "leg", "5")
    result = audit_rules(sample_copy)
    assert [f.image_id for f in findings_of(result, "CSV006")] == [image_id]
    assert not findings_of(result, "CSV010")


def test_repeated_header_column_is_reported(sample_copy):
    text = (sample_copy / "dataset.csv").read_text().splitlines()
    text = [line + ",0" for line in text]
    text[0] = text[0].removesuffix(",0") + ",hand"
    (sample_copy / "dataset.csv").write_text("\n".join(text) + "\n")
    found = findings_of(audit_rules(sample_copy), "CSV002")
    assert len(found) == 1 and "appears twice" in found[0].message


@pytest.mark.parametrize(
    ("plant", "words"),
    [
        (defects.write_garbage_csv, "binary"),
        (defects.write_headerless_csv, "no header"),
        (lambda root: (root / "dataset.csv").write_bytes(b""), "no rows"),
        (lambda root: (root / "dataset.csv").write_bytes("image_id\nIMG\xe9".encode("latin-1")),
         "not UTF-8"),
        (lambda root: (root / "dataset.csv").write_text("image_id,hand\n"), "no rows"),
    ],
    ids=["binary garbage", "no header", "empty file", "latin-1", "header only"],
)  # fmt: skip
def test_unreadable_csv_is_one_finding_and_the_rest_still_runs(plant, words, sample_copy):
    deleted = defects.delete_image(sample_copy, image_with(sample_copy, fractured=1))
    png = defects.replace_with_png(sample_copy, image_with(sample_copy, fractured=0))
    plant(sample_copy)
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, "CSV001")
    assert words in finding.message
    assert result.gates("error")
    assert "LAY001" not in codes(result)
    # Without labels only the annotations and the split still know the deleted image.
    assert [f.rule for f in result.findings if f.image_id == deleted] == ["ANN006", "SPL002"]
    assert not findings_of(result, "IMG003")  # and no image is called an orphan
    assert [f.image_id for f in findings_of(result, "IMG005")] == [png]


def test_byte_order_mark_and_crlf_add_nothing(sample_copy):
    defects.rewrite_csv_with_bom_crlf(sample_copy)
    assert (sample_copy / "dataset.csv").read_bytes().startswith(b"\xef\xbb\xbfimage_id")
    assert b"\r\n" in (sample_copy / "dataset.csv").read_bytes()
    # with the statistics, which dataset.csv's first column and line ends feed too
    assert audit_sample(sample_copy).findings == []


def test_blank_lines_add_nothing(sample_copy):
    path = sample_copy / "dataset.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "", *lines[1:]]) + "\n\n\n  \n")
    assert audit_sample(sample_copy).findings == []


def test_a_file_written_with_padded_cells_is_reported_once_per_cause(sample_copy):
    """pandas.read_csv keeps the spaces fracqa strips: in the names and ids they break every
    lookup (one error for the file), around the numbers pandas still reads them (one warning per
    column); nothing else is reported, since fracqa reads through the spaces."""
    path = sample_copy / "dataset.csv"
    lines = path.read_text().splitlines()
    padded = [", ".join(f" {cell}" for cell in line.split(",")) for line in lines]
    path.write_text("\n".join([padded[0], "", *padded[1:]]) + "\n\n\n  \n")
    result = audit_sample(sample_copy)
    assert codes(result) == {"CSV013", "CSV015"}
    [names] = findings_of(result, "CSV013")
    assert names.details["rows"] == 40 and len(names.details["names"]) == 13
    assert len(findings_of(result, "CSV015")) == 12
