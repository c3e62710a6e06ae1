"""One row per image: its dataset.csv labels, its split and what the image scan measured about
it, as the attributes the split-balance and shortcut rules test (fracqa.permutation).

An image listed twice (in both class folders, say) counts once, with its first file. Values the
scan could not measure (the pixel statistics of an image that does not decode) are taken at the
median of the others, so that they neither vanish nor stand out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fracqa.columns import REGIONS, VIEWS
from fracqa.permutation import Attribute, categories

CLINICAL = (*REGIONS, "mixed", "hardware", "multiscan", *VIEWS)


def image_table(meta: pd.DataFrame, images: pd.DataFrame,
                splits: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    """dataset.csv joined with the scanned images (and, given `splits`, the split each image
    is first listed in), one row per image id, sorted by id."""
    labels = meta.dropna(subset=["image_id"]).drop_duplicates("image_id")
    scanned = images[images["folder"].isin(["fractured", "non_fractured"])
                     & ~images["outside_root"].astype(bool)]  # fmt: skip
    scanned = scanned.drop_duplicates("image_id")
    table = labels.merge(scanned, on="image_id", how="inner", suffixes=("", "_file"))
    if splits is not None:
        table = with_splits(table, splits)
    table["number"] = pd.to_numeric(table["image_id"].str.extract(r"([0-9]+)", expand=False),
                                    errors="coerce")  # fmt: skip
    return table.sort_values("image_id").reset_index(drop=True)


def with_splits(table: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """`table` with the split each image is first listed in (NaN for none)."""
    first = splits.drop_duplicates("image_id")[["image_id", "split"]]
    return table.drop(columns=["split"], errors="ignore").merge(first, on="image_id", how="left")


HEADER_KEYS = ("quantization", "info", "bit_depth", "subsampling", "progressive", "exif",
               "icc_bytes", "comment", "markers", "orientation", "trailing_bytes", "end_marker")


def headers(table: pd.DataFrame) -> dict[str, list]:
    """The header record's keys the properties use, one list per key (one pass over them)."""
    records = [h if isinstance(h, dict) else {} for h in table["header"]]
    return {key: [record.get(key) for record in records] for key in HEADER_KEYS}


def flag(table: pd.DataFrame, column: str) -> np.ndarray:
    return (pd.to_numeric(table[column], errors="coerce").fillna(0) == 1).to_numpy()


def binary(name: str, present: np.ndarray, labels=("no", "yes")) -> Attribute:
    return Attribute(name, codes=np.asarray(present, dtype=np.int64), labels=labels, shown=(1,))


def numeric(name: str, values, unit: str = "") -> Attribute:
    values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).all():
        values = np.zeros(len(values))
    values = np.where(np.isnan(values), np.nanmedian(values), values)
    return Attribute(name, values=values, unit=unit)


def categorical(name: str, values, minimum: int = 10) -> Attribute:
    series = pd.Series(list(values), dtype=object)
    codes, labels = categories(series.where(series.notna(), "none").tolist(), minimum)
    return Attribute(name, codes=codes, labels=labels)


def sizes(table: pd.DataFrame) -> list[str]:
    """Each image's size as "WIDTHxHEIGHT" ("unknown" where the header gave none)."""
    width = pd.to_numeric(table["width"], errors="coerce")
    height = pd.to_numeric(table["height"], errors="coerce")
    known = (width.notna() & height.notna()).to_numpy()
    text = (width.fillna(0).astype(np.int64).astype(str) + "x"
            + height.fillna(0).astype(np.int64).astype(str)).to_numpy(dtype=object)  # fmt: skip
    return np.where(known, text, "unknown").tolist()


def decode_defect(table: pd.DataFrame) -> np.ndarray:
    return ~table["decoded"].fillna(False).astype(bool).to_numpy()


def csv_attributes(table: pd.DataFrame) -> list[Attribute]:
    """The dataset.csv labels: every flag, and fracture_count (3 and more pooled)."""
    found = [binary(column, flag(table, column)) for column in (*CLINICAL, "fractured")]
    counts = pd.to_numeric(table["fracture_count"], errors="coerce")
    shown = ["missing" if pd.isna(c) else ("3+" if c >= 3 else str(int(c))) for c in counts]
    codes, labels = categories(shown, 1, order=[c for c in ("0", "1", "2", "3+", "missing")
                                                if c in shown])  # fmt: skip
    found.append(Attribute("fracture_count", codes=codes, labels=labels))
    return found


def scan_attributes(table: pd.DataFrame) -> list[Attribute]:
    """What the split must not skew: image size, mode, file size, decode defects."""
    return [categorical("image size", sizes(table)), categorical("mode", table["mode"]),
            numeric("file size", table["bytes"], "bytes"),
            binary("decode defect", decode_defect(table))]  # fmt: skip


def defects(table: pd.DataFrame, header: dict[str, list] | None = None
            ) -> dict[str, np.ndarray]:  # fmt: skip
    """Per kind of file defect (as a phrase: "images that ..."), which images have it."""
    header = header or headers(table)
    orientation = [o not in (None, 1) for o in header["orientation"]]
    trailing = [bool(t) or e is False for t, e in zip(header["trailing_bytes"],
                                                      header["end_marker"], strict=True)]
    return {
        "do not decode completely": decode_defect(table),
        "have a flat band along an edge": (pd.to_numeric(table["px_band"], errors="coerce")
                                      .fillna(0) > 0).to_numpy(),  # fmt: skip
        "carry an EXIF orientation other than 1": np.array(orientation, dtype=bool),
        "lack the JPEG end marker or have bytes after it": np.array(trailing, dtype=bool),
    }


NINES = str.maketrans("0123456789", "9999999999")


def _pattern(name: str) -> str:
    return name.translate(NINES)


def shortcut_attributes(table: pd.DataFrame,
                        header: dict[str, list] | None = None) -> list[Attribute]:  # fmt: skip
    """Image properties that should say nothing about the label."""
    width = pd.to_numeric(table["width"], errors="coerce")
    height = pd.to_numeric(table["height"], errors="coerce")
    pixels = width * height
    header = header or headers(table)
    quant = header["quantization"]
    luma = [q[0] if isinstance(q, list | tuple) and q else None for q in quant]
    chroma = [q[1] if isinstance(q, list | tuple) and len(q) > 1 else None for q in quant]
    info = header["info"]
    # In causal order: what the image is (its pixels, size, shape), how it was encoded, what
    # its container carries, then what follows from all of these (the file's size, the pixel
    # statistics). STA007 reports a property that goes with the label only through an earlier
    # one as part of that one's finding.
    found = [
        numeric("pixels", pixels, "pixels"),
        categorical("image size", sizes(table)),
        numeric("aspect ratio (width / height)", width / height),
        categorical("mode", table["mode"]),
        categorical("bit depth", header["bit_depth"]),
        numeric("JPEG quantisation (luma table mean; higher: lower quality)", luma),
        numeric("JPEG quantisation (chroma table mean)", chroma),
        categorical("chroma subsampling", header["subsampling"]),
        binary("progressive JPEG", [bool(p) for p in header["progressive"]]),
        binary("EXIF metadata present", [bool(e) for e in header["exif"]]),
        binary("ICC profile present", [bool(i) for i in header["icc_bytes"]]),
        binary("comment present", [bool(c) for c in header["comment"]]),
        categorical("JFIF density", [str(i.get("dpi") or i.get("jfif_density"))
                                     if isinstance(i, dict) else None for i in info]),
        categorical("APP markers", ["+".join(sorted({m[0] for m in markers or []})) or "none"
                                    for markers in header["markers"]]),  # fmt: skip
        categorical("file name pattern",
                    [_pattern(f.rsplit("/", 1)[-1]) for f in table["file"].astype(str).tolist()],
                    minimum=2),  # fmt: skip
        numeric("file size", table["bytes"], "bytes"),
        numeric("bytes per pixel", table["bytes"] / pixels),
        *[numeric(f"pixel statistic {c}", table[c]) for c in
          ("px_mean", "px_std", "px_p01", "px_p99", "px_entropy")],
    ]
    found += [binary(f"images that {name}", present)
              for name, present in defects(table, header).items()]  # fmt: skip
    return found


def clinical_attributes(table: pd.DataFrame) -> list[Attribute]:
    """The dataset.csv flags that may rightly go with fractures."""
    return [binary(column, flag(table, column)) for column in CLINICAL]
