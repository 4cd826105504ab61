"""What the checks accept is what pycocotools decodes: a differential test of RLE counts.

pycocotools' C parser reads a count of 7 or more characters as another number than the one
it spells; the validator must refuse those strings, and agree with pycocotools on the rest.
"""
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvmt.structures import YTVISFormatError
from mmvmt.structures.rle import MAX_COUNT_DIGITS, parse_rle_counts
from mmvmt.structures.segmentation import check_segmentation


def spell(value: int, num_chars: int) -> str:
    """Write one (delta) count with exactly ``num_chars`` characters of the 6-bit alphabet.

    Padding digits repeat the sign (0 or 31), as a sign-extended number does; a reader that
    does integer arithmetic exactly gets ``value`` back for every ``num_chars`` that holds it.
    """
    chars = []
    for k in range(num_chars):
        digit = value & 0x1f
        value >>= 5
        last = k == num_chars - 1
        chars.append(chr(digit + (0 if last else 0x20) + 48))
    assert value in (0, -1) and (value == -1) == bool(digit & 0x10), 'too few characters'
    return ''.join(chars)


def min_chars(value: int) -> int:
    n = 1
    while not -(1 << (5 * n - 1)) <= value < (1 << (5 * n - 1)):
        n += 1
    return n


def spell_runs(runs, widths) -> str:
    """Delta-code run lengths as pycocotools does (count i - count i-2 for i > 2)."""
    deltas = [r - runs[i - 2] if i > 2 else r for i, r in enumerate(runs)]
    return ''.join(spell(d, max(w, min_chars(d))) for d, w in zip(deltas, widths))


def runs_to_mask(runs, height, width) -> np.ndarray:
    """The obvious decoder: alternate 0 / 1 runs, column-major (pycocotools' order)."""
    flat = np.repeat(np.arange(len(runs)) % 2, runs).astype(np.uint8)
    return flat.reshape(width, height).T


def pycocotools_mask(counts: str, height: int, width: int) -> np.ndarray:
    return mask_utils.decode(dict(size=[height, width], counts=counts.encode()))


@pytest.mark.parametrize('num_chars', range(2, 10))
def test_crafted_long_count_is_refused_or_read_alike(num_chars):
    # 100 0s, 200 1s, 300 0s, then a delta of -100 (100 1s) spelled with num_chars chars.
    height = width = 64
    runs = [100, 200, 300, 100, height * width - 700]
    counts = spell_runs(runs, [1, 1, 1, num_chars, 1])
    their_area = int(mask_utils.area(dict(size=[height, width], counts=counts.encode())))
    if num_chars <= MAX_COUNT_DIGITS:
        np.testing.assert_array_equal(runs_to_mask(parse_rle_counts(counts), height, width),
                                      pycocotools_mask(counts, height, width))
        assert their_area == 300
        return
    # pycocotools reads another mask (the reason for the rule): ours must refuse the string.
    assert their_area != 300
    with pytest.raises(ValueError, match=f'takes {num_chars} characters'):
        parse_rle_counts(counts)
    with pytest.raises(YTVISFormatError, match=r'^crafted\.json: annotation 7, frame 3: '
                       f'malformed RLE: count 3 of "counts" takes {num_chars} characters'):
        check_segmentation(dict(size=[height, width], counts=counts), height, width,
                           source='crafted.json', entry='annotation 7, frame 3')


def test_random_spellings_agree_with_pycocotools():
    rng = np.random.default_rng(0)
    checked = refused = 0
    for _ in range(400):
        height, width = (int(v) for v in rng.integers(1, 40, size=2))
        mask = (rng.random((height, width)) < rng.random()).astype(np.uint8)
        runs = parse_rle_counts(mask_utils.encode(np.asfortranarray(mask))['counts']).tolist()
        widths = rng.integers(1, MAX_COUNT_DIGITS + 1, size=len(runs))
        if rng.random() < 0.5:  # one count spelled longer than pycocotools reads faithfully
            widths[rng.integers(len(runs))] = rng.integers(MAX_COUNT_DIGITS + 1, 10)
        widths = widths.tolist()
        counts = spell_runs(runs, widths)
        try:
            ours = parse_rle_counts(counts)
        except ValueError as err:
            assert 'characters' in str(err)
            assert max(widths) > MAX_COUNT_DIGITS
            refused += 1
            continue
        np.testing.assert_array_equal(runs_to_mask(ours, height, width), mask)
        np.testing.assert_array_equal(pycocotools_mask(counts, height, width), mask)
        checked += 1
    assert checked > 50 and refused > 50  # both branches were exercised


def test_random_strings_accepted_only_where_pycocotools_agrees():
    rng = np.random.default_rng(1)
    alphabet = np.array([chr(48 + i) for i in range(64)])
    accepted = 0
    for _ in range(3000):
        height, width = (int(v) for v in rng.integers(1, 4, size=2))
        counts = ''.join(rng.choice(alphabet, size=int(rng.integers(1, 5))))
        try:
            rle, runs = check_segmentation(dict(size=[height, width], counts=counts), height,
                                           width, source='random.json', entry='entry')
        except YTVISFormatError:
            continue
        accepted += 1
        ours = runs_to_mask(runs, height, width)
        np.testing.assert_array_equal(pycocotools_mask(counts, height, width), ours)
        assert int(mask_utils.area(dict(size=[height, width], counts=counts.encode()))) == \
            int(ours.sum())
    assert accepted >= 10  # the accepted branch was exercised
