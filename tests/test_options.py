"""Configuration files: where fracqa.toml and [tool.fracqa] are found, what they set, how the
command line overrides them, and how a bad file is refused (exit 2, one line, no traceback)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from fixtures import defects
from fixtures.defects import clone_release
from fixtures.defects_annotations import add_coco_annotation_to, shift_coco_bbox
from fracqa.catalogue import all_rules, select_rules
from fracqa.cli import main
from fracqa.config import DEFAULT_EXPECTATIONS, Tolerances
from fracqa.errors import Unusable
from fracqa.options import find_config, load_options
from tests.helpers import SAMPLE_EXPECTATIONS, image_with
from tests.report_schema import read_report

EXPECT = ("--expect", str(SAMPLE_EXPECTATIONS))
ONE_PROCESS = ("--workers", "1")  # 40 images: no pool


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def plant_warning(root: Path) -> str:
    """CSV010 mixed-flag, a warning, and nothing else."""
    return defects.set_csv_value(root, image_with(root, fractured=0), "mixed", 1)


def plant_error(root: Path) -> str:
    """CSV003 fracture-count-mismatch, an error, and nothing else."""
    return add_coco_annotation_to(root, image_with(root, fractured=1))


def audit_json(root: Path, report: Path, *args: str) -> tuple[int, dict]:
    """Audit `root` with `args`; the exit code and the JSON report, checked against its schema."""
    code = main(["audit", str(root), "--json", str(report), *args])
    return code, read_report(report)


def shown_config(capsys, root: Path, *args: str) -> tuple[list[str], dict]:
    """`--show-config`: its comment lines and the TOML after them."""
    capsys.readouterr()
    assert main(["audit", str(root), *args, "--show-config"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments  # the comments come first
    return comments, tomllib.loads("\n".join(lines[len(comments) :]))


# ---------------------------------------------------------------- finding the file


def test_without_a_file_the_defaults_apply(sample_copy, capsys):
    assert find_config(sample_copy) is None
    options = load_options(sample_copy)
    assert options.source is None
    assert (options.select, options.ignore, options.fail_on) == ((), (), "error")
    comments, shown = shown_config(capsys, sample_copy)
    assert "no configuration file" in comments[0]
    assert shown["fail-on"] == "error" and shown["select"] == [] and shown["ignore"] == []
    assert shown["expect"] == str(DEFAULT_EXPECTATIONS)


def test_a_file_in_the_release_folder_is_found(sample_copy, tmp_path, capsys):
    config = write(sample_copy / "fracqa.toml", 'fail-on = "warning"\n')
    plant_warning(sample_copy)
    assert find_config(sample_copy) == config
    comments, shown = shown_config(capsys, sample_copy)
    assert str(config) in comments[0] and shown["fail-on"] == "warning"
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == 1
    assert [f["rule"] for f in document["findings"]] == ["CSV010"]  # the file itself is no defect


def test_a_file_in_a_parent_folder_is_found(sample_root, tmp_path):
    root = clone_release(sample_root, tmp_path / "releases" / "2024")
    config = write(tmp_path / "fracqa.toml", 'fail-on = "warning"\n')
    plant_warning(root)
    assert find_config(root) == config
    assert load_options(root).source == config.resolve()
    assert main(["audit", str(root), *EXPECT, *ONE_PROCESS]) == 1


def test_the_nearest_file_wins(sample_copy, tmp_path):
    write(tmp_path / "fracqa.toml", 'fail-on = "warning"\n')
    nearer = write(sample_copy / "fracqa.toml", 'fail-on = "error"\n')
    plant_warning(sample_copy)
    assert find_config(sample_copy) == nearer
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 0


def test_tool_fracqa_in_a_pyproject_is_read(sample_copy, tmp_path):
    pyproject = write(tmp_path / "pyproject.toml",
                      '[project]\nname = "fracatlas-release"\n\n'
                      '[tool.fracqa]\nfail-on = "warning"\n\n'
                      '[tool.fracqa.severity]\nCSV010 = "error"\n')  # fmt: skip
    plant_warning(sample_copy)
    assert find_config(sample_copy) == pyproject
    options = load_options(sample_copy)
    assert options.fail_on == "warning" and dict(options.severity) == {"CSV010": "error"}
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT, "--fail-on",
                                "error")  # fmt: skip
    assert code == 1
    assert [(f["rule"], f["severity"]) for f in document["findings"]] == [("CSV010", "error")]


def test_a_pyproject_without_tool_fracqa_is_skipped(sample_root, tmp_path):
    root = clone_release(sample_root, tmp_path / "project")
    write(tmp_path / "project" / "pyproject.toml",
          '[project]\nname = "unrelated"\n\n[tool.black]\nline-length = 88\n')  # fmt: skip
    config = write(tmp_path / "fracqa.toml", 'fail-on = "warning"\n')
    plant_warning(root)
    assert find_config(root) == config
    assert main(["audit", str(root), *EXPECT, *ONE_PROCESS]) == 1


def test_fracqa_toml_wins_over_tool_fracqa_in_the_same_folder(sample_copy, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.fracqa]\nfail-on = "never"\n')
    config = write(tmp_path / "fracqa.toml", 'fail-on = "warning"\n')
    plant_warning(sample_copy)
    assert find_config(sample_copy) == config
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 1


def test_config_names_the_file_to_use(sample_copy, tmp_path, capsys):
    write(tmp_path / "fracqa.toml", 'fail-on = "warning"\n')  # found, but --config wins
    chosen = write(tmp_path / "elsewhere" / "strict.toml", 'fail-on = "never"\n')
    plant_error(sample_copy)
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--config", str(chosen)]) == 0
    comments, shown = shown_config(capsys, sample_copy, "--config", str(chosen))
    assert str(chosen.resolve()) in comments[0] and shown["fail-on"] == "never"
    pyproject = write(tmp_path / "elsewhere" / "pyproject.toml", '[tool.fracqa]\nignore = "CSV"\n')
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--config", str(pyproject)]) == 0


def test_config_naming_a_pyproject_without_tool_fracqa_exits_2(sample_copy, tmp_path, capsys):
    pyproject = write(tmp_path / "elsewhere" / "pyproject.toml", '[project]\nname = "x"\n')
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--config", str(pyproject)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fracqa: ") and str(pyproject) in err and "[tool.fracqa]" in err


def test_config_naming_a_missing_file_exits_2(sample_copy, tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--config", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fracqa: ") and str(missing) in err and len(err.splitlines()) == 1


def test_no_config_ignores_the_file(sample_copy, tmp_path, capsys):
    write(tmp_path / "fracqa.toml", 'fail-on = "warning"\nworkers = 3\n')
    plant_warning(sample_copy)
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 1
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--no-config"]) == 0
    assert load_options(sample_copy, search=False).settings.workers is None
    comments, shown = shown_config(capsys, sample_copy, "--no-config")
    assert "no configuration file" in comments[0]
    assert shown["fail-on"] == "error" and "workers" not in shown  # not set: every core


def test_config_and_no_config_exclude_each_other(sample_copy, tmp_path, capsys):
    config = write(tmp_path / "other.toml", "")
    assert main(["audit", str(sample_copy), "--config", str(config), "--no-config"]) == 2
    err = capsys.readouterr().err
    assert "--config" in err and "--no-config" in err and "Traceback" not in err


# ---------------------------------------------------------------- what the file sets


def test_select_in_the_file_chooses_the_rules(sample_copy, tmp_path):
    write(tmp_path / "fracqa.toml", 'select = ["CSV010", "IMG"]\n')
    plant_error(sample_copy)
    plant_warning(sample_copy)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == 0  # CSV003 did not run
    images = sum(r.family == "images" for r in all_rules())
    assert document["summary"]["rules_run"] == 1 + images
    assert [f["rule"] for f in document["findings"]] == ["CSV010"]


def test_ignore_in_the_file_skips_rules(sample_copy, tmp_path):
    write(tmp_path / "fracqa.toml", 'ignore = ["fracture-count-mismatch"]\n')
    plant_error(sample_copy)
    plant_warning(sample_copy)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == 0
    assert document["summary"]["rules_run"] == len(select_rules()) - 1
    assert [f["rule"] for f in document["findings"]] == ["CSV010"]


@pytest.mark.parametrize(
    ("table", "csv003", "csv010", "exit_code"),
    [
        ('CSV003 = "warning"', "warning", "warning", 0),  # by code
        ('fracture-count-mismatch = "info"', "info", "warning", 0),  # by name
        ('CSV = "info"', "info", "info", 0),  # by prefix
        ('CSV = "info"\nCSV003 = "error"', "error", "info", 1),  # the most specific wins
        ('CSV01 = "error"', "error", "error", 1),
    ],
)
def test_severity_in_the_file_sets_a_rules_severity(table, csv003, csv010, exit_code,
                                                    sample_copy, tmp_path):  # fmt: skip
    write(tmp_path / "fracqa.toml", f"[severity]\n{table}\n")
    plant_error(sample_copy)
    plant_warning(sample_copy)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == exit_code
    severities = {f["rule"]: f["severity"] for f in document["findings"]}
    assert severities == {"CSV003": csv003, "CSV010": csv010}
    summary = document["summary"]
    counted = [csv003, csv010]
    assert (summary["errors"], summary["warnings"], summary["infos"]) == (
        counted.count("error"), counted.count("warning"), counted.count("info"))  # fmt: skip


def test_a_downgraded_error_passes_at_the_default_fail_on(sample_copy, tmp_path):
    plant_error(sample_copy)
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 1
    write(tmp_path / "fracqa.toml", '[severity]\nCSV003 = "warning"\n')
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 0
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--fail-on", "warning"]) == 1


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on_in_the_file_sets_the_gate(fail_on, expected, sample_copy, tmp_path):
    write(tmp_path / "fracqa.toml", f'fail-on = "{fail_on}"\n')
    plant_warning(sample_copy)
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == expected


TUNED = """\
workers = 3
pixel-limit = 1000000

[tolerances]
pixels = 2.5
iou = 0.7
hash-distance = 6
area = 0.2
"""


def test_tolerances_and_workers_reach_the_settings(sample_copy, tmp_path, capsys):
    config = write(tmp_path / "fracqa.toml", TUNED)
    settings = load_options(sample_copy).settings
    assert settings.tolerances == Tolerances(pixels=2.5, iou=0.7, hash_distance=6, area=0.2)
    assert (settings.workers, settings.pixel_limit) == (3, 1_000_000)
    assert load_options(sample_copy, config, workers=1).settings.workers == 1  # CLI wins
    _, shown = shown_config(capsys, sample_copy)
    assert shown["tolerances"] == {"pixels": 2.5, "iou": 0.7, "hash-distance": 6, "area": 0.2}
    assert (shown["workers"], shown["pixel-limit"]) == (3, 1_000_000)
    _, shown = shown_config(capsys, sample_copy, "--workers", "2")
    assert shown["workers"] == 2 and shown["tolerances"]["iou"] == 0.7


def test_a_pixel_tolerance_from_the_file_changes_what_agrees(sample_copy, tmp_path):
    shift_coco_bbox(sample_copy, image_with(sample_copy, fractured=1), dx=3)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == 1 and document["findings"]  # 3 px apart: disagreement at 1 px
    write(tmp_path / "fracqa.toml", "[tolerances]\npixels = 5\n")
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT)
    assert code == 0 and document["findings"] == []


def test_show_config_prints_toml_and_does_not_audit(tmp_path, capsys):
    missing = tmp_path / "not-even-a-release"
    write(tmp_path / "fracqa.toml", 'select = ["CSV"]\nignore = "CSV010, CSV011"\n'
                                    '[severity]\nIMG011 = "warning"\n')  # fmt: skip
    comments, shown = shown_config(capsys, missing)
    assert comments and all(line.startswith("# ") for line in comments)
    assert shown["select"] == ["CSV"] and shown["ignore"] == ["CSV010", "CSV011"]
    assert shown["severity"] == {"IMG011": "warning"}
    assert set(shown) == {"select", "ignore", "fail-on", "expect", "pixel-limit", "ocr",
                          "severity", "tolerances"}  # fmt: skip
    assert shown["ocr"] is False
    assert any("workers" in line and "waivers" in line for line in comments)  # said unset


@pytest.mark.parametrize("text", ["", TUNED + '[severity]\nCSV = "warning"\n'])
def test_show_config_output_reads_back_as_the_same_configuration(text, sample_copy, tmp_path,
                                                                  capsys):  # fmt: skip
    write(tmp_path / "fracqa.toml", text)
    _, shown = shown_config(capsys, sample_copy)
    capsys.readouterr()
    main(["audit", str(sample_copy), "--show-config"])
    again = write(tmp_path / "elsewhere" / "fracqa.toml", capsys.readouterr().out)
    comments, reread = shown_config(capsys, sample_copy, "--config", str(again))
    assert str(again) in comments[0] and reread == shown
    assert load_options(sample_copy, again).settings.workers == (3 if text else None)


# ---------------------------------------------------------------- the command line wins


def test_a_command_line_select_replaces_the_files(sample_copy, tmp_path, capsys):
    write(tmp_path / "fracqa.toml", 'select = ["IMG"]\n')
    plant_error(sample_copy)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT,
                                "--select", "CSV003")  # fmt: skip
    assert code == 1
    assert document["summary"]["rules_run"] == 1
    assert [f["rule"] for f in document["findings"]] == ["CSV003"]
    assert shown_config(capsys, sample_copy, "--select", "CSV003")[1]["select"] == ["CSV003"]


def test_a_command_line_ignore_adds_to_the_files(sample_copy, tmp_path, capsys):
    write(tmp_path / "fracqa.toml", 'ignore = ["CSV003"]\n')
    plant_error(sample_copy)
    plant_warning(sample_copy)
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT,
                                "--fail-on", "warning")  # fmt: skip
    assert code == 1 and [f["rule"] for f in document["findings"]] == ["CSV010"]
    code, document = audit_json(sample_copy, tmp_path / "audit.json", *EXPECT,
                                "--fail-on", "warning", "--ignore", "CSV010")  # fmt: skip
    assert code == 0 and document["findings"] == []
    assert document["summary"]["rules_run"] == len(select_rules()) - 2
    shown = shown_config(capsys, sample_copy, "--ignore", "CSV010")[1]
    assert shown["ignore"] == ["CSV003", "CSV010"]


@pytest.mark.parametrize(("in_file", "on_command_line", "expected"),
                         [("warning", "error", 0), ("never", "warning", 1)])  # fmt: skip
def test_a_command_line_fail_on_overrides_the_files(in_file, on_command_line, expected,
                                                    sample_copy, tmp_path):  # fmt: skip
    write(tmp_path / "fracqa.toml", f'fail-on = "{in_file}"\n')
    plant_warning(sample_copy)
    audit = ["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--fail-on", on_command_line]
    assert main(audit) == expected


def test_relative_paths_are_relative_to_the_files_folder(sample_copy, tmp_path, monkeypatch,
                                                         capsys):  # fmt: skip
    stats = tmp_path / "config" / "stats" / "sample.yaml"
    stats.parent.mkdir(parents=True)
    shutil.copy(SAMPLE_EXPECTATIONS, stats)
    config = write(tmp_path / "config" / "fracqa.toml",
                   'expect = "stats/sample.yaml"\nwaivers = "../waivers.toml"\n')  # fmt: skip
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # neither path may be taken relative to the working folder
    options = load_options(sample_copy, config)
    assert options.settings.expectations.resolve() == stats.resolve()
    assert options.waivers.is_absolute()
    assert options.waivers.resolve() == (tmp_path / "waivers.toml").resolve()
    _, shown = shown_config(capsys, sample_copy, "--config", str(config))
    assert Path(shown["expect"]).resolve() == stats.resolve()
    assert Path(shown["waivers"]).resolve() == (tmp_path / "waivers.toml").resolve()
    # the default figures are the paper's 4,083 images: the sample passes only against its own
    gate = ("--fail-on", "warning")
    assert main(["audit", str(sample_copy), *gate, "--no-config"]) == 1
    write(tmp_path / "waivers.toml", "version = 1\n")
    assert main(["audit", str(sample_copy), *gate, "--config", str(config)]) == 0


# ---------------------------------------------------------------- bad files


BAD_FILES = [
    pytest.param("fracqa.toml", 'colour = "red"\n', "colour", id="unknown-key"),
    pytest.param("fracqa.toml", "[tolerances]\npixel = 1.0\n", "pixel",
                 id="unknown-tolerance"),  # fmt: skip
    pytest.param("fracqa.toml", 'workers = "two"\n', "workers", id="workers-not-a-number"),
    pytest.param("fracqa.toml", "workers = 0\n", "workers", id="workers-zero"),
    pytest.param("fracqa.toml", "[tolerances]\niou = 1.5\n", "iou", id="iou-above-1"),
    pytest.param("fracqa.toml", "[tolerances]\nhash-distance = 2.5\n", "hash-distance",
                 id="hash-distance-not-whole"),  # fmt: skip
    pytest.param("fracqa.toml", '[severity]\nCSV003 = "fatal"\n', "CSV003",
                 id="severity-level"),  # fmt: skip
    pytest.param("fracqa.toml", '[severity]\nXYZ123 = "warning"\n', "XYZ123",
                 id="severity-of-no-rule"),  # fmt: skip
    pytest.param("fracqa.toml", 'select = ["NOPE9"]\n', "NOPE9", id="select-of-no-rule"),
    pytest.param("fracqa.toml", 'ignore = ["CSV", 3]\n', "ignore", id="ignore-not-strings"),
    pytest.param("fracqa.toml", 'fail-on = "sometimes"\n', "fail-on", id="fail-on"),
    pytest.param("fracqa.toml", 'severity = "error"\n', "severity", id="severity-not-a-table"),
    pytest.param("fracqa.toml", "expect = 3\n", "expect", id="expect-not-a-path"),
    pytest.param("fracqa.toml", "select = [\n", "TOML", id="invalid-toml"),
    pytest.param("pyproject.toml", '[tool.fracqa]\nworker = 2\n', "worker",
                 id="pyproject-unknown-key"),  # fmt: skip
]


@pytest.mark.parametrize(("name", "text", "key"), BAD_FILES)
def test_a_bad_file_exits_2_with_one_line_naming_file_and_key(name, text, key, sample_copy,
                                                              tmp_path, capsys):  # fmt: skip
    config = write(tmp_path / name, text)
    for extra in ((), ("--show-config",)):
        assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, *extra]) == 2, extra
        captured = capsys.readouterr()
        assert captured.out == ""
        [line] = captured.err.splitlines()
        assert line.startswith("fracqa: ") and "Traceback" not in captured.err
        assert str(config) in line and key in line


@pytest.mark.parametrize(("name", "text", "key"), BAD_FILES[:3])
def test_a_bad_file_named_with_config_exits_2_too(name, text, key, sample_copy, tmp_path,
                                                  capsys):  # fmt: skip
    config = write(tmp_path / "elsewhere" / name, text)
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and str(config) in err and key in err
    assert main(["baseline", str(sample_copy), "-o", str(tmp_path / "w.toml"), "--config",
                 str(config)]) == 2  # fmt: skip
    assert not (tmp_path / "w.toml").exists()


def test_a_bad_file_is_ignored_with_no_config(sample_copy, tmp_path):
    write(tmp_path / "fracqa.toml", 'colour = "red"\n')
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]) == 2
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--no-config"]) == 0


def test_ocr_comes_from_the_file_and_the_command_line(tmp_path):
    write(tmp_path / "fracqa.toml", "ocr = true\n")
    assert load_options(tmp_path).settings.ocr is True
    assert load_options(tmp_path, search=False, ocr=True).settings.ocr is True
    assert load_options(tmp_path, search=False).settings.ocr is False
    write(tmp_path / "fracqa.toml", 'ocr = "yes"\n')
    with pytest.raises(Unusable, match="ocr must be true or false"):
        load_options(tmp_path)
