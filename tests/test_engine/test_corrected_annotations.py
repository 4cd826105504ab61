"""corrected_annotations and the atomic, never-overwriting JSON writer."""
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvmt.engine import corrected_annotations, dump_json_atomic


def rle(mask):
    out = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(out['size']), counts=out['counts'])  # bytes, as pycocotools gives


def official():
    return dict(videos=[dict(id=1, width=4, height=3, length=2, file_names=['a/0', 'a/1'])],
                categories=[dict(id=1, name='x')],
                annotations=[dict(id=5, video_id=1, category_id=1, iscrowd=0, note='keep',
                                  segmentations=[[[0, 0, 2, 0, 2, 2]], None],
                                  areas=[2, None], bboxes=[[0, 0, 2, 2], None]),
                             dict(id=6, video_id=1, category_id=1, iscrowd=1,
                                  segmentations=[None, [[0, 0, 1, 0, 1, 1]]],
                                  areas=[None, 1], bboxes=[None, [0, 0, 1, 1]])])


def test_only_masks_areas_bboxes_of_corrected_tracks_change():
    src = official()
    snapshot = json.dumps(src)
    mask = np.zeros((3, 4), bool)
    mask[1:3, 1:4] = True
    out = corrected_annotations(src, {5: [rle(mask), None]})
    assert json.dumps(src) == snapshot
    assert out['videos'] == src['videos'] and out['categories'] == src['categories']
    ann = out['annotations'][0]
    assert ann['note'] == 'keep' and ann['iscrowd'] == 0 and ann['id'] == 5
    assert ann['segmentations'][1] is None and ann['areas'] == [6, None]
    assert ann['bboxes'] == [[1.0, 1.0, 3.0, 2.0], None]
    assert isinstance(ann['segmentations'][0]['counts'], str)
    assert np.array_equal(mask_utils.decode(ann['segmentations'][0]), mask)
    assert out['annotations'][1] == src['annotations'][1]
    json.dumps(out)


def test_null_frames_and_ids_must_match():
    mask = np.ones((3, 4), bool)
    with pytest.raises(ValueError, match='null exactly where'):
        corrected_annotations(official(), {5: [rle(mask), rle(mask)]})
    with pytest.raises(ValueError, match='annotation ids \\[7\\]'):
        corrected_annotations(official(), {7: [None, None]})


def test_dump_json_atomic_never_overwrites(tmp_path):
    path = tmp_path / 'sub' / 'a.json'
    dump_json_atomic({'v': 1}, str(path))
    with pytest.raises(FileExistsError):
        dump_json_atomic({'v': 2}, str(path))
    assert json.loads(path.read_text()) == {'v': 1}
    dump_json_atomic({'v': 3}, str(path), overwrite=True)
    assert json.loads(path.read_text()) == {'v': 3}
    assert sorted(p.name for p in path.parent.iterdir()) == ['a.json']
