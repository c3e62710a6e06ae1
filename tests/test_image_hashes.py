"""The hashes behind the duplicate rules: the view as loaders show it, flips and turns derived
from one set of coefficients, crops found and aligned, pairs found without comparing all."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image, ImageOps

from fixtures.defects_augmented import EXIF_TRANSPOSE, ORIENTATION_TAG, collimation_frame
from fixtures.imagery import render_image
from fracqa.load import crop_search, view_match, view_store
from fracqa.load import image_hashes as ih
from fracqa.load.crop_search import align, crop_pairs
from fracqa.load.image_hashes import DIHEDRAL, compose, inverse
from fracqa.load.image_scan import read_image, read_working_view
from fracqa.load.near_duplicates import dihedral_pairs, matches_within
from fracqa.load.view_store import ViewStore

T = Image.Transpose
PIL_OF = {1: T.FLIP_LEFT_RIGHT, 2: T.FLIP_TOP_BOTTOM, 3: T.ROTATE_180, 4: T.TRANSPOSE,
          5: T.ROTATE_270, 6: T.ROTATE_90, 7: T.TRANSVERSE}  # fmt: skip


def _picture(seed: int, size=(373, 454)) -> Image.Image:
    return render_image(*size, seed).convert("L")


def _view(image: Image.Image) -> ih.ViewHashes:
    """view_hashes of an image decoded as the scan decodes it (no draft: not a JPEG)."""
    return ih.view_hashes(image, image.width, image.height)["view_hashes"]


def _working(image: Image.Image) -> ih.WorkingView:
    return ih.working_view(image, image.width, image.height)


def _jpeg_view(image: Image.Image, quality: int = 95, **options) -> dict:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **options)
    decoded = Image.open(io.BytesIO(buffer.getvalue()))
    width, height = decoded.size
    decoded.draft("L", (width // 8, height // 8))
    pixels = decoded.convert("L")
    return {"pixels": pixels, "size": (width, height), **ih.view_hashes(pixels, width, height)}


def _size_of(found: dict) -> tuple[int, int]:
    return found["size"]


def _store(pictures: list[Image.Image]) -> ViewStore:
    """The view store of pictures made in memory, reading their working views from them."""
    return ViewStore.of([_view(p) for p in pictures], lambda row: _working(pictures[row]))


@pytest.mark.parametrize("g", range(1, 8))
def test_each_dihedral_transform_is_the_pil_transpose_it_is_named_after(g):
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    turned = np.asarray(Image.fromarray(pixels).transpose(PIL_OF[g]))
    assert np.array_equal(DIHEDRAL[g].array(pixels), turned)


def test_the_dihedral_transforms_compose_as_a_group():
    for g, h in itertools.product(range(8), repeat=2):
        probe = np.arange(6).reshape(2, 3)
        both = DIHEDRAL[compose(g, h)].array(probe)
        assert np.array_equal(both, DIHEDRAL[g].array(DIHEDRAL[h].array(probe)))
    assert [compose(g, inverse(g)) for g in range(8)] == [0] * 8


@pytest.mark.parametrize("orientation", range(2, 9))
def test_the_view_is_what_exif_transpose_shows(orientation):
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    found = _jpeg_view(_picture(1, (400, 300)), exif=exif.tobytes())
    assert found["view_orientation"] == orientation
    shown = np.asarray(ImageOps.exif_transpose(found["pixels"]))
    working = ih.working_view(found["pixels"], *_size_of(found))
    assert np.array_equal(working.pixels, shown)
    assert working.content == found["view_hashes"].content


def test_the_draft_content_is_the_image_not_its_last_partial_block():
    found = _jpeg_view(_picture(2))  # 373 x 454: 46.6 x 56.75 blocks of 8
    assert found["pixels"].size == (47, 57)
    assert found["view_hashes"].content == (0.0, 373 / 8, 0.0, 454 / 8)


@pytest.mark.parametrize("g", range(8))
def test_the_coefficients_of_a_flipped_or_turned_image_are_derived_from_the_original(g):
    original = _picture(3, (50, 60))
    turned = Image.fromarray(np.ascontiguousarray(DIHEDRAL[g].array(np.asarray(original))))
    derived = DIHEDRAL[g].coefficients(_view(original).coefficients)
    assert np.allclose(_view(turned).coefficients, derived, atol=1e-3)
    assert ih.hash_bits(derived) == int(ih.view_hashes(turned, *turned.size)["phash"], 16)


def test_the_coefficients_are_integrals_that_do_not_depend_on_the_size():
    small = np.asarray(_picture(4, (50, 60)), dtype=np.float64)
    large = np.kron(small, np.ones((3, 3)))  # each pixel a 3x3 block
    boxes = ih.crop_boxes()
    found = [ih.box_coefficients(pixels, (0, pixels.shape[1], 0, pixels.shape[0]), boxes)
             for pixels in (small, large)]  # fmt: skip
    assert np.allclose(found[0], found[1])
    partial = ih.box_coefficients(large[:, :-1], (0, 149, 0, 180), [(0, 0, 0, 0)])
    assert not np.allclose(partial, found[1][:1])  # a column less is another picture


def test_a_flipped_jpeg_is_within_two_bits_of_its_original_variant():
    """A flip moves the draft's partial last block to the other side; measured over the exact
    content, the hash does not move with it (imagehash.phash was 6 to 8 bits away)."""
    original = _jpeg_view(_picture(5))["view_hashes"]
    flipped = _jpeg_view(_picture(5).transpose(T.FLIP_LEFT_RIGHT))["view_hashes"]
    variant = ih.hash_bits(DIHEDRAL[1].coefficients(original.coefficients))
    assert bin(ih.hash_bits(flipped.coefficients) ^ variant).count("1") <= 2


def test_key_variants_are_the_keys_of_the_turned_coefficients():
    coefficients = np.random.default_rng(0).normal(size=(200, 8, 8))
    variants = ih.key_variants(ih.sign_keys(coefficients))
    direct = np.stack([ih.sign_keys(g.coefficients(coefficients)) for g in DIHEDRAL])
    assert np.array_equal(variants, direct)
    keys = ih.canonical_keys(coefficients) & ih.KEY_MASK
    turned = ih.canonical_keys(DIHEDRAL[5].coefficients(coefficients)) & ih.KEY_MASK
    assert np.array_equal(keys, turned)


def test_the_canonical_pixel_hash_is_the_same_for_every_flip_and_turn():
    pixels = np.asarray(_picture(6, (40, 30)))
    found = {}
    for g in DIHEDRAL:
        turned = Image.fromarray(np.ascontiguousarray(g.array(pixels)))
        found[g.number] = ih.view_hashes(turned, *turned.size)
    assert len({f["view_pixel_hash"] for f in found.values()}) == 1
    for g in range(8):  # how each is the first: the transform the duplicate rules report
        first, other = found[0]["view_hashes"], found[g]["view_hashes"]
        assert compose(inverse(other.pixel_variant), first.pixel_variant) == g


def test_hashes_within_a_distance_are_found_without_comparing_all_pairs():
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 2**63, size=500, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    queries = targets[:40] ^ np.left_shift(np.uint64(1), rng.integers(0, 64, 40).astype(np.uint64))
    queries = np.concatenate([queries, rng.integers(0, 2**63, size=60, dtype=np.uint64)])
    for distance in (0, 1, 4, 9):
        q, t, d = matches_within(queries, targets, distance)
        brute = np.bitwise_count(queries[:, None] ^ targets[None, :])
        expected = {(int(a), int(b)) for a, b in zip(*np.nonzero(brute <= distance), strict=True)}
        assert set(zip(q.tolist(), t.tolist(), strict=True)) == expected
        assert np.array_equal(d, brute[q, t])
    assert len(expected) >= 40


def test_dihedral_pairs_name_the_transform_from_the_first_to_the_second():
    pictures = [np.asarray(_picture(seed)) for seed in range(10, 16)]
    pictures.append(DIHEDRAL[5].array(pictures[2]) // 2 + 60)  # turned and regraded
    views = [_view(Image.fromarray(np.ascontiguousarray(p))) for p in pictures]
    found = dihedral_pairs(np.stack([v.coefficients for v in views]), 4)
    assert set(found) in ({(2, 6)}, {(6, 2)})
    [((a, b), (distance, g))] = found.items()
    assert distance <= 4 and g == (5 if a == 2 else inverse(5))


def test_a_crop_is_aligned_to_a_tenth_of_a_percent():
    original = _picture(20, (800, 1000))
    cut = (0.063, 0.021, 0.088, 0.042)
    width, height = original.size
    box = (round(cut[0] * width), round(cut[1] * height), width - round(cut[2] * width),
           height - round(cut[3] * height))  # fmt: skip
    cropped = original.crop(box)
    copy = _view(cropped).coefficients.astype(np.float64)
    found = align(_working(original), copy, (0.05, 0.025, 0.075, 0.05))
    assert np.abs(np.array(found) - cut).max() < 0.002


def test_crop_pairs_find_a_cropped_turned_copy_among_distinct_images():
    pictures = [_picture(seed) for seed in range(30, 40)]
    copy = pictures[4].crop((30, 10, 350, 420)).transpose(T.ROTATE_90).resize((300, 240))
    store = _store([*pictures, copy])
    found = crop_pairs(store, 4)
    assert list(found) == [(4, 10)]
    distance, g, crop = found[(4, 10)]
    assert distance <= 4 and DIHEDRAL[g].name == "rotated 90° counter-clockwise"
    expected = (30 / 373, 10 / 454, 23 / 373, 34 / 454)
    assert np.abs(np.array(crop) - expected).max() < 0.005
    assert crop_pairs(store, 4, skip={(4, 10)}) == {}
    assert crop_pairs(store, 4, rows=[0, 1, 2, 3, 10]) == {}  # the original left out


def test_exif_transposes_of_the_planters_are_pillows():
    for orientation, method in EXIF_TRANSPOSE.items():
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = orientation
        image = Image.new("L", (3, 2))
        image.putdata(range(6))
        image.info["exif"] = exif.tobytes()
        assert np.array_equal(np.asarray(ImageOps.exif_transpose(image)),
                              np.asarray(image.transpose(method)))  # fmt: skip


def test_a_working_view_read_again_is_the_one_the_scan_hashed(tmp_path):
    """The crop search reads an original's working view again instead of keeping it: it must
    be the view the scan computed the original's coefficients from, EXIF turn included."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    path = tmp_path / "IMG0000001.jpg"
    _picture(7, (640, 800)).save(path, "JPEG", quality=90, exif=exif.tobytes())
    found = read_image(str(path))
    again = read_working_view(str(path), found["header"])
    assert again.orientation == 6 and again.content == found["view_hashes"].content
    whole = again.box_coefficients([(0.0, 0.0, 0.0, 0.0)])[0]
    assert np.allclose(whole, found["view_hashes"].coefficients, atol=1e-3)
    assert read_working_view(str(tmp_path / "gone.jpg")) is None


def test_a_copy_correlates_with_its_aligned_original_and_a_framed_look_alike_does_not():
    """The check of a near-duplicate link: the copy's cells against the original's crop, turned;
    two distinct pictures inside one wide collimation frame share most of their cells (the
    frame) but none of their detail."""
    original = _picture(50)
    copy = original.crop((20, 10, 353, 430)).transpose(T.ROTATE_90).resize((300, 250))
    copy = Image.fromarray(np.clip(np.asarray(copy, dtype=np.float64) * 1.3 - 60, 0, 255)
                           .astype(np.uint8))  # fmt: skip
    crop = (20 / 373, 10 / 454, 20 / 373, 24 / 454)
    correlation, cells, mean_a, mean_b, contrast = view_match.compare(
        _working(original), _working(copy), 6, crop)
    assert correlation > 0.98 and cells == view_match.CELLS**2
    assert mean_b < mean_a - 15 and contrast > 1.2
    first, second = (collimation_frame(_picture(seed), 0.3) for seed in (51, 52))
    whole = (0.0, 0.0, 0.0, 0.0)
    alike = view_match.compare(_working(first), _working(second), 0, whole)
    assert alike[0] < 0.8 and alike[1] < view_match.CELLS**2 / 4  # only the middle compared
    assert view_match.compare(_working(first), _working(first.transpose(T.ROTATE_180)), 3,
                              whole)[0] > 0.98  # fmt: skip


def test_a_plain_link_is_aligned_into_a_crop_of_the_original_whichever_image_comes_first():
    pictures = [_picture(seed) for seed in range(60, 63)]
    cut = (8, 5, 4, 9)  # pixels from the left, top, right, bottom: 1-2 %
    copy = pictures[1].crop((cut[0], cut[1], 373 - cut[2], 454 - cut[3])).resize((373, 454))
    store = _store([*pictures, copy.transpose(T.FLIP_LEFT_RIGHT)])
    matcher = view_match.ViewMatcher(store)
    for a, b, turn in ((1, 3, 1), (3, 1, 1)):  # the link as the hashes give it, either way
        found = matcher.match(a, b, turn)
        assert (found.a, found.b, found.turn) == (1, 3, 1) and found.correlation > 0.98
        expected = (8 / 373, 5 / 454, 4 / 373, 9 / 454)
        assert np.abs(np.array(found.crop) - expected).max() < 0.003
    plain = matcher.match(0, 2, 0)  # distinct pictures: no crop makes one the other
    assert plain.crop is None and plain.correlation < 0.5


def _framed(seed: int, border: float = 0.3) -> Image.Image:
    """A distinct picture in the middle of a wide black frame (a collimated radiograph)."""
    inner = _picture(seed)
    frame = Image.new("L", (int(373 * (1 + 2 * border)), int(454 * (1 + 2 * border))), 0)
    frame.paste(inner, (int(373 * border), int(454 * border)))
    return frame.resize((373, 454))


def test_a_cluster_of_look_alike_images_costs_alignments_per_image_not_per_pair(monkeypatch):
    """Distinct pictures in one wide frame look alike to the crop keys and descriptors; only
    the TOP_CANDIDATES nearest originals of each image are aligned, not every pair."""
    pictures = [_framed(seed) for seed in range(50, 80)]
    aligned = []
    real = crop_search.align
    monkeypatch.setattr(crop_search, "align",
                        lambda *args: aligned.append(1) or real(*args))  # fmt: skip
    crop_pairs(_store(pictures), 4)
    assert 0 < len(aligned) <= crop_search.TOP_CANDIDATES * len(pictures)


def test_key_matches_in_batches_are_the_matches_at_once(monkeypatch):
    pictures = [_framed(seed) for seed in range(80, 100)] + [_picture(s) for s in range(10)]
    store = _store(pictures)
    rows = np.arange(len(pictures))
    table = crop_search._KeyTable.of(store, rows)
    own = store.coefficients.astype(np.float64)

    def found() -> set:
        return {tuple(int(v) for v in match) for batch in table.matches(own)
                for match in zip(*batch, strict=True)}  # fmt: skip

    whole = found()
    monkeypatch.setattr(crop_search, "MATCHES_AT_ONCE", 7)
    assert found() == whole and len(whole) > 7
    monkeypatch.setattr(crop_search, "MAX_KEY_BOXES", 0)
    assert found() == set()  # every key is shared by more boxes than that: none looked up


@pytest.mark.parametrize("temporary_file", [True, False])
def test_the_crop_coefficients_read_back_as_written(temporary_file, monkeypatch):
    """Kept in a temporary file (or in memory, where none can be made), read a slab of images
    at a time for the (image, box) pairs the crop search asks for: the same values as the
    array they came from, whichever slab each pair falls in."""
    if not temporary_file:
        def refused(*args, **kwargs):
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr(view_store.tempfile, "TemporaryFile", refused)
    rng = np.random.default_rng(3)
    count = view_store.SLAB * 2 + 5
    written = rng.integers(-127, 128, (count, view_store.BOXES, view_store.DESCRIPTOR),
                           dtype=np.int8)  # fmt: skip
    crops = view_store.CropFile(count)
    assert (crops._memory is None) == temporary_file
    crops.write(0, written[:1000])
    crops.write(1000, written[1000:])
    images = rng.integers(0, count, 5000)
    boxes = rng.integers(0, view_store.BOXES, 5000)
    assert np.array_equal(crops[images, boxes], written[images, boxes])
    assert np.array_equal(crops[count - 1], written[count - 1])
    assert np.array_equal(crops.copy()[:], written)
