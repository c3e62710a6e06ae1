"""Rules about the waivers file an audit is given (`--waivers`), so that it stays clean. They
look at what the waivers did to the findings, not at the release."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.inputs import WAIVERS
from fracqa.model import Hit
from fracqa.waivers import Waiving


@rule("WAV001", "stale-waiver", "waivers", "info", "a waiver accepts no finding any more",
      needs=(WAIVERS,))
def stale_waiver(waiving: Waiving) -> Iterator[Hit]:
    """Each waiver must still accept a finding of a rule that ran. One that accepts nothing is
    left over from a defect that has since been repaired (or from a finding whose evidence
    changed, which is then reported anew).

    Why: a waiver that outlives its finding would silently accept the same defect if it came
    back, and a waivers file full of dead entries stops being read.
    Fix: delete the waiver from the file (or run `fracqa baseline` again, which keeps the
    reasons of the waivers that still apply).
    """
    for waiver in waiving.unused:
        yield Hit(f"{waiver.describe()} matches no finding any more: remove it",
                  waiver.image_id, waiving.waivers.label, f"waiver {waiver.number}",
                  {"fingerprint": waiver.fingerprint, "rule": waiver.rule})  # fmt: skip


@rule("WAV002", "waiver-without-reason", "waivers", "info", "a waiver gives no reason",
      needs=(WAIVERS,))
def waiver_without_reason(waiving: Waiving) -> Iterator[Hit]:
    """Each waiver must say in `reason` why its finding is accepted (`fracqa baseline` leaves
    the reasons empty for the maintainers to fill in).

    Why: an accepted defect of a medical dataset needs a reason a reviewer can check, such as
    "the hospital confirmed the second fracture is on another film".
    Fix: write the reason in the waiver's `reason` field.
    """
    for waiver in waiving.waivers.entries:
        if not waiver.reason:
            yield Hit(f"{waiver.describe()} has no reason", waiver.image_id,
                      waiving.waivers.label, f"waiver {waiver.number}",
                      {"fingerprint": waiver.fingerprint, "rule": waiver.rule})  # fmt: skip
