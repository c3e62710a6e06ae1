"""STA rules: the release matches the figures it published, and the whole table reaches the JSON.

Figure drift is planted in the sample and measured against the sample's own figures
(fixtures/sample/expected.yaml); the paper's figures are compared with the full-size replica's
clean audit only."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import defects
from fixtures import defects_images as plant
from fracqa.cli import main
from fracqa.config import Settings
from fracqa.figures import figure_value, statistics_frames
from fracqa.load.expectations import KNOWN_FIGURES
from tests.helpers import audit_sample, findings_of, image_with
from tests.report_schema import read_report


def _hardware_flag_set(root: Path) -> list[str]:
    defects.set_csv_value(root, image_with(root, fractured=0, hardware=0), "hardware", 1)
    return ["dataset.hardware_images"]


def _hand_to_leg(root: Path) -> list[str]:
    plant.move_region(root, 3, "hand", "leg", fractured=0)
    return ["regions.hand.total", "regions.leg.total"]


def _frontal_to_lateral(root: Path) -> list[str]:
    """Flip one non-fractured frontal-only image to lateral."""
    image_id = image_with(root, fractured=0, frontal=1, lateral=0, oblique=0)
    defects.set_csv_value(root, image_id, "frontal", 0)
    defects.set_csv_value(root, image_id, "lateral", 1)
    return ["views.frontal.non_fractured", "views.frontal.total", "views.lateral.non_fractured",
            "views.lateral.total"]


def _train_to_test(root: Path) -> list[str]:
    plant.move_between_splits(root, 2, "train", "test")
    return ["splits.test", "splits.test_ratio", "splits.train", "splits.train_ratio"]


# case -> (planter returning the figures that drift, sorted; rule; severity)
PLANTED = {
    "hardware flag set on one more image": (_hardware_flag_set, "STA001", "warning"),
    "3 images moved from hand to leg": (_hand_to_leg, "STA002", "warning"),
    "one image flipped from frontal to lateral": (_frontal_to_lateral, "STA003", "warning"),
    "2 images moved from train to test": (_train_to_test, "STA004", "warning"),
}


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_figure_drift_names_each_figure_and_nothing_else(case, sample_copy):
    planter, code, severity = PLANTED[case]
    figures = planter(sample_copy)
    result = audit_sample(sample_copy, select=["STA"])
    assert sorted(f.location for f in result.findings) == figures
    assert {(f.rule, f.severity.value) for f in result.findings} == {(code, severity)}
    failing = sorted(row["figure"] for row in result.statistics if row["ok"] is False)
    assert failing == figures


def test_the_replica_matches_every_published_figure(full_audit):
    rows = full_audit.statistics
    assert [row["figure"] for row in rows if not row["ok"]] == []
    assert len(rows) == len(KNOWN_FIGURES)
    hand = next(row for row in rows if row["figure"] == "regions.hand.total")
    assert hand == {"figure": "regions.hand.total", "published": 1538, "observed": 1538,
                    "tolerance": 0, "ok": True}  # fmt: skip


def test_the_figures_pandas_computes_are_the_ones_great_expectations_measures(full_audit,
                                                                              full_release):
    frames = statistics_frames(full_release.dataset_csv, full_release.meta,
                               full_release.splits)  # fmt: skip
    for row in full_audit.statistics:
        assert figure_value(row["figure"], frames) == pytest.approx(row["observed"]), row


def _relabelled_in_both_folders(root: Path) -> str:
    """A negative relabelled fractured (one instance, in the test split), its file copied into
    Fractured/ while the old one stays in Non_fractured/: what IMG0003375/6 are in FracAtlas."""
    image_id = image_with(root, fractured=0)
    defects.copy_image_to_other_folder(root, image_id)
    defects.set_csv_value(root, image_id, "fractured", 1)
    defects.set_csv_value(root, image_id, "fracture_count", 1)
    plant.add_to_split(root, image_id, "test")
    return image_id


def test_figures_an_image_in_both_folders_explains_are_one_finding_naming_it(sample_copy):
    image_id = _relabelled_in_both_folders(sample_copy)
    result = audit_sample(sample_copy, select=["STA001", "STA002", "STA003", "STA004"])
    [found] = result.findings
    failing = sorted(row["figure"] for row in result.statistics if row["ok"] is False)
    assert {"dataset.fractured_images", "dataset.fracture_instances", "splits.test"} <= set(
        failing)
    assert (found.rule, found.image_id, found.location) == (
        "STA001", image_id, "images in both class folders")
    assert sorted(row["figure"] for row in found.details["figures"]) == failing
    assert found.message.startswith(
        f"{len(failing)} published figures differ because of 1 image in both class folders "
        f"(IMG004), {image_id}, which dataset.csv labels fractured: counted as non-fractured, "
        f"as its copy in images/Non_fractured/ says (so in no split list, with no fracture "
        f"instance), the release gives all {len(failing)} as published: ")  # fmt: skip
    assert "dataset.fractured_images 17 (published 16, +1)" in found.message
    assert "splits.test 2 (published 1, +1)" in found.message
    assert found.details["counted_as"] == {image_id: 0}


def test_figures_an_image_explains_are_reported_by_the_first_rule_that_runs(sample_copy):
    image_id = _relabelled_in_both_folders(sample_copy)
    result = audit_sample(sample_copy, select=["STA004"])
    [found] = result.findings
    assert (found.rule, found.image_id) == ("STA004", image_id)
    assert "splits.test 2 (published 1, +1)" in found.message


def test_images_whose_split_entries_explain_nothing_still_explain_the_labels(sample_copy):
    # the relabelled image listed in test, and a train image dropped from the lists: counted
    # as a negative it leaves dataset.csv's figures as published, but out of the split lists
    # it would make the valid share deviate, so the split figures stay findings of their own
    image_id = image_with(sample_copy, fractured=0)
    defects.copy_image_to_other_folder(sample_copy, image_id)
    defects.set_csv_value(sample_copy, image_id, "fractured", 1)
    defects.set_csv_value(sample_copy, image_id, "fracture_count", 1)
    plant.remove_from_splits(sample_copy, plant.split_ids(sample_copy, "train")[0])
    plant.add_to_split(sample_copy, image_id, "test")
    result = audit_sample(sample_copy, select=["STA001", "STA002", "STA003", "STA004"])
    [grouped] = [f for f in result.findings if f.location == "images in both class folders"]
    assert grouped.rule == "STA001" and grouped.image_id == image_id
    assert not [row for row in grouped.details["figures"] if row["figure"].startswith("splits.")]
    assert "(with no fracture instance)" in grouped.message and "split list" not in (
        grouped.message)
    others = {f.location for f in result.findings if f is not grouped}
    assert others and all(location.startswith("splits.") for location in others)


def test_a_misplaced_image_that_would_break_other_figures_explains_nothing(sample_copy):
    # a fractured image whose file sits in Non_fractured/ (IMG002), its label right: counted
    # as a negative it would change figures that are as published, so it is no explanation
    # of the hardware figure, which stays a finding of its own
    defects.move_image_to_other_folder(sample_copy, image_with(sample_copy, fractured=1))
    _hardware_flag_set(sample_copy)
    result = audit_sample(sample_copy, select=["STA001", "STA002", "STA003", "STA004"])
    assert [(f.rule, f.location) for f in result.findings] == [
        ("STA001", "dataset.hardware_images")]


def test_moving_3_images_from_hand_to_leg_names_hand(sample_copy):
    _hand_to_leg(sample_copy)
    result = audit_sample(sample_copy)
    found = {f.location: f for f in findings_of(result, "STA002")}
    assert set(found) == {"regions.hand.total", "regions.leg.total"}
    hand = found["regions.hand.total"]
    assert hand.severity.value == "warning"
    assert hand.message == "regions.hand.total: published 18, observed 15 (-3)"
    assert hand.file == "dataset.csv"
    assert {f.rule for f in result.findings} == {"STA002"}  # region flags alone: no other rule


def test_moving_2_images_from_train_to_test_names_the_split_sizes(sample_copy):
    _train_to_test(sample_copy)
    found = {f.location: f for f in findings_of(audit_sample(sample_copy, ["STA"]), "STA004")}
    assert {"splits.train", "splits.test"} <= set(found)
    assert "splits.valid" not in found
    assert found["splits.train"].message == "splits.train: published 13, observed 11 (-2)"
    assert found["splits.test"].file == "Utilities/Fracture Split"


def test_a_tolerance_absorbs_a_small_drift(sample_copy, tmp_path):
    _hand_to_leg(sample_copy)
    expectations = tmp_path / "lenient.yaml"
    expectations.write_text("tolerance: 5\nfigures:\n  regions.hand.total: 18\n"
                            "  regions.leg.total: {value: 20, tolerance: 2}\n")  # fmt: skip
    settings = Settings(workers=1, expectations=expectations)
    result = audit_sample(sample_copy, select=["STA"], settings=settings)
    assert [f.location for f in result.findings] == ["regions.leg.total"]
    assert [row["ok"] for row in result.statistics] == [True, False]


def test_the_statistics_table_is_in_the_json(sample_root, tmp_path):
    report = tmp_path / "audit.json"
    main(["audit", str(sample_root), "--json", str(report), "--workers", "1"])
    document = read_report(report)
    rows = document["statistics"]
    assert set(rows[0]) == {"figure", "published", "observed", "tolerance", "ok"}
    failing = [row["figure"] for row in rows if row["ok"] is False]
    assert document["summary"]["warnings"] == len(failing) > 0  # the sample is not the paper


@pytest.mark.parametrize(
    ("content", "words"),
    [("figures: [1, 2]", "no `figures`"), ("figures:\n  dataset.imagez: 4", "unknown figure"),
     ("figures:\n  dataset.images: many", "not a number"), ("{unclosed", "expectations file")],
)  # fmt: skip
def test_a_bad_expectations_file_is_bad_usage(content, words, sample_root, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    assert main(["audit", str(sample_root), "--expect", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
