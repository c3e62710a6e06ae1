"""`fracqa croissant` writes a Croissant 1.1 description that mlcroissant validates and loads;
`fracqa audit --croissant FILE` compares a copy with it (CRO rules), naming the file that
differs."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from fixtures import defects_images as plant
from fixtures.defects import add_orphan_image, delete_image, find_image, replace_file, set_csv_value
from fracqa.catalogue import select_rules
from fracqa.cli import main
from fracqa.croissant import describe, render
from fracqa.layout import locate
from fracqa.load.croissant import BadCroissant, load_description
from fracqa.options import load_options
from fracqa.release import RuleView, load_release
from fracqa.runner import run_audit
from tests.conftest import file_digests
from tests.helpers import SAMPLE_SETTINGS, image_with

SPLIT_FILES = "Utilities/Fracture Split/"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test: CI has no network."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a test tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def write_description(root: Path, output: Path, overrides=None) -> dict:
    """Describe the release at `root` into `output` (as `fracqa croissant` does)."""
    release = load_release(locate(root), SAMPLE_SETTINGS, _needs())
    document = describe(release, output, overrides)
    output.write_text(render(document), encoding="utf-8")
    return document


def _needs():
    from fracqa.croissant import NEEDS

    return NEEDS


def audit_against(root: Path, description: Path):
    """The CRO rules' audit of `root` against `description` (no other rule)."""
    return run_audit(root, ["CRO"], (), replace(SAMPLE_SETTINGS, croissant=description))


@pytest.fixture
def described(sample_copy) -> tuple[Path, Path]:
    """A copy of the sample and, beside it (outside the release), its description."""
    output = sample_copy.parent / "croissant.json"
    write_description(sample_copy, output)
    return sample_copy, output


def _replace_image(root: Path, image_id: str) -> str:
    """Re-encode one image (same pixels, other bytes): the copy's image is not the published."""
    path = find_image(root, image_id)
    with Image.open(path) as image:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
    replace_file(path, buffer.getvalue())
    return path.relative_to(root).as_posix()


def _edit_label(root: Path) -> str:
    image_id = image_with(root, fractured=0, hand=0)
    set_csv_value(root, image_id, "hand", 1)
    return "dataset.csv"


def _drop_split_entry(root: Path) -> str:
    plant.remove_from_splits(root, plant.split_ids(root, "train")[0])
    return SPLIT_FILES + "train.csv"


def _delete_image(root: Path) -> str:
    image_id = image_with(root, fractured=0)
    path = find_image(root, image_id).relative_to(root).as_posix()
    delete_image(root, image_id)
    return path


def _add_image(root: Path) -> str:
    add_orphan_image(root, "IMG0009999.jpg")
    return "images/Non_fractured/IMG0009999.jpg"


# case -> (planter returning the file it changed, rule, severity)
PLANTED = {
    "one image replaced": (lambda r: _replace_image(r, image_with(r, fractured=1)), "CRO002",
                           "error"),
    "one label edited": (_edit_label, "CRO002", "error"),
    "one split entry dropped": (_drop_split_entry, "CRO002", "error"),
    "one image deleted": (_delete_image, "CRO001", "error"),
    "one image added": (_add_image, "CRO003", "warning"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_one_change_in_a_copy_is_one_finding_naming_the_file(case, described):
    root, description = described
    planter, code, severity = PLANTED[case]
    changed = planter(root)
    [finding] = audit_against(root, description).findings
    assert (finding.rule, finding.severity.value, finding.file) == (code, severity, changed)
    if changed.startswith("images/"):
        assert finding.image_id == Path(changed).name


def test_the_clean_sample_agrees_with_its_own_description(described):
    root, description = described
    result = audit_against(root, description)
    assert result.findings == []
    assert [r.code for r in result.rules_run] == ["CRO001", "CRO002", "CRO003"]


def test_record_counts_are_the_evidence_of_a_changed_table(described):
    root, description = described
    _drop_split_entry(root)
    [finding] = audit_against(root, description).findings
    assert finding.details["records"] == finding.details["described_records"] - 1
    assert "records where the description has" in finding.message
    _edit_label(root)
    label = next(f for f in audit_against(root, description).findings if f.file == "dataset.csv")
    assert label.details["records"] == label.details["described_records"] == 40


def test_the_description_is_croissant_1_1_with_every_checksum(described):
    root, description = described
    document = json.loads(description.read_text(encoding="utf-8"))
    assert "http://mlcommons.org/croissant/1.1" in document["conformsTo"]
    assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "10.1038/s41597-023-02432-4" in document["citeAs"]
    assert all(document[f"rai:{key}"] for key in (
        "dataCollection", "dataAnnotationProtocol", "dataAnnotationPlatform",
        "personalSensitiveInformation", "dataBiases", "dataLimitations"))  # fmt: skip
    objects = {d["name"]: d for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    digest = hashlib.sha256((root / "dataset.csv").read_bytes()).hexdigest()
    assert objects["dataset.csv"]["sha256"] == digest
    assert {SPLIT_FILES + f"{s}.csv" for s in ("train", "valid", "test")} <= set(objects)
    assert "Annotations/COCO JSON/COCO_fracture_masks.json" in objects
    file_sets = [d for d in document["distribution"] if d["@type"] == "cr:FileSet"]
    assert {"images-fractured", "images-non-fractured"} <= {d["@id"] for d in file_sets}
    record_sets = {r["@id"]: r for r in document["recordSet"]}
    assert record_sets["splits"]["dataType"] == "cr:Split"
    assert len(record_sets["labels"]["field"]) == 13
    checksums = {row["file_checksums/path"]: row["file_checksums/sha256"]
                 for row in record_sets["file_checksums"]["data"]}  # fmt: skip
    assert checksums == file_digests(root)  # every file, each image with its own SHA-256
    assert {r["instances/format"] for r in record_sets["instances"]["data"]} == {
        "coco", "vgg", "yolo", "voc"}


def test_mlcroissant_validates_the_description_and_loads_its_records(described, no_network):
    import mlcroissant  # a test dependency (pyproject [test])
    root, description = described
    dataset = mlcroissant.Dataset(jsonld=description)  # raises ValidationError on any error
    labels = list(dataset.records(record_set="labels"))
    assert len(labels) == 40 and {"labels/fractured", "labels/fracture_count"} <= set(labels[0])
    split = list(dataset.records(record_set="fracture_split"))
    assert len(split) == sum(len(plant.split_ids(root, s)) for s in ("train", "valid", "test"))
    assert {row["fracture_split/split"] for row in split} == {b"train", b"valid", b"test"}


def test_metadata_and_rai_values_come_from_the_configuration(sample_copy, tmp_path):
    config = tmp_path / "fracqa.toml"
    config.write_text('[croissant-metadata]\nversion = "7.0.0"\nkeywords = ["x-ray"]\n'
                      '[croissant-metadata.rai]\ndataBiases = "None known."\n', encoding="utf-8")
    options = load_options(sample_copy, config)
    output = tmp_path / "croissant.json"
    document = write_description(sample_copy, output, options.croissant_metadata)
    assert (document["version"], document["keywords"]) == ("7.0.0", ["x-ray"])
    assert document["rai:dataBiases"] == "None known."
    assert document["rai:dataCollection"]  # the others keep the data descriptor's facts
    config.write_text('[croissant-metadata.rai]\ndataBias = "typo"\n', encoding="utf-8")
    assert main(["croissant", str(sample_copy), "-o", str(output), "--config", str(config)]) == 2


def test_the_command_writes_outside_the_release_only(sample_copy, tmp_path, capsys):
    before = file_digests(sample_copy)
    output = tmp_path / "out" / "croissant.json"
    output.parent.mkdir()
    assert main(["croissant", str(sample_copy), "-o", str(output), "--no-config"]) == 0
    assert "Croissant 1.1 description of 127 files" in capsys.readouterr().out
    assert main(["croissant", str(sample_copy), "-o", str(sample_copy / "c.json")]) == 2
    assert "refusing to write" in capsys.readouterr().err
    assert file_digests(sample_copy) == before
    assert main(["audit", str(sample_copy), "--no-config", "--select", "CRO", "--croissant",
                 str(output), "--workers", "1", "-q"]) == 0  # fmt: skip


@pytest.mark.parametrize("content, said", [
    (None, "does not exist"),
    ("{not json", "is not JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"@type": "sc:Dataset", "name": "x"}', "is not a Croissant description"),
    ('[1, 2]', "is not a Croissant description"),
    ('{"@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.1"}',
     "names no file with a SHA-256"),
])  # fmt: skip
def test_an_unusable_description_is_exit_2_with_one_line(content, said, sample_copy, tmp_path,
                                                         capsys):  # fmt: skip
    path = tmp_path / "croissant.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code = main(["audit", str(sample_copy), "--no-config", "--croissant", str(path), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and said in err and "Traceback" not in err
    assert err.count("\n") == 1
    with pytest.raises(BadCroissant):
        audit_against(sample_copy, path)


def test_the_croissant_rules_run_only_with_a_description(sample_root, tmp_path):
    assert not any(r.family == "croissant" for r in select_rules())
    assert [r.code for r in select_rules(["CSV001"], croissant=True)] == [
        "CSV001", "CRO001", "CRO002", "CRO003"]
    config = tmp_path / "fracqa.toml"
    config.write_text('croissant = "published.json"\n', encoding="utf-8")
    assert load_options(sample_root, config).settings.croissant == tmp_path / "published.json"


def test_the_full_replica_agrees_with_its_own_description(full_replica, tmp_path, no_network):
    """The replica read once: its description validates (the JSON-LD, not the 4,083 images) and
    the CRO rules find nothing against it."""
    import mlcroissant  # a test dependency (pyproject [test])
    output = tmp_path / "croissant.json"
    release = load_release(locate(full_replica), replace(SAMPLE_SETTINGS, workers=None), _needs())
    document = describe(release, output)
    output.write_text(render(document), encoding="utf-8")
    records = {r["@id"]: r for r in document["recordSet"]}
    assert len([row for row in records["file_checksums"]["data"]
                if row["file_checksums/path"].startswith("images/")]) == 4083  # fmt: skip
    assert {row["record_counts/file"]: row["record_counts/records"]
            for row in records["record_counts"]["data"]} == {
        "dataset.csv": 4083, SPLIT_FILES + "train.csv": 574, SPLIT_FILES + "valid.csv": 82,
        SPLIT_FILES + "test.csv": 61}  # fmt: skip
    dataset = mlcroissant.Dataset(jsonld=output)
    assert len(list(itertools.islice(dataset.records(record_set="splits"), 10))) == 3
    # The CRO rules on the tables just loaded (an audit would read every image again).
    release.croissant = load_description(output, full_replica)
    rules = select_rules(["CRO"], croissant=True)
    assert [hit for rule in rules for hit in rule.check(RuleView(release, rule))] == []
    # every image with its YOLO and VOC file, and the 7 release-wide files
    assert len(rules) == 3 and len(release.croissant.files) == 3 * 4083 + 7


def test_diff_compares_two_versions_not_a_description(sample_root, tmp_path):
    """`croissant = ...` in the configuration describes one version: `fracqa diff` ignores it."""
    from fracqa.compare import diff_releases

    options = load_options(sample_root, None, False, select=["CSV001"])
    options = replace(options, settings=replace(SAMPLE_SETTINGS, croissant=tmp_path / "no.json"))
    changes = diff_releases(sample_root, sample_root, options)
    assert [r.code for r in changes.new.rules_run] == ["CSV001"]
