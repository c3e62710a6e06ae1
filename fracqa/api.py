"""The Python API: `fracqa.audit(root, **options)` and `fracqa.diff(old, new, **options)`.

```python
import fracqa

result = fracqa.audit("FracAtlas", waivers="waivers.toml", fail_on="warning")
if not result.ok:
    print(result.findings.query("not waived")[["rule", "image_id", "message"]])
result.to_html("audit.html")
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from fracqa.compare import ReleaseDiff, diff_releases
from fracqa.config import Tolerances
from fracqa.load.files import inside
from fracqa.model import AuditRecord, Severity
from fracqa.options import FAIL_ON, Options, load_options, tolerance_checks
from fracqa.release import Release
from fracqa.reports import html, json_report, junit
from fracqa.runner import audit_with, gather_evidence
from fracqa.waivers import fingerprint

FINDING_COLUMNS = ("rule", "name", "family", "severity", "message", "image_id", "file",
                   "location", "details", "waived", "waiver_reason", "fingerprint")  # fmt: skip

STATISTIC_COLUMNS = ("figure", "published", "observed", "tolerance", "ok")


class AuditResult:
    """One audit of a release, as the Python API returns it.

    `findings` is a DataFrame (one row per finding, waived ones included and marked), `ok`
    says whether the release passes at `fail_on`, `faults` what failed inside fracqa (a rule
    that raised: the command line's exit 3), and `to_json`, `to_html` and `to_junit` render the
    same reports as the command line. `record` holds the audit itself.
    """

    def __init__(self, record: AuditRecord, fail_on: str = "error",
                 release: Release | None = None) -> None:  # fmt: skip
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        self.record = record
        self.fail_on = fail_on
        self._release = release  # kept for the evidence of the HTML report, gathered on demand
        self._findings: pd.DataFrame | None = None

    @property
    def findings(self) -> pd.DataFrame:
        if self._findings is None:
            rows = [{**f.as_dict(), "waived": f.waived, "waiver_reason": f.waiver_reason,
                     "fingerprint": fingerprint(f)} for f in self.record.findings]  # fmt: skip
            self._findings = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
        return self._findings

    @property
    def ok(self) -> bool:
        """True when no finding at or above `fail_on` is left once waivers are applied, and no
        rule failed to finish."""
        return not self.record.faults and not self.record.gates(self.fail_on)

    @property
    def faults(self) -> list[str]:
        """What failed inside fracqa during the audit, one line each (empty normally)."""
        return [fault.line() for fault in self.record.faults]

    @property
    def summary(self) -> dict[str, Any]:
        return json_report.to_dict(self.record)["summary"]

    @property
    def statistics(self) -> pd.DataFrame:
        """The published figures against the observed ones, passing rows included."""
        return pd.DataFrame(self.record.statistics or [], columns=list(STATISTIC_COLUMNS))

    def to_json(self, path: str | Path | None = None) -> str:
        return _written(json_report.render(self.record, self.fail_on), path, self.record.root)

    def to_html(self, path: str | Path | None = None) -> str:
        if not self.record.evidence_gathered and self._release is not None:
            gather_evidence(self.record, self._release)
        return _written(html.render(self.record, self.fail_on), path, self.record.root)

    def to_junit(self, path: str | Path | None = None) -> bytes:
        return _written(junit.render(self.record, self.fail_on), path, self.record.root)

    def __repr__(self) -> str:
        counts = ", ".join(f"{self.record.count(s)} {s.value}(s)" for s in Severity)
        return (f"<fracqa.AuditResult {self.record.root.name}: {'ok' if self.ok else 'failed'} "
                f"at {self.fail_on}; {counts}; {len(self.record.waived)} waived>")  # fmt: skip


def audit(
    root: str | Path,
    *,
    config: str | Path | None = None,
    use_config: bool = True,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    severity: Mapping[str, str] | None = None,
    fail_on: str | None = None,
    waivers: str | Path | None = None,
    workers: int | None = None,
    expect: str | Path | None = None,
    tolerances: Mapping[str, float] | None = None,
    croissant: str | Path | None = None,
    progress: bool = False,
) -> AuditResult:
    """Audit the release at `root`, as `fracqa audit` does.

    The options are those of the command line; a configuration file (`config`, else the
    nearest fracqa.toml at or above `root` unless `use_config` is False) gives the rest.
    `severity` and `tolerances` ({"pixels": 2, "iou": 0.5, "hash_distance": 4, "area": 0.1})
    are laid over the configuration's; `croissant` names a published Croissant description to
    compare the release with. Raises fracqa's errors (NotARelease, BadConfig,
    BadWaivers, BadExpectations, UnknownSelector, all ValueError or Exception subclasses with
    a readable message) when the release or the options cannot be used.
    """
    options = resolve_options(root, config=config, use_config=use_config, select=select,
                              ignore=ignore, severity=severity, fail_on=fail_on, waivers=waivers,
                              workers=workers, expect=expect, tolerances=tolerances,
                              croissant=croissant, progress=progress)  # fmt: skip
    record, release = audit_with(root, options)
    return AuditResult(record, options.fail_on, release)


def diff(old: str | Path, new: str | Path, **options: Any) -> ReleaseDiff:
    """Compare two versions of a release, as `fracqa diff` does; the options are audit()'s and
    the configuration is looked for beside `new`."""
    return diff_releases(Path(old), Path(new), resolve_options(new, **options))


def resolve_options(root: str | Path, *, config=None, use_config: bool = True, select=(),
                    ignore=(), severity=None, fail_on=None, waivers=None, workers=None,
                    expect=None, tolerances=None, croissant=None,
                    progress: bool = False) -> Options:  # fmt: skip
    """The effective options of an API call: the configuration file's, then the arguments'."""
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    options = load_options(Path(root), Path(config) if config else None, use_config,
                           select=list(select), ignore=list(ignore), fail_on=fail_on,
                           workers=workers, expect=Path(expect) if expect else None,
                           waivers=Path(waivers) if waivers else None,
                           croissant=Path(croissant) if croissant else None,
                           progress=progress)  # fmt: skip
    settings = options.settings
    if tolerances:
        unknown = set(tolerances) - set(Tolerances.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown tolerance {sorted(unknown)[0]!r} "
                             f"(known: {', '.join(Tolerances.__dataclass_fields__)})")  # fmt: skip
        checks = tolerance_checks()  # the same bounds as the configuration file's
        values = {name: checks[name]("fracqa.audit()", f"tolerances[{name!r}]", value)
                  for name, value in tolerances.items()}  # fmt: skip
        settings = replace(settings, tolerances=replace(settings.tolerances, **values))
    return replace(options, severity={**options.severity, **(severity or {})}, settings=settings)


def _check_outside(path: Path, root: Path) -> None:
    """fracqa never writes inside the release it audits."""
    if inside(path, root.resolve()):
        raise ValueError(f"refusing to write {path} inside the release being audited")


def _written(report: str | bytes, path: str | Path | None, root: Path) -> str | bytes:
    """The report, first written to `path` (as UTF-8) when one is given."""
    if path is not None:
        _check_outside(Path(path), root)
        data = report.encode("utf-8") if isinstance(report, str) else report
        Path(path).write_bytes(data)
    return report
