"""Shared by every test folder: tiny, format-faithful YouTube-VIS-style files (official
layout, see docs/metric.md), through the ``ytvis`` fixture."""
import json
from types import SimpleNamespace

import numpy as np
import pycocotools.mask as mask_utils
import pytest

H, W = 24, 32


def box_mask(x0, y0, x1, y1, h=H, w=W):
    """uint8 (h, w) mask, ones on rows y0:y1 and columns x0:x1."""
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def compressed_rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask))
    return dict(size=list(rle['size']), counts=rle['counts'].decode('ascii'))


def uncompressed_rle(mask):
    """COCO's uncompressed RLE: column-major run lengths starting with zeros."""
    flat = mask.flatten(order='F')
    counts, value, run = [], 0, 0
    for v in flat:
        if v == value:
            run += 1
        else:
            counts.append(run)
            value, run = v, 1
    counts.append(run)
    return dict(size=[int(mask.shape[0]), int(mask.shape[1])], counts=counts)


def polygon(x0, y0, x1, y1):
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def official_ytvis(categories=(('lizard', 1), ('beetle', 2), ('bird', 3))):
    """Two videos; video 1 has a polygon / null / compressed-RLE track and an
    uncompressed-RLE crowd-free track; video 2 has no annotations."""
    v1 = [f'vid_a/{i:05d}.jpg' for i in range(3)]
    v2 = [f'vid_b/{i:05d}.jpg' for i in range(2)]
    m2 = box_mask(10, 4, 20, 12)
    return dict(
        info={}, licenses=[],
        videos=[dict(id=1, width=W, height=H, length=3, file_names=v1),
                dict(id=2, width=W, height=H, length=2, file_names=v2)],
        categories=[dict(id=i, name=n, supercategory='animal') for n, i in categories],
        annotations=[
            dict(id=7, video_id=1, category_id=2, iscrowd=0, height=H, width=W,
                 segmentations=[polygon(2, 2, 8, 8), None, compressed_rle(box_mask(4, 4, 9, 10))],
                 bboxes=[[2, 2, 6, 6], None, [4, 4, 5, 6]], areas=[36, None, 30]),
            dict(id=9, video_id=1, category_id=3, iscrowd=0, height=H, width=W,
                 segmentations=[uncompressed_rle(m2)] * 3, bboxes=[None] * 3,
                 areas=[None] * 3),
        ])


@pytest.fixture
def ytvis():
    """The helpers above, for tests (a conftest is not importable by name)."""
    return SimpleNamespace(H=H, W=W, box_mask=box_mask, compressed_rle=compressed_rle,
                           uncompressed_rle=uncompressed_rle, polygon=polygon,
                           official=official_ytvis)


@pytest.fixture
def review_case(tmp_path, ytvis):
    """A coarse file, its correction and the frames, for the review report.

    Video 1 (``vid_a``, 3 frames): track 7 (a polygon, null, a box) and track 9 (a box)
    are corrected to boxes one pixel larger on the right (track 7 on its first frame also
    at the bottom); video 2 (``vid_b``, 2 frames): track 11 is left as it is.
    """
    import cv2

    from mmvmt.engine import corrected_annotations

    box, rle = ytvis.box_mask, ytvis.compressed_rle
    coarse = ytvis.official()
    coarse['annotations'].append(dict(
        id=11, video_id=2, category_id=1, iscrowd=0, height=ytvis.H, width=ytvis.W,
        segmentations=[rle(box(3, 3, 12, 9))] * 2))
    corrected = corrected_annotations(coarse, {
        7: [rle(box(2, 2, 9, 9)), None, rle(box(4, 4, 10, 10))],
        9: [rle(box(10, 4, 21, 12))] * 3})
    rng = np.random.default_rng(0)
    for video in coarse['videos']:
        for name in video['file_names']:
            path = tmp_path / 'img' / name
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), rng.integers(0, 255, (ytvis.H, ytvis.W, 3), np.uint8))
    (tmp_path / 'ann').mkdir()
    paths = dict(img=str(tmp_path / 'img'), dir=tmp_path)
    for name, content in (('coarse', coarse), ('corrected', corrected)):
        paths[name] = str(tmp_path / 'ann' / f'{name}.json')
        (tmp_path / 'ann' / f'{name}.json').write_text(json.dumps(content))
    return paths
