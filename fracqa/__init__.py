"""fracqa: audits a release of the FracAtlas fracture X-ray dataset and says, with evidence,
whether it is fit to publish."""

__version__ = "0.1.0"
