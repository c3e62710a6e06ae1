"""Shared fixtures: the committed sample release, the full-size replica (built once per version
of the fixture builder, shared by every run and xdist worker), and clones of them to plant
defects in."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from fixtures.defects import clone_release
from fixtures.spec import full_spec
from fixtures.writer import write_release
from fracqa.catalogue import registered
from fracqa.checks.csv_schema import schema_hits
from fracqa.figures import import_great_expectations
from fracqa.model import AuditRecord
from fracqa.release import Release
from fracqa.runner import audit_release
from tests import replica_cache
from tests.replica_cache import shared_replica

# Imported once here, Great Expectations is inherited by every audit's forked worker processes
# instead of being imported again (seconds) by each of the hundreds of audits the tests run.
import_great_expectations()

# Every rule module imported and pandera's lazily imported backends loaded (by one validation)
# before any test runs: pytester's fixture restores sys.modules after each test that uses it,
# dropping what that test imported, and a pandera imported half before and half during such a
# test no longer recognises its own schema classes.
registered()
schema_hits(pd.DataFrame({"image_id": ["IMG0000001.jpg"]}, dtype=str), "dataset.csv")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_ROOT = REPO / "fixtures" / "sample" / "FracAtlas"


@pytest.fixture(scope="session")
def sample_root() -> Iterator[Path]:
    """The sample release committed to the repository. Never plant into it: clone it. At the
    end of the session not a byte of it may have changed (planters write to clones only,
    never through a clone's hard links)."""
    before = file_digests(SAMPLE_ROOT)
    yield SAMPLE_ROOT
    assert file_digests(SAMPLE_ROOT) == before, "a test wrote into the committed sample"


@pytest.fixture
def sample_stays_pristine():
    """Fails the test if it changed a byte of the committed sample (planters must only ever
    write to clones, never through the clone's hard links)."""
    before = file_digests(SAMPLE_ROOT)
    yield
    assert file_digests(SAMPLE_ROOT) == before


def file_digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def build_replica(dest: Path) -> Path:
    return write_release(full_spec(), dest)


@pytest.fixture(scope="session")
def full_replica() -> Iterator[Path]:
    """The full-size replica: 4,083 images with the real fractured ids, sizes and split, built
    once per version of the fixture builder and shared by every run and xdist worker
    (tests/replica_cache.py). Never plant into it: clone it (`replica_copy`). At the end of the
    session the replica must still be what it was built as."""
    root = shared_replica(build_replica)
    yield root
    changed = replica_cache.changes(root)
    assert not changed, (
        f"a test wrote into the shared replica {root} (it will be rebuilt): {changed[:10]}"
    )


@pytest.fixture(scope="session")
def full_audited(full_replica) -> tuple[AuditRecord, Release]:
    """One audit of the replica by every rule, with the release it loaded (its tables)."""
    return audit_release(full_replica)


@pytest.fixture(scope="session")
def full_audit(full_audited) -> AuditRecord:
    return full_audited[0]


@pytest.fixture(scope="session")
def full_release(full_audited) -> Release:
    """The replica's loaded tables, for rules re-run on variants of one table (a split file,
    say) without scanning the images again. Never change it: replace tables in a copy."""
    return full_audited[1]


@pytest.fixture
def replica_copy(full_replica, tmp_path) -> Path:
    """A copy of the full-size replica to plant one defect in."""
    return clone_release(full_replica, tmp_path)


@pytest.fixture
def sample_copy(sample_root, tmp_path) -> Path:
    return clone_release(sample_root, tmp_path)


def pytest_configure(config):
    # The sample's audits run Great Expectations in the test's own process (workers=1), where
    # its own deprecation notices (row conditions as strings) would fill the summary.
    config.addinivalue_line(
        "filterwarnings", "ignore:.*deprecated as of GX Core:DeprecationWarning"
    )


def pytest_terminal_summary(terminalreporter):
    """Say how many generated cases the property-based tests ran, per source format."""
    counts: Counter = Counter()
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "generated_cases":
                source, count = value.split("=")
                counts[source] += int(count)
    if counts:
        shown = ", ".join(f"{source} {count}" for source, count in sorted(counts.items()))
        terminalreporter.write_line(f"fracqa generated cases run: {shown}")
