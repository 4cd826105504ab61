"""Random, valid YouTube-VIS ground truth and results for the evaluation tests.

Small frames (so the plain evaluator stays fast) plus a few large ones (so the medium and
large area ranges are exercised), every segmentation format, null frames on both sides,
empty masks, crowd GT, results that overlap GT well or badly, and tied scores.
"""
import numpy as np
import pycocotools.mask as mask_utils

FRAME_SIZES = ((6, 9), (17, 23), (31, 40), (160, 210), (300, 420))


def random_mask(rng, h, w, near=None):
    """A blob: union of 1-3 random rectangles/ellipses, or a jittered copy of ``near``."""
    if near is not None:
        mask = near.copy()
        dy, dx = rng.integers(-2, 3, size=2)
        mask = np.roll(mask, (dy, dx), axis=(0, 1))
        flip = rng.random((h, w)) < 0.05
        return (mask ^ flip).astype(np.uint8)
    mask = np.zeros((h, w), dtype=np.uint8)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(rng.integers(1, 4)):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(1, h / 1.5), rng.uniform(1, w / 1.5)
        if rng.random() < 0.5:
            mask |= (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.uint8)
        else:
            mask |= ((abs(yy - cy) <= ry) & (abs(xx - cx) <= rx)).astype(np.uint8)
    return mask


def encode(mask, kind):
    """``mask`` as 'compressed' (str counts), 'uncompressed' RLE or 'polygon'."""
    h, w = mask.shape
    if kind == 'uncompressed':
        flat = mask.flatten(order='F')
        change = np.flatnonzero(np.diff(flat)) + 1
        counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
        if flat[0]:
            counts = [0] + counts
        return {'size': [h, w], 'counts': counts}
    if kind == 'polygon':
        x0, y0 = 0.5, 0.5
        x1, y1 = w - 1.5, h - 1.5
        return [[x0, y0, x1, y0, x1, y1, x0, y1], [x0, y0, (x0 + x1) / 2, y1, x1, y0]]
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {'size': [h, w], 'counts': rle['counts'].decode()}


def random_dataset(seed, num_videos=4, num_categories=3, max_frames=5, sizes=FRAME_SIZES,
                   tie_scores=True):
    """Random GT dict and results list, both valid."""
    rng = np.random.default_rng(seed)
    gt = dict(videos=[], annotations=[], categories=[
        dict(id=c + 1, name=f'cat{c + 1}') for c in range(num_categories)])
    results = []
    ann_id = 1
    for v in range(num_videos):
        h, w = sizes[rng.integers(len(sizes))]
        length = int(rng.integers(1, max_frames + 1))
        vid = 10 + 7 * v
        gt['videos'].append(dict(id=vid, height=h, width=w, length=length,
                                 file_names=[f'v{vid}/{t:05d}.jpg' for t in range(length)]))
        for _ in range(rng.integers(0, 4)):
            cat = int(rng.integers(1, num_categories + 1))
            masks = [None if rng.random() < 0.25 else random_mask(rng, h, w)
                     for _ in range(length)]
            kind = rng.choice(['compressed', 'uncompressed', 'polygon'],
                              p=[0.5, 0.35, 0.15])
            areas = [None if m is None else float(m.sum()) for m in masks]
            if rng.random() < 0.3:  # GT areas come from the file: exercise the area ranges
                areas = [None if a is None else float(rng.choice([50., 20000., 90000.]))
                         for a in areas]
            gt['annotations'].append(dict(
                id=ann_id, video_id=vid, category_id=cat,
                iscrowd=int(rng.random() < 0.15), areas=areas,
                segmentations=[None if m is None else encode(m, kind) for m in masks],
                bboxes=[None] * length, height=h, width=w))
            ann_id += 1
            for _ in range(rng.integers(0, 3)):  # results near this GT
                near = [None if (m is None and rng.random() < 0.7) or rng.random() < 0.1
                        else random_mask(rng, h, w, near=m) for m in masks]
                results.append(_result(rng, vid, cat if rng.random() < 0.85 else
                                       int(rng.integers(1, num_categories + 1)), near,
                                       tie_scores))
        for _ in range(rng.integers(0, 3)):  # unrelated results
            masks = [None if rng.random() < 0.2 else
                     (np.zeros((h, w), np.uint8) if rng.random() < 0.1 else
                      random_mask(rng, h, w)) for _ in range(length)]
            results.append(_result(rng, vid, int(rng.integers(1, num_categories + 1)), masks,
                                   tie_scores))
    return gt, results


def _result(rng, vid, cat, masks, tie_scores):
    kind = 'uncompressed' if rng.random() < 0.3 else 'compressed'
    score = float(rng.choice([0.3, 0.5, 0.9])) if tie_scores and rng.random() < 0.3 \
        else float(rng.random())
    return dict(video_id=vid, category_id=cat, score=score,
                segmentations=[None if m is None else encode(m, kind) for m in masks])
