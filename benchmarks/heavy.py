"""A replica as heavy as the real release, for the benchmarks of the image scan.

The fixture builder's smooth synthetic images compress to about 30 KB each (126 MB for the
full-size replica); the real release's radiographs weigh 323 MB in all, and decoding cost
follows the bytes. This copy of the replica re-encodes every image with film-grain noise at
JPEG quality 80, which brings the full-size replica to the real weight (323 MB) while keeping
each image's size, mode and identity (so the audit stays clean). Everything else is shared with
the replica it was made from.

    python -m benchmarks.heavy [--scale K]     # builds it (once) and prints its weight
"""

from __future__ import annotations

import argparse
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.replica import full_replica
from fixtures.defects import clone_release

GRAIN = 2.63  # standard deviation of the added noise, in grey levels: 323 MB at 1x
QUALITY = 80


def heavy_replica(scale: int = 1) -> Path:
    """The heavy copy of the replica at `scale`, built beside it on first use."""
    source = full_replica(scale)
    parent = source.parent.parent / f"heavy-x{scale}-grain{GRAIN}-q{QUALITY}"
    root = parent / source.name
    marker = parent / "complete"
    if not marker.is_file():
        print(f"building the heavy x{scale} replica in {parent} ...", flush=True)
        if root.exists():
            import shutil

            shutil.rmtree(root)
        clone_release(source, parent)
        images = sorted(str(p) for p in (root / "images").rglob("*.jpg"))
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_roughen, images, chunksize=32))
        marker.write_text("ok\n")
    return root


def _roughen(path: str) -> None:
    """Re-encode one image with grain, as a new file (the clone's image is a hard link)."""
    with Image.open(path) as image:
        mode = image.mode
        pixels = np.asarray(image, dtype=np.float32)
    seed = int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "little")
    grain = np.random.default_rng(seed).normal(0.0, GRAIN, pixels.shape[:2]).astype(np.float32)
    if pixels.ndim == 3:
        grain = grain[:, :, None]
    rough = np.clip(pixels + grain, 0, 255).astype(np.uint8)
    os.unlink(path)
    Image.fromarray(rough, mode).save(path, "JPEG", quality=QUALITY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    root = heavy_replica(args.scale)
    files = list((root / "images").rglob("*.jpg"))
    total = sum(p.stat().st_size for p in files)
    print(f"{root}: {len(files):,} images, {total / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
