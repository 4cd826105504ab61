"""Shared by every test folder: tiny, format-faithful YouTube-VIS-style files (official
layout, see docs/metric.md), through the ``ytvis`` fixture."""
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
