"""tools/analysis_tools/eval_correction.py on a hand-made one-frame dataset."""
import hashlib
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmvmt.structures import YTVISFormatError, encode_mask

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'eval_correction', osp.join(ROOT, 'tools', 'analysis_tools', 'eval_correction.py'))
eval_correction = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_correction)


def annotation(segmentation, ann_id=1):
    return dict(videos=[dict(id=1, height=10, width=10, file_names=['a/0.jpg'])],
                categories=[dict(id=1, name='thing')],
                annotations=[dict(id=ann_id, video_id=1, category_id=1, iscrowd=0,
                                  segmentations=[segmentation], areas=[16])])


def square(col):
    mask = np.zeros((10, 10), np.uint8)
    mask[2:6, col:col + 4] = 1
    return mask


def test_a_shifted_candidate_scores_its_hand_computed_iou():
    exact = annotation(encode_mask(square(2)))
    same = eval_correction.evaluate_candidate(exact, annotation(encode_mask(square(2))))
    assert same['frame_iou'] == 1 and same['ap_mask'] == pytest.approx(1)
    # One column off: 12 shared pixels of 20 -> IoU 0.6, below every AP threshold but 0.5.
    shifted = eval_correction.evaluate_candidate(exact, annotation(encode_mask(square(3))))
    assert shifted['frame_iou'] == pytest.approx(12 / 20)
    assert 0 < shifted['ap_mask'] < 1


def test_polygon_candidates_are_scored_as_masks():
    exact = annotation(encode_mask(square(2)))
    polygon = [[2, 2, 6, 2, 6, 6, 2, 6]]  # annotations may hold polygons, results may not
    row = eval_correction.evaluate_candidate(exact, annotation(polygon))
    assert 0.5 < row['frame_iou'] <= 1 and row['ap_mask'] > 0


def test_other_tracks_are_named():
    exact = annotation(encode_mask(square(2)))
    with pytest.raises(YTVISFormatError, match=r'cand\.json: annotations: .*missing \[1\]'):
        eval_correction.evaluate_candidate(exact, annotation(encode_mask(square(2)), 7),
                                           'cand.json')


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize('out, message', [
    ('{exact}', '--out {exact}: this is the input file {exact}; refusing to overwrite'),
    ('{cand}', '--out {cand}: this is the input file {cand}'),
    ('{folder}/table.json', '--out {folder}/table.json: lies inside {folder}, the annotation '
     'folder of an input dataset')])
def test_out_onto_an_input_or_into_its_folder_is_refused_before_any_work(tmp_path, capsys,
                                                                          out, message):
    folder = tmp_path / 'annotations'
    folder.mkdir()
    exact, cand = folder / 'exact.json', tmp_path / 'coarse.json'
    exact.write_text(json.dumps(annotation(encode_mask(square(2)))))
    cand.write_text(json.dumps(annotation(encode_mask(square(3)))))
    before = sha256(exact), sha256(cand)
    names = dict(exact=exact, cand=cand, folder=folder)
    with pytest.raises(SystemExit) as info:
        eval_correction.main([str(exact), str(cand), '--out', out.format(**names)])
    err = capsys.readouterr()
    assert info.value.code == 2 and message.format(**names) in err.err, err.err
    assert '|' not in err.out  # no table: refused before the evaluation
    assert (sha256(exact), sha256(cand)) == before and sorted(os.listdir(folder)) == [
        'exact.json']

