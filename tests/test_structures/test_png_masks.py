"""mmvmt/structures/png_masks.py: YouTube-VIS <-> per-frame PNGs of instance ids."""
import copy
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.structures import YTVISFormatError, png_masks_to_ytvis, ytvis_to_png_masks


@pytest.fixture(scope='module')
def toy_val(tmp_path_factory):
    """The toy val annotations (HQ, compressed RLE as pycocotools writes it)."""
    root = tmp_path_factory.mktemp('toy') / 'toy_vis'
    make_toy_vis(root, seed=2, num_videos=dict(train=1, val=3, test=1), num_frames=4,
                 verbose=False)
    return str(root / 'annotations' / 'val_hq.json')


def test_toy_val_round_trip_is_byte_identical(toy_val, tmp_path):
    original = json.load(open(toy_val))
    assert any(s is None for a in original['annotations'] for s in a['segmentations'])
    ytvis_to_png_masks(toy_val, str(tmp_path / 'png'))
    back = png_masks_to_ytvis(str(tmp_path / 'png'))
    # Everything comes back: the RLE strings, areas, bboxes, nulls, order and other keys.
    assert json.dumps(back, sort_keys=True) == json.dumps(original, sort_keys=True)


def test_png_holds_each_tracks_label_where_its_mask_is(ytvis, tmp_path):
    official = ytvis.official()
    index = ytvis_to_png_masks(official, str(tmp_path / 'png'))
    assert index['videos'][0]['png_files'] == ['vid_a/00000.png', 'vid_a/00001.png',
                                              'vid_a/00002.png']
    frame2 = cv2.imread(str(tmp_path / 'png' / 'vid_a' / '00002.png'), cv2.IMREAD_UNCHANGED)
    assert frame2.dtype == np.uint16
    expected = np.zeros((ytvis.H, ytvis.W), np.uint16)
    expected[4:10, 4:9] = 1   # track 7, the file's first track of video 1
    expected[4:12, 10:20] = 2  # track 9
    np.testing.assert_array_equal(frame2, expected)
    # video 2 has no tracks: its frames are written, all background.
    assert not cv2.imread(str(tmp_path / 'png' / 'vid_b' / '00001.png'),
                          cv2.IMREAD_UNCHANGED).any()
    assert [(t['label'], t['track_id'], t['category']) for t in index['tracks']] == \
        [(1, 7, 'beetle'), (2, 9, 'bird')]


def test_polygons_and_uncompressed_rle_come_back_as_the_same_masks(ytvis, tmp_path):
    official = ytvis.official()
    ytvis_to_png_masks(official, str(tmp_path / 'png'))
    back = png_masks_to_ytvis(str(tmp_path / 'png'))
    for a_in, a_out in zip(official['annotations'], back['annotations']):
        assert a_out['id'] == a_in['id']
        for s_in, s_out in zip(a_in['segmentations'], a_out['segmentations']):
            assert (s_in is None) == (s_out is None)
            if s_in is not None:
                if isinstance(s_in, list):
                    s_in = mask_utils.merge(mask_utils.frPyObjects(s_in, ytvis.H, ytvis.W))
                elif isinstance(s_in['counts'], list):
                    s_in = mask_utils.frPyObjects(s_in, ytvis.H, ytvis.W)
                np.testing.assert_array_equal(mask_utils.decode(s_out),
                                              mask_utils.decode(s_in))


def test_empty_present_frame_stays_present_and_painted_frame_becomes_present(ytvis,
                                                                              tmp_path):
    official = ytvis.official()
    official['annotations'][1]['segmentations'][0] = ytvis.compressed_rle(
        np.zeros((ytvis.H, ytvis.W), np.uint8))
    ytvis_to_png_masks(official, str(tmp_path / 'png'))
    labels = np.zeros((ytvis.H, ytvis.W), np.uint16)
    labels[0:3, 0:3] = 1  # paint track 7 into frame 1, where it was null
    cv2.imwrite(str(tmp_path / 'png' / 'vid_a' / '00001.png'), labels)
    back = png_masks_to_ytvis(str(tmp_path / 'png'))
    empty = back['annotations'][1]['segmentations'][0]
    assert empty is not None and mask_utils.area(empty) == 0
    painted = back['annotations'][0]
    assert painted['areas'][1] == 9 and painted['bboxes'][1] == [0.0, 0.0, 3.0, 3.0]


def test_overlapping_masks_are_refused_naming_video_frame_and_tracks(ytvis, tmp_path):
    official = ytvis.official()
    official['annotations'][1]['segmentations'][2] = ytvis.compressed_rle(
        ytvis.box_mask(8, 4, 20, 12))  # overlaps track 7's box 4:9 in columns 8
    with pytest.raises(YTVISFormatError, match=r'videos\[0\] \(id 1\) frame 2: tracks \[7\] '
                       r'and 9 overlap in 6 pixels'):
        ytvis_to_png_masks(official, str(tmp_path / 'png'))
    assert not (tmp_path / 'png').exists()


def test_frames_sharing_a_png_name_are_refused(ytvis, tmp_path):
    official = ytvis.official()
    official['videos'][0]['file_names'][1] = 'vid_a/00000.png'
    with pytest.raises(YTVISFormatError, match=r'frame 1: its PNG vid_a/00000.png is also'):
        ytvis_to_png_masks(official, str(tmp_path / 'png'))


def test_a_non_empty_folder_is_refused(ytvis, tmp_path):
    (tmp_path / 'png').mkdir()
    (tmp_path / 'png' / 'x').write_text('')
    with pytest.raises(FileExistsError, match='not empty'):
        ytvis_to_png_masks(ytvis.official(), str(tmp_path / 'png'))


@pytest.fixture
def exported(ytvis, tmp_path):
    folder = tmp_path / 'png'
    ytvis_to_png_masks(ytvis.official(), str(folder))
    return folder


def test_missing_png_is_an_error_naming_it(exported):
    (exported / 'vid_a' / '00001.png').unlink()
    with pytest.raises(YTVISFormatError, match=r'vid_a/00001.png: missing \(listed in .*'
                       r'masks.json videos\[0\] \(video_id 1\) png_files\[1\]\)'):
        png_masks_to_ytvis(str(exported))


def test_png_of_wrong_size_is_an_error_naming_it(exported, ytvis):
    cv2.imwrite(str(exported / 'vid_a' / '00001.png'), np.zeros((ytvis.H, 5), np.uint16))
    with pytest.raises(YTVISFormatError, match=r'00001.png: is 24 x 5 \(H x W\); its video '
                       r'is 24 x 32'):
        png_masks_to_ytvis(str(exported))


def test_colour_png_is_an_error(exported, ytvis):
    cv2.imwrite(str(exported / 'vid_a' / '00001.png'), np.zeros((ytvis.H, ytvis.W, 3),
                                                                 np.uint8))
    with pytest.raises(YTVISFormatError, match='single-channel 8- or 16-bit'):
        png_masks_to_ytvis(str(exported))


def test_label_unknown_to_the_index_is_an_error(exported, ytvis):
    labels = np.zeros((ytvis.H, ytvis.W), np.uint16)
    labels[0, 0] = 3
    cv2.imwrite(str(exported / 'vid_a' / '00001.png'), labels)
    with pytest.raises(YTVISFormatError, match=r'00001.png: holds label\(s\) \[3\] that '
                       r'masks.json does not list for video 1 \(its labels: \[1, 2\]'):
        png_masks_to_ytvis(str(exported))


def test_label_of_another_video_is_unknown_in_this_one(exported, ytvis):
    labels = np.ones((ytvis.H, ytvis.W), np.uint8)  # an 8-bit PNG is read too
    cv2.imwrite(str(exported / 'vid_b' / '00000.png'), labels)
    with pytest.raises(YTVISFormatError, match=r'\[1\] that masks.json does not list for '
                       r'video 2 \(its labels: \[\]'):
        png_masks_to_ytvis(str(exported))


@pytest.mark.parametrize('edit, match', [
    (lambda ix: ix.pop('format'), r'masks.json: expected an object with "format"'),
    (lambda ix: ix['tracks'][0].pop('present'), r"tracks\[0\]: missing key\(s\) \['present'\]"),
    (lambda ix: ix['tracks'][1].update(label=1), r'tracks\[1\]: label must be an integer'),
    (lambda ix: ix['tracks'][0].update(present=[True]), r'tracks\[0\]: "present" must be a '
     r'list of 3 booleans'),
    (lambda ix: ix['tracks'][0].update(video_id=5), r'tracks\[0\]: unknown video_id 5'),
    (lambda ix: ix['videos'][0]['png_files'].__setitem__(0, '../x.png'),
     r'videos\[0\] file_names\[0\]'),
])
def test_bad_index_is_an_error_naming_the_entry(exported, edit, match):
    index = json.loads((exported / 'masks.json').read_text())
    edit(index)
    (exported / 'masks.json').write_text(json.dumps(index))
    with pytest.raises(YTVISFormatError, match=match):
        png_masks_to_ytvis(str(exported))


def test_missing_index_is_an_error(tmp_path):
    with pytest.raises(YTVISFormatError, match='masks.json: missing'):
        png_masks_to_ytvis(str(tmp_path))


def test_input_dict_is_not_modified(ytvis, tmp_path):
    official = ytvis.official()
    before = copy.deepcopy(official)
    ytvis_to_png_masks(official, str(tmp_path / 'png'))
    assert official == before
