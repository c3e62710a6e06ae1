"""Split membership: which of the official splits each image is listed in, and the images in
both versions whose membership changed."""

from __future__ import annotations

from fracqa.release import Release


def memberships(release: Release) -> dict[str, str]:
    """image_id -> its splits (`train`, or `test/train` for an image listed twice)."""
    table = release.splits.table
    return table.groupby("image_id")["split"].apply(lambda s: "/".join(sorted(s))).to_dict()


def split_changes(old: Release, new: Release, common: set[str]) -> list[dict]:
    """The images of `common` whose splits differ: image_id, old and new (None for none)."""
    before, after = memberships(old), memberships(new)
    return [{"image_id": i, "old": before.get(i) or None, "new": after.get(i) or None}
            for i in sorted(common) if before.get(i, "") != after.get(i, "")]  # fmt: skip
