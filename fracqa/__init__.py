"""fracqa: audits a release of the FracAtlas fracture X-ray dataset and says, with evidence,
whether it is fit to publish.

The Python API: `fracqa.audit(root, **options) -> fracqa.AuditResult` and
`fracqa.diff(old, new, **options) -> fracqa.compare.ReleaseDiff` (see fracqa.api).
"""

__version__ = "0.1.0"
__all__ = ["AuditResult", "audit", "diff"]


def __getattr__(name: str):
    # The API is imported on first use, so that `import fracqa` stays cheap for the CLI and
    # the pytest plugin.
    if name in ("audit", "diff", "AuditResult"):
        from fracqa import api

        return getattr(api, name)
    raise AttributeError(f"module 'fracqa' has no attribute {name!r}")
