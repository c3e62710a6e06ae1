"""STA rules: the release matches the paper's figures, and the whole table reaches the JSON."""

from __future__ import annotations

import pytest

from fixtures import defects_images as plant
from fracqa.cli import main
from fracqa.config import Settings
from fracqa.load.expectations import KNOWN_FIGURES
from fracqa.runner import run_audit
from tests.helpers import findings_of
from tests.report_schema import read_report


def test_the_replica_matches_every_published_figure(full_audit):
    rows = full_audit.statistics
    assert [row["figure"] for row in rows if not row["ok"]] == []
    assert len(rows) == len(KNOWN_FIGURES)
    hand = next(row for row in rows if row["figure"] == "regions.hand.total")
    assert hand == {"figure": "regions.hand.total", "published": 1538, "observed": 1538,
                    "tolerance": 0, "ok": True}  # fmt: skip


def test_moving_150_images_from_hand_to_leg_names_hand(replica_copy):
    plant.move_region(replica_copy, 150, "hand", "leg", fractured=0)
    result = run_audit(replica_copy)
    found = {f.location: f for f in findings_of(result, "STA002")}
    assert set(found) == {"regions.hand.total", "regions.leg.total"}
    hand = found["regions.hand.total"]
    assert hand.severity.value == "warning"
    assert hand.message == "regions.hand.total: published 1538, observed 1388 (-150)"
    assert {f.rule for f in result.findings} == {"STA002"}


def test_moving_40_images_from_train_to_test_names_the_split_sizes(replica_copy):
    plant.move_between_splits(replica_copy, 40, "train", "test")
    found = {f.location for f in findings_of(run_audit(replica_copy), "STA004")}
    assert {"splits.train", "splits.test"} <= found
    assert "splits.valid" not in found


def test_a_tolerance_absorbs_a_small_drift(replica_copy, tmp_path):
    plant.move_region(replica_copy, 3, "hand", "leg", fractured=0)
    expectations = tmp_path / "lenient.yaml"
    expectations.write_text("tolerance: 5\nfigures:\n  regions.hand.total: 1538\n"
                            "  regions.leg.total: {value: 2272, tolerance: 2}\n")  # fmt: skip
    result = run_audit(replica_copy, select=["STA"], settings=Settings(expectations=expectations))
    assert [f.location for f in result.findings] == ["regions.leg.total"]
    assert [row["ok"] for row in result.statistics] == [True, False]


def test_the_statistics_table_is_in_the_json(sample_root, tmp_path):
    report = tmp_path / "audit.json"
    main(["audit", str(sample_root), "--json", str(report)])
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
