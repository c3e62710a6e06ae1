"""STA005-STA011: split balance and split order, label shortcuts, defects in one class,
clinical associations and shortcuts, and runs of ids that look like one study.

The split and flag cases are planted into copies of the full-size replica's dataset.csv and
split files only: the rules are re-run on the replica's tables as the session's one audit of
it loaded them (no image is scanned again), with the planted dataset.csv and split lists. The
image-file cases are planted into the 40-image sample."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from fixtures import defects_balance as plant
from fracqa.catalogue import find_rule
from fracqa.checks import shortcuts
from fracqa.checks.balance import study_evidence
from fracqa.layout import locate
from fracqa.load.dataset_csv import read_dataset_csv, typed_meta
from fracqa.load.splits import load_splits
from fracqa.model import Finding
from fracqa.permutation import min_p, shuffles
from fracqa.properties import image_table
from fracqa.release import Release, RuleView
from fracqa.reports.html import finding_chart, render
from tests.helpers import EXPECTED_ON_REPLICA, audit_sample, findings_of

SPLIT_FOLDER = Path("Utilities", "Fracture Split")


def _split_case(planter):
    """A split or dataset.csv planter, run on a copy of the replica's dataset.csv and split
    lists."""
    planter.where = "split"
    return planter


def _sample_case(planter):
    """An image-file or dataset.csv planter, run on a clone of the sample."""
    planter.where = "sample"
    return planter


# case -> (planter, rule, severity)
PLANTED = {
    "the hip fractures gathered into the test split (sizes kept by swapping)":
        (_split_case(lambda root: plant.gather_into_split(root, "hip", "test")),
         "STA005", "warning"),
    "the official split itself (ranges of ids)": (_split_case(lambda root: None),
                                                  "STA006", "warning"),
    "the negatives re-encoded at JPEG quality 90":
        (_sample_case(lambda root: plant.reencode_class(root, 0, quality=90)),
         "STA007", "warning"),
    "10 negatives truncated": (_sample_case(lambda root: plant.truncate_class(root, 10, 0)),
                               "STA008", "warning"),
    "the replica's own region flags (the paper's per-class figures)":
        (_split_case(lambda root: None), "STA009", "info"),
    "ids in runs that look like studies, split at random":
        (_split_case(lambda root: (plant.study_runs(root), plant.random_split(root))),
         "STA010", "info"),
    "hardware set on 10 fractured images":
        (_sample_case(lambda root: plant.flag_class(root, "hardware", 10, 1)),
         "STA011", "warning"),
}  # fmt: skip


def split_variant(release: Release, replica: Path, tmp_path: Path, planter) -> Release:
    """The replica's tables with the split lists a planter wrote into a copy of them."""
    root = tmp_path / "planted-split" / "FracAtlas"
    (root / SPLIT_FOLDER).mkdir(parents=True)
    shutil.copy2(replica / "dataset.csv", root / "dataset.csv")
    for source in (replica / SPLIT_FOLDER).iterdir():
        shutil.copy2(source, root / SPLIT_FOLDER / source.name)
    planter(root)
    csv = read_dataset_csv(root / "dataset.csv")
    return dataclasses.replace(release, splits=load_splits(locate(root)), dataset_csv=csv,
                               meta=typed_meta(csv.rows), _derived={})  # fmt: skip


def run_rules(release: Release, *codes: str) -> list[Finding]:
    found = []
    for code in codes:
        rule = find_rule(code)
        found += [Finding.of(rule, hit) for hit in rule.check(RuleView(release, rule))]
    return found


@pytest.fixture
def split_planted(full_release, full_replica, tmp_path):
    return lambda planter: split_variant(full_release, full_replica, tmp_path, planter)


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_case_is_reported(case, split_planted, sample_copy):
    planter, code, severity = PLANTED[case]
    if planter.where == "split":
        findings = run_rules(split_planted(planter), code)
    else:
        planter(sample_copy)
        findings = audit_sample(sample_copy, select=[code]).findings
    assert findings and {(f.rule, f.severity.value) for f in findings} == {(code, severity)}


# ---------------------------------------------------------------- the replica


def test_the_replica_warns_of_its_split_and_of_nothing_else(full_audit):
    codes = ("STA005", "STA006", "STA007", "STA008", "STA009", "STA010", "STA011")
    found = {code: {f.location for f in findings_of(full_audit, code)} for code in codes}
    assert found == {code: EXPECTED_ON_REPLICA.get(code, set()) for code in codes}
    balance = {f.location: f for f in findings_of(full_audit, "STA005")}
    size = balance["image size"]
    cells = {(c["category"], c["group"]): c for c in size.details["cells"]}
    large = {split: cells[("2304x2880", split)]["observed"] for split in ("train", "valid", "test")}
    assert large == {"train": 90, "valid": 0, "test": 0}
    assert cells[("2304x2880", "valid")]["band"][0] > 0  # a random split puts some there
    assert "2304x2880: train 90 of 574" in size.message
    assert size.details["p_adjusted"] <= 0.05 and size.details["effect"]["name"] == "Cramér's V"
    # file size is unbalanced through the image size alone; fracture_count is not
    assert balance["file size"].details["within_image_size"]["p_value"] > 0.05
    assert "it follows from the image size" in balance["file size"].message
    assert balance["fracture_count"].details["within_image_size"]["p_value"] <= 0.05
    [order] = findings_of(full_audit, "STA006")
    assert order.details["changes"] == 2 and order.details["band"][0] > 100
    assert "IMG0000019.jpg-IMG0003294.jpg" in order.message
    # every imbalance of the official split is what splits by ranges of ids give
    for finding in balance.values():
        assert finding.details["along_ids"]["p_adjusted"] > 0.05
        assert "it follows from the id order (STA006)" in finding.message
    # the clinical notes are the paper's own per-class figures, from the attribute's side:
    # 437 of the 1,538 hand images are fractured, 280 of the 2,545 others
    hand = next(f for f in findings_of(full_audit, "STA009") if f.location == "hand")
    assert hand.severity.value == "info"
    assert ("437 of 1,538 hand images are fractured (28.4 %), against 11 % of the others "
            "(280 of 2,545): relative risk 2.6") in hand.message
    assert 0.2 <= hand.details["group"]["cohens_h"] < 0.8


def test_hip_fractures_gathered_into_test_are_named_with_the_test_split(split_planted):
    release = split_planted(lambda root: plant.gather_into_split(root, "hip", "test"))
    [hip] = [f for f in run_rules(release, "STA005") if f.location == "hip"]
    assert "test" in hip.details["splits"] and "test" in hip.message
    test = next(c for c in hip.details["cells"] if c["group"] == "test")
    assert test["observed"] > test["band"][1]
    chart = finding_chart(hip.details["chart"])
    assert chart and len(chart["rects"]) == 6  # band and observed bar per split
    # the split still follows the ids, but no split that does gathers the hips like this
    assert hip.details["along_ids"]["p_adjusted"] <= 0.05
    assert "the id order alone does not explain it" in hip.message


def test_a_random_split_of_the_same_sizes_is_not_a_warning(split_planted):
    release = split_planted(lambda root: plant.random_split(root, seed=0))
    assert run_rules(release, "STA005", "STA006", "STA010") == []
    # the replica's neighbours are a little more alike than random pairs (what is acquired
    # drifts along the ids: 30 % against 28 %), beyond chance but by a negligible effect, so
    # the alike neighbours a random split separates are no evidence of studies
    rule = find_rule("STA010")
    found = study_evidence(RuleView(release, rule))
    assert found["p_value"] <= 0.05 and found["leaks"]
    assert found["cohens_h"] < 0.2


# ---------------------------------------------------------------- runs of ids


def test_runs_of_alike_ids_are_noted_under_the_official_split_that_keeps_them(split_planted):
    release = split_planted(plant.study_runs)
    [runs] = run_rules(release, "STA010")
    assert runs.severity.value == "info" and runs.location == "neighbouring ids"
    assert runs.details["cohens_h"] >= 0.2 and runs.details["leaks"] == []
    kept = runs.details["alike_in_splits"]
    assert kept > 0
    assert runs.message.startswith("image ids come in runs that look like views of one study")
    assert (f"None of the {kept:,} pairs of such neighbours in the split lists is in "
            f"different splits") in runs.message
    assert "split by study or by runs of ids" in runs.message
    # what the ranges of ids make of the runs is the id order's, not another cause
    for finding in run_rules(release, "STA005"):
        assert "it follows from the id order (STA006)" in finding.message, finding.message


def test_runs_of_alike_ids_split_at_random_name_the_pairs_that_leak(split_planted):
    release = split_planted(lambda root: (plant.study_runs(root), plant.random_split(root)))
    [leak] = run_rules(release, "STA010")
    pairs = leak.details["leaks"]
    assert len(pairs) > 20 and all(p["splits"][0] != p["splits"][1] for p in pairs)
    first = pairs[0]
    assert f"{first['a']} ({first['splits'][0]}) and {first['b']} ({first['splits'][1]})" in (
        leak.message)
    assert f"{len(pairs)} pairs of such neighbours are in different splits" in leak.message


# ---------------------------------------------------------------- shortcuts in the replica


def _replica_table(release: Release):
    return image_table(release.meta, release.images)


def _downscale_large_negatives(table, count: int = 230):
    """The table as if `count` non-fractured images over one megapixel had been exported at
    the small format (373x454 or 454x373), with file sizes drawn from the release's small
    negatives'."""
    table = table.copy()
    width, height = table["width"].astype(float), table["height"].astype(float)
    large = table.index[(width * height > 1e6) & (table["fractured"] == 0)][::2][:count]
    portrait = height[large] >= width[large]
    table.loc[large, "width"] = portrait.map({True: 373, False: 454}).to_numpy()
    table.loc[large, "height"] = portrait.map({True: 454, False: 373}).to_numpy()
    small = (width == 373) & (height == 454) & (table["fractured"] == 0)
    drawn = np.random.default_rng(0).choice(table.loc[small, "bytes"].to_numpy(), len(large))
    table.loc[large, "bytes"] = drawn
    return table


def test_large_images_fractured_more_often_are_a_shortcut(full_release, monkeypatch):
    table = _downscale_large_negatives(_replica_table(full_release))
    monkeypatch.setattr(shortcuts, "properties_table", lambda release: table)
    release = dataclasses.replace(full_release, _derived={})
    [found] = run_rules(release, "STA007")
    assert found.location == "pixels" and found.severity.value == "warning"
    assert found.message.startswith(
        "pixels goes with the label: images of at least 3,538,623 pixels (3.5 MP) are 29 % "
        "fractured (102/352) against 16.5 % (615/3,731) of the others: relative risk 1.8 "
        "(Cohen's h 0.30")  # fmt: skip
    # the image size shows the same images: one cause, one finding
    assert "image size" in {f["attribute"] for f in found.details["follows"]}
    group = found.details["group"]
    assert (group["fractured"], group["size"]) == (102, 352)
    # measured over all images the effect looks negligible: an AUC inside 0.4-0.6
    assert 0.4 < found.details["effect"]["value"] < 0.6
    analysed = shortcuts.analyse_table(table)
    size = next(r for r in analysed.shortcuts if r.attribute.name == "image size")
    assert size.significant() and size.effect["value"] < 0.1  # Cramér's V


@pytest.mark.parametrize("seed", range(10))
def test_a_random_labelling_of_the_replica_is_no_shortcut(full_release, seed):
    table = _replica_table(full_release)
    table["fractured"] = np.random.default_rng(seed).permutation(table["fractured"].to_numpy())
    found = shortcuts.analyse_table(table)
    assert found.found == []
    assert not [r for r in found.clinical if shortcuts.strong(r, found.groups)]


def test_hardware_on_97_of_99_fractured_images_nearly_decides_the_label(split_planted):
    release = split_planted(plant.hardware_onto)
    [hardware] = run_rules(release, "STA011")
    assert hardware.location == "hardware" and hardware.severity.value == "warning"
    assert hardware.message.startswith(
        "hardware nearly decides the label: 97 of 99 hardware images are fractured (98 %), "
        "against 15.6 % of the others (620 of 3,984): relative risk 6.3")  # fmt: skip
    assert hardware.details["group"]["cohens_h"] >= 0.8
    assert "hardware" not in {f.location for f in run_rules(release, "STA009")}


# ---------------------------------------------------------------- shortcuts in the sample


@pytest.mark.parametrize(("options", "named"), [
    ({"quality": 90}, "JPEG quantisation (luma"),
    ({"quality": 30, "subsampling": 0}, "chroma subsampling"),
])  # fmt: skip
def test_negatives_encoded_otherwise_are_a_shortcut_naming_the_setting(options, named,
                                                                       sample_copy):
    plant.reencode_class(sample_copy, 0, **options)
    result = audit_sample(sample_copy, select=["STA007"], evidence=True)
    found = {f.location: f for f in findings_of(result, "STA007")}
    [hit] = [f for location, f in found.items() if location.startswith(named)]
    assert hit.severity.value == "warning" and hit.details["by_class"]
    assert 'class="chart finding-chart"' in render(result)


def test_a_defect_in_one_class_is_its_own_finding(sample_copy):
    truncated = plant.truncate_class(sample_copy, 10, 0)
    result = audit_sample(sample_copy, select=["STA007", "STA008"])
    [defect] = findings_of(result, "STA008")
    assert defect.details["images"] == truncated and defect.details["class"] == "non-fractured"
    assert defect.message.startswith("all 10 images that do not decode completely and lack the "
                                     "JPEG end marker or have bytes after it are non-fractured")
    # the defect itself is not a shortcut finding too (what truncation does to the file's
    # length may be: bytes per pixel)
    assert not any("images that" in f.location for f in findings_of(result, "STA007"))


def test_hardware_nearly_deciding_the_label_is_a_clinical_shortcut(sample_copy):
    plant.flag_class(sample_copy, "hardware", 10, 1)
    result = audit_sample(sample_copy, select=["STA007", "STA009", "STA011"])
    assert [(f.rule, f.location, f.severity.value) for f in result.findings] == [
        ("STA011", "hardware", "warning")]
    assert "10 of 11 hardware images are fractured (90.9 %)" in result.findings[0].message


# ---------------------------------------------------------------- the statistics


def test_shuffles_keep_the_group_sizes_and_repeat_with_the_seed():
    groups = np.repeat([0, 1, 2], [50, 8, 5])
    first, again = shuffles(groups, 300), shuffles(groups, 300)
    assert (first == again).all()
    assert (np.stack([(first == g).sum(axis=1) for g in range(3)], axis=1) == [50, 8, 5]).all()
    assert len({row.tobytes() for row in first}) == 300


def test_min_p_adjusts_for_every_statistic_at_once():
    rng = np.random.default_rng(1)
    shuffled = rng.normal(size=(999, 20))
    observed = np.zeros(20)
    observed[0] = 10.0  # beyond every shuffle
    p_values, adjusted = min_p(observed, shuffled)
    assert p_values[0] == adjusted[0] == 1 / 1000
    assert (adjusted >= p_values).all()
    assert adjusted[1:].min() > 0.5  # an ordinary value is ordinary once 20 are tested
