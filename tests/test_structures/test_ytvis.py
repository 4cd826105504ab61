import copy
import json
import re

import numpy as np
import pytest
from plain_tube_ap import plain_evaluate
from ytvis_fakes import encode

from mmvmt.evaluation.functional import evaluate_tube_ap, video_tasks
from mmvmt.structures import (YTVISFormatError, load_json, read_ytvis_annotations,
                              read_ytvis_results, ytvis_to_cocovid)


def dataset():
    m = np.zeros((6, 8), np.uint8)
    m[1:4, 2:6] = 1
    gt = dict(videos=[dict(id=1, height=6, width=8, length=2),
                      dict(id=2, height=6, width=8, file_names=['a', 'b', 'c'])],
              categories=[dict(id=3, name='cat'), dict(id=1, name='dog')],
              annotations=[dict(id=5, video_id=1, category_id=3, iscrowd=0, areas=[12, None],
                                segmentations=[encode(m, 'compressed'), None]),
                           dict(id=6, video_id=2, category_id=1, areas=[12, 12, 12],
                                segmentations=[[[1, 1, 5, 1, 5, 4]]] * 3)])
    results = [dict(video_id=1, category_id=3, score=0.5,
                    segmentations=[encode(m, 'uncompressed'), None]),
               dict(video_id=2, category_id=1, score=1,
                    segmentations=[None, encode(m, 'compressed'), None])]
    return gt, results


def test_reading_and_tasks():
    gt, results = dataset()
    index = read_ytvis_annotations(gt)
    assert [c['id'] for c in index.categories] == [3, 1]  # file order
    assert index.videos[2].length == 3 and index.videos[2].file_names == ['a', 'b', 'c']
    assert index.tracks_by_video()[2][0].iscrowd is False  # iscrowd is optional
    assert index.tracks[0].areas == [12.0, None] and index.tracks[1].bboxes is None
    tasks = video_tasks(index, read_ytvis_results(results, index))
    assert [t['video_id'] for t in tasks] == [1, 2]
    assert len(tasks[0]['results']) == 1 and tasks[1]['results'][0].score == 1.0


def test_files_are_read_and_named_in_errors(tmp_path):
    gt, results = dataset()
    results[1]['score'] = float('nan')
    gt_file, res_file = tmp_path / 'gt.json', tmp_path / 'res.json'
    gt_file.write_text(json.dumps(gt))
    res_file.write_text(json.dumps(results).replace('NaN', 'NaN'))
    with pytest.raises(YTVISFormatError, match=re.escape(f'{res_file}: entry 1: score')):
        evaluate_tube_ap(str(gt_file), str(res_file))
    res_file.write_text('[{"video_id": 1,')
    with pytest.raises(YTVISFormatError, match='not a valid JSON file'):
        evaluate_tube_ap(str(gt_file), str(res_file))


def result_error(change, message):
    gt, results = dataset()
    change(results)
    with pytest.raises(YTVISFormatError, match=message):
        evaluate_tube_ap(gt, results, results_source='res.json')


def gt_error(change, message):
    gt, results = dataset()
    change(gt)
    with pytest.raises(YTVISFormatError, match=message):
        evaluate_tube_ap(gt, results, gt_source='gt.json')


def setitem(entry, key, value):
    entry[key] = value


@pytest.mark.parametrize('change, message', [
    (lambda r: setitem(r[1], 'video_id', 9), r'res.json: entry 1: unknown video_id 9'),
    (lambda r: setitem(r[1], 'video_id', '2'), r"res.json: entry 1: unknown video_id '2'"),
    (lambda r: setitem(r[0], 'category_id', 2), r'res.json: entry 0: unknown category_id 2'),
    (lambda r: r[1]['segmentations'].pop(), r'entry 1: "segmentations" has 2 entries but '
     r'video 2 has 3 frames'),
    (lambda r: setitem(r[0]['segmentations'][0], 'size', [8, 6]),
     r'res.json: entry 0 segmentations\[0\]: RLE size \[8, 6\] differs from the video size'),
    (lambda r: setitem(r[1]['segmentations'][1], 'counts', 'garbage!'),
     r'entry 1 segmentations\[1\]: malformed RLE'),
    (lambda r: setitem(r[1]['segmentations'][1], 'counts', '1'),
     r'entry 1 segmentations\[1\]: malformed RLE: the run lengths add up to 1 pixels'),
    (lambda r: setitem(r[0], 'score', float('nan')), r'entry 0: score must be a finite number'),
    (lambda r: setitem(r[0], 'score', 10 ** 400), r'entry 0: score must be a finite number'),
    (lambda r: setitem(r[0], 'score', '0.9'), r'entry 0: score must be a finite number'),
    (lambda r: setitem(r[0], 'score', True), r'entry 0: score must be a finite number'),
    (lambda r: r[0].pop('score'), r"entry 0: missing required key\(s\) \['score'\]"),
    (lambda r: r.append(5), r'entry 2: expected a JSON object, got int'),
    (lambda r: setitem(r[1], 'segmentations', [None, [[1, 1, 5, 1, 5, 4]], None]),
     r'entry 1 segmentations\[1\]: must be an RLE dict or null, got list'),
    (lambda r: setitem(r[1], 'category_id', 2 ** 64),
     r'entry 1: unknown category_id 18446744073709551616; the annotations define \[1, 3\]'),
    (lambda r: setitem(r[1]['segmentations'][1], 'counts', '\\PPPPP0'),  # 12, in 7 chars
     r'entry 1 segmentations\[1\]: malformed RLE: count 0 of "counts" takes 7 characters'),
])
def test_bad_results(change, message):
    result_error(change, message)


@pytest.mark.parametrize('change, message', [
    (lambda g: setitem(g['annotations'][1], 'id', 5),
     r'gt.json: annotations\[1\] \(id 5\): duplicate annotation id \(also annotations\[0\]\)'),
    (lambda g: setitem(g['annotations'][1], 'id', 5.5),
     r'gt.json: annotations\[1\]: id must be an integer, got 5.5'),
    (lambda g: setitem(g['annotations'][0], 'video_id', 7),
     r'annotations\[0\] \(id 5\): unknown video_id 7'),
    (lambda g: setitem(g['annotations'][0], 'category_id', 7),
     r'annotations\[0\] \(id 5\): unknown category_id 7; the annotations define \[1, 3\]'),
    (lambda g: g['annotations'][0]['areas'].pop(),
     r'annotations\[0\] \(id 5\): "areas" has 1 entries but video 1 has 2 frames'),
    (lambda g: setitem(g['annotations'][0]['areas'], 0, 'x'),
     r'annotations\[0\] \(id 5\) areas\[0\]: must be a finite, non-negative number'),
    (lambda g: setitem(g['annotations'][0]['areas'], 0, float('inf')), r'areas\[0\]: must be'),
    (lambda g: setitem(g['annotations'][0], 'bboxes', [[0, 0, 1], None]),
     r'annotations\[0\] \(id 5\) bboxes\[0\]: must be \[x, y, w, h\]'),
    (lambda g: setitem(g['annotations'][0], 'iscrowd', 2), r'iscrowd must be 0 or 1, got 2'),
    (lambda g: setitem(g['annotations'][0], 'height', 7), r'height 7 differs from the height 6'),
    (lambda g: setitem(g['annotations'][1]['segmentations'], 2, [[1, 2, 3]]),
     r'annotations\[1\] \(id 6\) segmentations\[2\]: polygon 0 has an odd number'),
    (lambda g: setitem(g['annotations'][1]['segmentations'], 2, 'polygon'),
     r'annotations\[1\] \(id 6\) segmentations\[2\]: must be polygons, an RLE dict or null'),
    (lambda g: setitem(g['annotations'][0]['segmentations'][0], 'size', [6, 9]),
     r'annotations\[0\] \(id 5\) segmentations\[0\]: RLE size'),
    (lambda g: g['annotations'][0].pop('segmentations'),
     r"annotations\[0\] \(id 5\): has none of the mask keys \['segmentations_refined', "
     r"'segmentations'\]"),
    (lambda g: setitem(g['videos'][1], 'id', 1), r'videos\[1\] \(id 1\): duplicate video id'),
    (lambda g: g['videos'][1].pop('file_names'), r'videos\[1\] \(id 2\): needs "length" or '
     r'"file_names"'),
    (lambda g: setitem(g['videos'][0], 'height', 0),
     r'videos\[0\] \(id 1\): height must be in \[1, 32768\], got 0'),
    (lambda g: setitem(g['videos'][0], 'width', 1e9), r'width must be in \[1, 32768\]'),
    (lambda g: setitem(g['videos'][0], 'height', float('nan')), r'height must be an integer'),
    (lambda g: setitem(g['videos'][0], 'file_names', ['x']),
     r'"length" is 2 but "file_names" has 1 entries'),
    (lambda g: setitem(g['videos'][1], 'file_names', ['a', 7, 'c']),
     r'videos\[1\] \(id 2\) file_names\[1\]: must be a non-empty string, got 7'),
    (lambda g: setitem(g['videos'][1], 'file_names', ['a', 'b\0', 'c']),
     r'videos\[1\] \(id 2\) file_names\[1\]: \'b\\x00\' holds a NUL character'),
    (lambda g: setitem(g['videos'][1], 'file_names', 'abc'),
     r'videos\[1\] \(id 2\): "file_names" must be a list of frame paths, got str'),
    (lambda g: g['videos'][0].update(height=32768, width=32768),
     r'videos\[0\] \(id 1\): frames of 32768 x 32768 = 1073741824 pixels; at most 16777216'),
    (lambda g: g['videos'][0].update(height=4097, width=4096), r'at most 16777216'),
    (lambda g: setitem(g['categories'][1], 'id', 2 ** 64),
     r'categories\[1\]: id must be in \[-9223372036854775808, 9223372036854775807\], got '
     r'18446744073709551616'),
    (lambda g: setitem(g['videos'][1], 'id', -2 ** 63 - 1), r'videos\[1\]: id must be in'),
    (lambda g: setitem(g['annotations'][1], 'id', 1e30), r'annotations\[1\]: id must be in'),
    (lambda g: setitem(g['categories'][1], 'name', 'cat'),
     r"categories\[1\] \(id 1\): duplicate category name 'cat' \(also categories\[0\] "
     r"\(id 3\)\); expected one name per category"),
    (lambda g: (g['categories'][0].pop('name'), setitem(g['categories'][1], 'name', '3')),
     r"categories\[1\] \(id 1\): duplicate category name '3'"),
    (lambda g: setitem(g['videos'][0], 'length', 0),
     r'videos\[0\] \(id 1\): has no frames; a video needs at least one'),
    (lambda g: setitem(g['categories'][1], 'id', 3),
     r'categories\[1\] \(id 3\): duplicate category id'),
    (lambda g: setitem(g['categories'][1], 'name', ['dog']), r'name must be a string'),
    (lambda g: g.pop('videos'), r'gt.json: videos: must be a list, got null'),
    (lambda g: g.pop('categories'), r'gt.json: categories: missing \(or empty\)'),
    (lambda g: setitem(g, 'annotations', {}), r'gt.json: annotations: must be a list, got dict'),
])
def test_bad_ground_truth(change, message):
    gt_error(change, message)


@pytest.mark.parametrize('text', [b'{"videos": [', b'\xff\xfe{}', b'[' * 100000,
                                  b'{"videos": [{"id": 1' + b'1' * 5000 + b'}]}'])
def test_unreadable_json_is_the_format_error(tmp_path, text):
    path = tmp_path / 'gt.json'
    path.write_bytes(text)
    with pytest.raises(YTVISFormatError, match=re.escape(f'{path}: not a valid JSON file')):
        read_ytvis_annotations(str(path))


@pytest.mark.parametrize('text, kind', [(b'"other.json"', 'str'), (b'7', 'int'),
                                        (b'null', 'null')])
def test_json_that_is_no_object_or_list_is_refused(tmp_path, text, kind):
    path = tmp_path / 'gt.json'
    path.write_bytes(text)
    with pytest.raises(YTVISFormatError, match=f'gt.json: expected a JSON object or list, '
                       f'got {kind}'):
        load_json(str(path))
    with pytest.raises(YTVISFormatError, match='expected a JSON object or list'):
        read_ytvis_annotations(str(path))
    # Loaded content is never taken for a path by the conversion.
    with pytest.raises(YTVISFormatError, match='gt.json: expected a JSON object with'):
        ytvis_to_cocovid('other.json', 'gt.json')


def test_ground_truth_without_areas_uses_its_mask_areas():
    gt, results = dataset()
    for ann in gt['annotations']:  # the file's areas say "large"; the 12-pixel masks "small"
        ann['areas'] = [None if a is None else 90000.0 for a in ann['areas']]
    stats = evaluate_tube_ap(gt, results)['segm']['stats']
    assert stats['APl'] >= 0 and stats['APs'] == -1
    for ann in gt['annotations']:
        del ann['areas']
    assert read_ytvis_annotations(gt).tracks[0].areas is None
    stats = evaluate_tube_ap(gt, results)['segm']['stats']
    assert stats['APs'] >= 0 and stats['APl'] == -1


def test_valid_inputs_in_every_format_evaluate():
    gt, results = dataset()
    out = evaluate_tube_ap(copy.deepcopy(gt), results)
    # category 3: a perfect result; category 1: a polygon GT the result misses
    assert out['segm']['stats']['AP'] == pytest.approx(0.5, abs=1e-9)
    for iou_type in ('boundary', 'segm'):
        np.testing.assert_allclose(list(out[iou_type]['stats'].values()),
                                   plain_evaluate(gt, results, iou_type), atol=1e-9)
