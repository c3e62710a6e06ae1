"""Rules declare what they read: the runner loads only that, each rule sees only that, and the
commands that audit nothing import nothing heavy."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fracqa import inputs
from fracqa.catalogue import all_rules, registered, select_rules
from fracqa.inputs import needed_inputs
from fracqa.layout import locate
from fracqa.model import Hit, Rule, Severity
from fracqa.release import RuleView, UndeclaredInput, load_release
from fracqa.runner import _apply, audit_release
from tests.helpers import SAMPLE_SETTINGS

REPO = Path(__file__).resolve().parent.parent
CODE = r"^[A-Z]{3}\d{3}$"


def _loaded_modules(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `code`."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=REPO)  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    return set(run.stdout.split())


def test_the_catalogue_read_from_source_is_what_the_modules_register():
    assert {r.code: r for r in all_rules()} == registered()


def test_every_rule_declares_known_inputs_and_only_layout_rules_declare_none():
    for rule in all_rules():
        assert rule.needs <= set(inputs.ALL), rule.code
        assert bool(rule.needs) == (rule.family != "layout"), rule.code


def _problem_codes_in(path: Path) -> set[str]:
    """Every rule code written as a string in a loader's source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and re.fullmatch(CODE, node.value)}  # fmt: skip


@pytest.mark.parametrize("path", sorted((REPO / "fracqa" / "load").glob("*.py")),
                         ids=lambda p: p.name)  # fmt: skip
def test_every_problem_code_a_loader_emits_is_a_rule_that_reads_that_loader(path):
    rules = {r.code: r for r in all_rules()}
    for code in _problem_codes_in(path):
        assert code in rules, f"{path.name} tags problems {code}, which is no rule"
        source = (REPO / "fracqa" / "checks")
        assert any(f'problems("{code}")' in module.read_text() for module in
                   source.glob("*.py")), f"no rule reports the loader's {code} problems"


def test_select_csv_reads_no_image_and_measures_no_figure(sample_root):
    record, release = audit_release(sample_root, select=["CSV"], settings=SAMPLE_SETTINGS)
    assert release.loaded == needed_inputs(select_rules(["CSV"]))
    assert inputs.IMAGE_SCAN not in release.loaded and inputs.FIGURES not in release.loaded
    assert list(release.images.columns) == ["image_id", "file", "folder", "outside_root",
                                            "same_file_as"]
    assert release.figures is None and record.statistics is None
    assert record.images == 40 and record.identity["images"] is None
    assert record.identity["dataset.csv"] is not None
    assert not record.evidence_gathered and record.evidence == {}


def test_select_csv_imports_neither_great_expectations_nor_the_image_decoder(sample_root):
    loaded = _loaded_modules(f"from fracqa.cli import main; main(['audit', {str(sample_root)!r}, "
                             "'--select', 'CSV', '--workers', '1'])")  # fmt: skip
    assert "pandera" in loaded  # the csv rules ran
    assert "great_expectations" not in loaded and "imagehash" not in loaded


@pytest.mark.parametrize("command", [["--version"], ["--help"], ["rules"], ["explain", "IMG011"],
                                     ["rules", "--format", "markdown"]])  # fmt: skip
def test_commands_that_audit_nothing_import_no_data_library(command):
    loaded = _loaded_modules(f"from fracqa.cli import main\ntry:\n    main({command!r})\n"
                             "except SystemExit:\n    pass")  # fmt: skip
    assert not loaded & {"pandas", "numpy", "pandera", "PIL", "great_expectations", "scipy"}
    assert not any(name.startswith("fracqa.checks.") for name in loaded)


def test_the_html_evidence_is_gathered_only_when_asked(sample_root):
    plain, _ = audit_release(sample_root, select=["IMG"], settings=SAMPLE_SETTINGS)
    assert not plain.evidence_gathered
    shown, _ = audit_release(sample_root, select=["IMG"], settings=SAMPLE_SETTINGS, evidence=True)
    assert shown.evidence_gathered


PROBED = {}


def probe_check(release):
    return [Hit(str(PROBED["reads"](release)))]


def _probe(needs: tuple[str, ...], reads) -> Rule:
    """A rule outside the catalogue declaring `needs`, whose check calls `reads(release)`."""
    PROBED["reads"] = reads
    return Rule("LAY999", "probe", "layout", Severity.ERROR, "probe", "probe",
                inputs.closure(needs), __name__, "probe_check")  # fmt: skip


@pytest.fixture
def sample_release(sample_root):
    return load_release(locate(sample_root), SAMPLE_SETTINGS,
                        inputs.closure(set(inputs.ALL) - {inputs.FIGURES}))  # fmt: skip


@pytest.mark.parametrize(("needs", "reads"), [
    ((inputs.CSV,), lambda r: r.splits),
    ((inputs.IMAGE_FILES,), lambda r: r.meta),
    ((inputs.COCO,), lambda r: r.images),
    ((inputs.SPLITS,), lambda r: r.annotations),
    ((inputs.CSV,), lambda r: r.figures),
], ids=["splits", "csv", "images", "annotations", "figures"])  # fmt: skip
def test_a_rule_reading_an_input_it_does_not_declare_is_stopped(sample_release, needs, reads):
    rule = _probe(needs, reads)
    with pytest.raises(UndeclaredInput, match="LAY999"):
        reads(RuleView(sample_release, rule))
    [crash] = _apply(rule, RuleView(sample_release, rule))
    assert "could not finish: UndeclaredInput" in crash.message


def test_a_rule_sees_only_the_columns_and_formats_it_declares(sample_release):
    files_only = RuleView(sample_release, _probe((inputs.IMAGE_FILES,), str))
    assert "sha256" not in files_only.images and "decoded" not in files_only.images
    headers = RuleView(sample_release, _probe((inputs.IMAGE_HEADERS,), str))
    assert "header" in headers.images and "decoded" not in headers.images
    scan = RuleView(sample_release, _probe((inputs.IMAGE_SCAN,), str))
    assert {"decoded", "phash", "px_std"} <= set(scan.images)
    coco = RuleView(sample_release, _probe((inputs.COCO,), str)).annotations
    assert set(coco.instances["format"]) == {"coco"} and set(coco.sources) == {"coco"}
    yolo = RuleView(sample_release, _probe((inputs.YOLO,), str)).annotations
    assert yolo.instances["x0"].isna().all()  # no pixel boxes without the image sizes
    sized = RuleView(sample_release, _probe((inputs.YOLO, inputs.IMAGE_HEADERS), str))
    assert sized.annotations.instances["x0"].notna().all()


def test_an_audit_survives_its_rule_modules_being_dropped_and_imported_again(sample_root):
    """pytest's pytester (and any tool that restores sys.modules) drops the modules a test
    imported: the next audit must take the rules from their modules as imported again (and
    their registration must accept being done twice by the same module)."""
    before = audit_release(sample_root, select=["CSV"], settings=SAMPLE_SETTINGS)[0]
    saved = dict(sys.modules)
    try:
        for name in [n for n in sys.modules if n.startswith("fracqa.checks.")]:
            del sys.modules[name]
        again = audit_release(sample_root, select=["CSV"], settings=SAMPLE_SETTINGS)[0]
    finally:
        sys.modules.clear()
        sys.modules.update(saved)
    assert again.findings == before.findings == []
