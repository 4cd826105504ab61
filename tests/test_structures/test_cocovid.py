import copy

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvmt.structures import YTVISFormatError, segmentation_to_rle, ytvis_to_cocovid


def decode(rle):
    return mask_utils.decode(rle)


def test_three_mask_encodings_decode_to_the_same_mask(ytvis):
    mask = ytvis.box_mask(3, 5, 11, 9)
    for segm in (ytvis.polygon(3, 5, 11, 9), ytvis.uncompressed_rle(mask),
                 ytvis.compressed_rle(mask)):
        rle = segmentation_to_rle(segm, ytvis.H, ytvis.W)
        assert isinstance(rle['counts'], str)
        out = decode(rle)
        # A polygon covers its outline too, so it may be one pixel larger on two sides.
        assert (out[mask == 1] == 1).all() and out.sum() <= (9 * 5)
    assert (decode(segmentation_to_rle(ytvis.uncompressed_rle(mask), ytvis.H, ytvis.W))
            == mask).all()


def test_short_polygons_are_dropped_as_mmdet_does(ytvis):
    box = ytvis.polygon(3, 5, 11, 9)
    with_short = segmentation_to_rle([[1, 1, 4, 4], []] + box, ytvis.H, ytvis.W)
    assert with_short == segmentation_to_rle(box, ytvis.H, ytvis.W)
    for only_short in ([[1, 1, 4, 4]], []):
        empty = segmentation_to_rle(only_short, ytvis.H, ytvis.W)
        assert isinstance(empty['counts'], str) and decode(empty).sum() == 0
    # An odd number of coordinates is no polygon at all: an error, not a silent drop.
    with pytest.raises(YTVISFormatError, match=r'polygon 0 has an odd number \(5\)'):
        segmentation_to_rle([[2, 2, 3, 3, 4]] + box, ytvis.H, ytvis.W)


def test_conversion_keeps_ids_skips_null_frames_and_fills_boxes(ytvis):
    out = ytvis_to_cocovid(ytvis.official(), source='x.json')
    assert [v['name'] for v in out['videos']] == ['vid_a', 'vid_b']
    assert [i['frame_id'] for i in out['images']] == [0, 1, 2, 0, 1]
    assert len({i['id'] for i in out['images']}) == 5
    track7 = [a for a in out['annotations'] if a['instance_id'] == 7]
    assert [a['image_id'] for a in track7] == [1, 3]  # frame 1 is null
    track9 = [a for a in out['annotations'] if a['instance_id'] == 9]
    assert track9[0]['bbox'] == [10.0, 4.0, 10.0, 8.0] and track9[0]['area'] == 80.0


def test_test_files_without_annotations_convert(ytvis):
    ann = ytvis.official()
    ann['annotations'] = None
    assert ytvis_to_cocovid(ann)['annotations'] == []
    del ann['annotations']
    assert len(ytvis_to_cocovid(ann)['images']) == 5


@pytest.mark.parametrize('break_it, message', [
    (lambda a: a['annotations'][0]['segmentations'].pop(), r'annotations\[0\] \(id 7\).*'
     r'"segmentations" has 2 entries but video 1 has 3 frames'),
    (lambda a: a['annotations'][0]['bboxes'].append(None), r'"bboxes" has 4 entries'),
    (lambda a: a['annotations'][1].update(category_id=99), r'annotations\[1\] \(id 9\): '
     r'unknown category_id 99'),
    (lambda a: a['annotations'][1].update(id=7), r'annotations\[1\] \(id 7\): duplicate'),
    (lambda a: a['videos'][1].update(id=1), r'videos\[1\] \(id 1\): duplicate'),
    (lambda a: a['annotations'][1].update(video_id=5), r'unknown video_id 5'),
    (lambda a: a['annotations'][0]['segmentations'][2].update(size=[10, 10]),
     r'annotations\[0\] \(id 7\) segmentations\[2\]: RLE size \[10, 10\] differs'),
    (lambda a: a['annotations'][1]['segmentations'][0]['counts'].append(3),
     r'segmentations\[0\]: malformed RLE: the run lengths add up to 771'),
    # A compressed RLE of 1000 pixels labelled as a 24 x 32 frame (pycocotools would say
    # area 1000 or read past its buffer).
    (lambda a: a['annotations'][0]['segmentations'][2].update(counts=mask_utils.encode(
        np.ones((10, 100), np.uint8, order='F'))['counts'].decode()),
     r'segmentations\[2\]: malformed RLE: a run of 1000 pixels is longer than the video'),
    (lambda a: a['annotations'][0]['segmentations'][2].update(counts='0!'),
     r'segmentations\[2\]: malformed RLE: a character'),
    (lambda a: a['annotations'][0]['segmentations'].__setitem__(0, [[1, 2, 3, 4, 'x', 6]]),
     r'segmentations\[0\]: polygon 0 must be a flat list of numbers'),
    (lambda a: a['videos'][0].update(length=5), r'videos\[0\] \(id 1\): "length" is 5'),
])
def test_bad_files_name_file_and_entry(ytvis, break_it, message):
    ann = copy.deepcopy(ytvis.official())
    break_it(ann)
    with pytest.raises(YTVISFormatError, match=r'^bad\.json: .*' + message):
        ytvis_to_cocovid(ann, source='bad.json')


def test_refined_masks_are_preferred_when_asked(ytvis):
    ann = ytvis.official()
    refined = ytvis.compressed_rle(ytvis.box_mask(0, 0, 3, 3))
    ann['annotations'][1]['segmentations_refined'] = [refined] * 3
    plain = ytvis_to_cocovid(ann)
    hq = ytvis_to_cocovid(ann, segm_keys=('segmentations_refined', 'segmentations'))
    assert plain['annotations'][-1]['area'] == 80.0
    assert hq['annotations'][-1]['area'] == 9.0
    # Annotations without the refined key fall back to the plain masks.
    assert hq['annotations'][0]['area'] == plain['annotations'][0]['area']


def test_refined_masks_get_their_own_boxes_and_areas(ytvis):
    # The file's bboxes / areas describe the coarse "segmentations", not the refined masks.
    ann = ytvis.official()
    refined = ytvis.box_mask(0, 0, 3, 2)
    ann['annotations'][0]['segmentations_refined'] = [ytvis.compressed_rle(refined)] * 3
    plain = ytvis_to_cocovid(ann)
    hq = ytvis_to_cocovid(ann, segm_keys=('segmentations_refined', 'segmentations'))
    assert [a['area'] for a in plain['annotations'][:2]] == [36, 30]
    assert plain['annotations'][0]['bbox'] == [2, 2, 6, 6]
    track7 = [a for a in hq['annotations'] if a['instance_id'] == 7]
    assert [a['area'] for a in track7] == [6.0] * 3
    assert all(a['bbox'] == [0.0, 0.0, 3.0, 2.0] for a in track7)


def test_missing_categories_use_default_classes(ytvis):
    ann = ytvis.official()
    del ann['categories']
    out = ytvis_to_cocovid(ann, default_classes=('a', 'b', 'c'))
    assert [c['name'] for c in out['categories']] == ['a', 'b', 'c']
    with pytest.raises(YTVISFormatError, match='categories: missing'):
        ytvis_to_cocovid(ann)
    assert np.isfinite(out['annotations'][0]['area'])
