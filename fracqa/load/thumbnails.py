"""Small previews of images for the report, read only for images that findings name."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw

THUMBNAIL_SIDE = 256
# EXIF orientation -> the turn that shows the stored pixels as the tag means them
TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
         4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
         6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
         8: Image.Transpose.ROTATE_90}  # fmt: skip


def thumbnail(path: Path, side: int = THUMBNAIL_SIDE, region=None, hide=(),
              orientation: int | None = None) -> str | None:  # fmt: skip
    """The image (or its `region`, (x0, y0, x1, y1) in pixels) as a data: URI of a JPEG at most
    `side` pixels wide and high, or None when it cannot be read. The boxes in `hide` (in the
    stored pixels: burned-in text a privacy rule found) are blacked out, so that the report
    does not show what they hold. With an EXIF `orientation`, the pixels are then turned as
    that tag says (the view the annotations were drawn on, when they were drawn on the
    oriented one), and `region` is in the pixels so turned."""
    try:
        with Image.open(path) as image:
            full = image.size  # before a draft decode makes it smaller
            if image.format == "JPEG" and region is None:
                image.draft("L", (side, side))
            preview = image.convert("L")
            if hide:
                scale_x, scale_y = preview.width / full[0], preview.height / full[1]
                draw = ImageDraw.Draw(preview)
                for x0, y0, x1, y1 in hide:
                    draw.rectangle((int(x0 * scale_x), int(y0 * scale_y),
                                    int(x1 * scale_x + 1), int(y1 * scale_y + 1)), fill=0)
            if orientation in TURNS:
                preview = preview.transpose(TURNS[orientation])
            if region is not None:
                preview = preview.crop(tuple(int(round(v)) for v in region))
            preview.thumbnail((side, side))
        buffer = io.BytesIO()
        preview.save(buffer, "JPEG", quality=70)
    except Exception:  # noqa: BLE001 - a broken image simply has no preview
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
