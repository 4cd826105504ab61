"""mmvmt/visualization/review_report.py: the numbers, thumbnails and data of the report."""
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvmt.structures import boundary_width, mask_boundary, segmentation_to_rle
from mmvmt.visualization.review_report import (ADDED_COLOR, COARSE_COLOR, CORRECTED_COLOR,
                                               REMOVED_COLOR, review_thumbnail,
                                               write_review_report)


def read_data(out):
    text = (out / 'data.js').read_text()
    prefix = 'window.REVIEW = '
    assert text.startswith(prefix) and text.endswith(';\n')
    return json.loads(text[len(prefix):-2])


def masks_of(path, track_id, h, w):
    ann = next(a for a in json.load(open(path))['annotations'] if a['id'] == track_id)
    return [None if s is None else mask_utils.decode(segmentation_to_rle(s, h, w)).astype(bool)
            for s in ann['segmentations']]


def plain_boundary_iou(coarse, corrected, d):
    """sum_t |B(c_t) & B(f_t)| / sum_t |B(c_t) | B(f_t)| on full frames."""
    inter = union = 0
    for c, f in zip(coarse, corrected):
        if c is None:
            continue
        bc, bf = mask_boundary(c, d), mask_boundary(f, d)
        inter += (bc & bf).sum()
        union += (bc | bf).sum()
    return inter / union


def test_rows_hold_the_changes_sorted_by_pixels_changed(review_case, ytvis):
    out = review_case['dir'] / 'report'
    summary = write_review_report(review_case['coarse'], review_case['corrected'],
                                  review_case['img'], str(out), progress=False)
    data = read_data(out)
    rows = {r['id']: r for r in data['tracks']}
    # Track 9: a 10 x 8 box grown to 11 x 8 in each of 3 frames.
    assert (rows[9]['added'], rows[9]['removed']) == (24, 0)
    assert rows[9]['frames'] == [[0, 8, 0], [1, 8, 0], [2, 8, 0]]
    # Track 7 frame 2: a 5 x 6 box grown to 6 x 6; frame 0 polygon vs a 7 x 7 box.
    poly = masks_of(review_case['coarse'], 7, ytvis.H, ytvis.W)[0]
    added0 = int((ytvis.box_mask(2, 2, 9, 9).astype(bool) & ~poly).sum())
    assert rows[7]['frames'] == [[0, added0, 0], [2, 6, 0]]
    assert rows[11]['frames'] == [] and rows[11]['added'] == rows[11]['removed'] == 0
    assert added0 + 6 < 24  # so track 9 changed most
    assert [r['id'] for r in data['tracks']] == [9, 7, 11]
    assert [r['rank'] for r in data['tracks']] == [0, 1, 2]
    d = boundary_width(ytvis.H, ytvis.W)
    for tid in (7, 9, 11):
        expected = plain_boundary_iou(masks_of(review_case['coarse'], tid, ytvis.H, ytvis.W),
                                      masks_of(review_case['corrected'], tid, ytvis.H, ytvis.W),
                                      d)
        assert rows[tid]['boundary_iou'] == pytest.approx(expected)
    assert rows[11]['boundary_iou'] == 1.0
    assert (rows[7]['video'], rows[7]['category'], rows[11]['video']) == \
        ('vid_a (1)', 'beetle', 'vid_b (2)')
    assert data['videos'] == [[1, 'vid_a (1)'], [2, 'vid_b (2)']]
    thumbs = sorted(p.relative_to(out).as_posix() for p in (out / 'thumbs').rglob('*.jpg'))
    assert thumbs == ['thumbs/1/7_0.jpg', 'thumbs/1/7_2.jpg', 'thumbs/1/9_0.jpg',
                      'thumbs/1/9_1.jpg', 'thumbs/1/9_2.jpg']
    assert summary == dict(tracks=3, changed_tracks=2, thumbnails=5,
                           index=str(out / 'index.html'))
    page = (out / 'index.html').read_text()
    assert '<script src="data.js">' in page
    # The legend shows the thumbnails' colours.
    for color in (COARSE_COLOR, CORRECTED_COLOR, REMOVED_COLOR, ADDED_COLOR):
        assert f'background:rgb{color}' in page
    assert '@' not in page


def test_thumbnail_colours_removed_left_and_added_right():
    image = np.full((40, 40, 3), 100, np.uint8)
    coarse = np.zeros((40, 40), bool)
    coarse[10:30, 10:20] = True
    corrected = np.zeros((40, 40), bool)
    corrected[10:30, 14:26] = True  # removes columns 10:14, adds 20:26
    # The union box, rows 10:30 and columns 10:26, with a margin of 5: a crop of 30 x 26
    # at height 30 is not resampled. Crop coordinates are the frame's less 5.
    thumb = review_thumbnail(image, coarse, corrected, height=30)
    assert thumb.shape == (30, 2 * 26 + 2, 3)
    left, right = thumb[:, :26].astype(int), thumb[:, 28:].astype(int)

    def blend(color):
        return np.round(100 * 0.3 + np.array(color) * 0.7).astype(int)

    assert (left[6:24, 6:9] == blend(REMOVED_COLOR)).all()  # removed, inside the outline
    assert (right[6:24, 6:9] == 100).all()
    assert (right[6:24, 15:20] == blend(ADDED_COLOR)).all()  # added
    assert (left[6:24, 15:20] == 100).all()
    assert (left[5, 5:15] == COARSE_COLOR).all()  # top edges of the outlines
    assert (right[5, 9:21] == CORRECTED_COLOR).all()


def test_confidence_from_a_provenance_with_tracks_and_threshold_in_the_header(review_case):
    prov = review_case['dir'] / 'ann' / 'corrected.provenance.json'
    prov.write_text(json.dumps(dict(conf_thr=0.65, remove_thr=0.8,
                                    tracks=[dict(id=9, confidence=0.91)])))
    out = review_case['dir'] / 'report'
    write_review_report(review_case['coarse'], review_case['corrected'], review_case['img'],
                        str(out), progress=False)
    data = read_data(out)
    assert {r['id']: r['confidence'] for r in data['tracks']} == {9: 0.91, 7: None, 11: None}
    assert 'confidence > 0.65 (> 0.8 to remove)' in data['meta']


def test_a_missing_frame_is_named(review_case):
    import os
    os.unlink(f'{review_case["img"]}/vid_a/00002.jpg')
    with pytest.raises(FileNotFoundError, match=r'vid_a/00002.jpg: missing or not an image'):
        write_review_report(review_case['coarse'], review_case['corrected'],
                            review_case['img'], str(review_case['dir'] / 'r'), progress=False)


def test_an_existing_report_is_kept(review_case):
    out = review_case['dir'] / 'report'
    out.mkdir()
    (out / 'index.html').write_text('mine')
    with pytest.raises(FileExistsError, match='holds a report'):
        write_review_report(review_case['coarse'], review_case['corrected'],
                            review_case['img'], str(out), progress=False)
    assert (out / 'index.html').read_text() == 'mine'
