"""A release with planted defects of every kind the report draws, audited once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixtures import defects
from fixtures import defects_annotations as annotations
from fixtures import defects_images as images
from fracqa.model import AuditRecord
from fracqa.runner import run_audit
from tests.helpers import SAMPLE_SETTINGS, image_with

HOSTILE_NAME = "IMG<img src=x onerror=alert(1)>.jpg"


def planted_release(sample_root: Path, dest: Path) -> tuple[Path, AuditRecord]:
    root = defects.clone_release(sample_root, dest)
    several = image_with(root, fractured=1, fracture_count=2)
    annotations.move_yolo_box(root, several)
    annotations.move_vgg_polygon(root, image_with(root, fractured=1, fracture_count=1))
    # a leak whose copies carry the same labels (other labels would be IMG012 as well)
    train, test = images.split_ids(root, "train")[2], images.split_ids(root, "test")[0]
    images.copy_image_bytes(root, train, test)
    images.identical_non_fractured_pair(root)
    shutil.copyfile(defects.find_image(root, image_with(root, fractured=0)),
                    root / "images" / "Non_fractured" / HOSTILE_NAME)  # fmt: skip
    defects.set_csv_value(root, image_with(root, fractured=0, mixed=0), "mixed", 1)
    return root, run_audit(root, settings=SAMPLE_SETTINGS, evidence=True)
