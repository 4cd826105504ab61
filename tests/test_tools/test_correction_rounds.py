"""tools/analysis_tools/correction_rounds.py (Table 3 protocol) on hand-made data."""
import importlib.util
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from mmvmt.structures import encode_mask

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
spec = importlib.util.spec_from_file_location(
    'correction_rounds', osp.join(ROOT, 'tools', 'analysis_tools', 'correction_rounds.py'))
correction_rounds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(correction_rounds)

H = W = 12


def box(r0, r1, c0, c1):
    m = np.zeros((H, W), bool)
    m[r0:r1, c0:c1] = True
    return m


def annotation(tracks):
    """tracks: {ann_id: (video_id, [mask or None per frame])}, two frames per video."""
    videos = sorted({v for v, _ in tracks.values()})
    return dict(
        videos=[dict(id=v, height=H, width=W, length=2,
                     file_names=[f'v{v}/{t}.jpg' for t in range(2)]) for v in videos],
        categories=[dict(id=1, name='thing')],
        annotations=[dict(id=i, video_id=v, category_id=1, iscrowd=0,
                          segmentations=[None if m is None else encode_mask(m) for m in ms],
                          areas=[None if m is None else int(m.sum()) for m in ms])
                     for i, (v, ms) in tracks.items()])


def test_tube_iou_by_hand():
    a = [box(0, 2, 0, 2), None]
    b = [box(0, 2, 0, 1), box(0, 1, 0, 1)]
    # intersection 2; union 4 (frame 0) + 1 (frame 1, one side only)
    assert correction_rounds.tube_iou(a, b) == pytest.approx(2 / 5)
    assert correction_rounds.tube_iou([None], [None]) == 0


def test_base_results_are_matched_to_tracks_by_tube_iou_one_each():
    exact = annotation({1: (1, [box(0, 4, 0, 4), box(0, 4, 0, 4)]),
                        2: (1, [box(6, 10, 6, 10), None])})
    far = [encode_mask(box(6, 10, 6, 10)), None]
    near = [encode_mask(box(0, 4, 0, 3)), encode_mask(box(0, 4, 0, 4))]
    results = [dict(video_id=1, category_id=2, score=0.9, segmentations=far),
               dict(video_id=1, category_id=3, score=0.1, segmentations=near)]
    base = correction_rounds.results_as_annotations(exact, results, 'r.json')
    by_id = {a['id']: a for a in base['annotations']}
    assert by_id[1]['segmentations'] == near  # best tube IoU, whatever class or score
    assert by_id[2]['segmentations'][0] == far[0] and by_id[2]['segmentations'][1] is None
    assert by_id[1]['category_id'] == 1  # the GT class stays


def test_a_track_without_an_overlapping_result_gets_empty_masks():
    exact = annotation({1: (1, [box(0, 4, 0, 4), None])})
    results = [dict(video_id=1, category_id=1, score=1.,
                    segmentations=[encode_mask(box(8, 10, 8, 10)), None])]
    base = correction_rounds.results_as_annotations(exact, results, 'r.json')
    seg = base['annotations'][0]['segmentations']
    assert seg[1] is None
    from pycocotools import mask as mask_utils
    assert mask_utils.decode(seg[0]).sum() == 0


def test_a_result_of_an_unknown_video_is_an_error():
    exact = annotation({1: (1, [box(0, 4, 0, 4), None])})
    with pytest.raises(ValueError, match='video_id 7'):
        correction_rounds.results_as_annotations(
            exact, [dict(video_id=7, category_id=1, score=1., segmentations=[None, None])],
            'r.json')


def test_rounds_table_figure_and_erosion_rows(tmp_path, capsys):
    body = box(2, 10, 2, 8)
    leg = body.copy()
    leg[5, 8:12] = True  # a 1-px leg: thin part of the exact mask
    exact = annotation({1: (1, [leg, leg])})
    halo = cv2.dilate(body.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    coarse = annotation({1: (1, [halo, halo])})
    round1 = annotation({1: (1, [leg, body])})
    paths = {}
    for name, content in dict(exact=exact, coarse=coarse).items():
        paths[name] = tmp_path / f'{name}.json'
        paths[name].write_text(json.dumps(content))
    val = tmp_path / 'w' / 'self_correction' / 'round_1' / 'val'
    val.mkdir(parents=True)
    (val / 'coarse.json').write_text(json.dumps(round1))
    (val / 'coarse.provenance.json').write_text('{}')
    frames = tmp_path / 'frames' / 'v1'
    frames.mkdir(parents=True)
    for t in range(2):
        cv2.imwrite(str(frames / f'{t}.jpg'), np.full((H, W, 3), 128, np.uint8))
    assert correction_rounds.round_files(str(tmp_path / 'w')) == {1: str(val / 'coarse.json')}
    out, png = tmp_path / 'table.json', tmp_path / 'fig.png'
    assert correction_rounds.main([
        '--exact', str(paths['exact']), '--coarse', str(paths['coarse']), '--work-dir',
        str(tmp_path / 'w'), '--erode', '1', '--out', str(out), '--figure', str(png),
        '--img-root', str(tmp_path / 'frames')]) == 0
    rows = json.loads(out.read_text())
    assert list(rows) == ['coarse', 'round 1', 'coarse eroded 1 px']
    # round 1 is exact in frame 0: its boundary IoU beats the coarse halo's
    assert rows['round 1']['boundary_iou'] > rows['coarse']['boundary_iou']
    assert '| round 1 |' in capsys.readouterr().out
    figure = cv2.imread(str(png))
    assert figure is not None and figure.shape[1] > 3 * figure.shape[0] / 2  # 3 panels in a row


def test_missing_rounds_are_an_error(tmp_path, capsys):
    assert correction_rounds.main(['--exact', 'e.json', '--coarse', 'c.json', '--work-dir',
                                   str(tmp_path)]) == 1
    assert 'no corrected validation files' in capsys.readouterr().err


@pytest.mark.parametrize('option', ['--out', '--corrected-out', '--figure'])
def test_an_output_onto_an_input_is_refused_before_any_work(tmp_path, option, capsys):
    exact = tmp_path / 'annotations' / 'exact.json'
    exact.parent.mkdir()
    exact.write_text(json.dumps(annotation({1: (1, [box(2, 6, 2, 6), None])})))
    coarse = tmp_path / 'coarse.json'
    coarse.write_text(exact.read_text())
    before = {p: p.read_bytes() for p in (exact, coarse)}
    target = coarse if option != '--figure' else exact
    argv = ['--exact', str(exact), '--coarse', str(coarse), option, str(target)]
    assert correction_rounds.main(argv) == 2
    assert option in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (exact, coarse)} == before


def disc_dataset(tmp_path, write_frames=True):
    """One video of two 48 x 64 frames: a disc on a flat background, its coarse mask grown by
    3 px (the frames go to ``tmp_path/frames``)."""
    yy, xx = np.mgrid[0:48, 0:64]
    disc = (yy - 24) ** 2 + (xx - 30) ** 2 <= 12 ** 2
    halo = cv2.dilate(disc.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    paths = {}
    for name, mask in dict(exact=disc, coarse=halo).items():
        content = dict(
            videos=[dict(id=1, height=48, width=64, length=2, file_names=['v1/0.png', 'v1/1.png'])],
            categories=[dict(id=1, name='thing')],
            annotations=[dict(id=1, video_id=1, category_id=1, iscrowd=0,
                              segmentations=[encode_mask(mask), None], areas=[int(mask.sum()),
                                                                             None])])
        paths[name] = tmp_path / f'{name}.json'
        paths[name].write_text(json.dumps(content))
    if write_frames:
        (tmp_path / 'frames' / 'v1').mkdir(parents=True)
        image = np.full((48, 64, 3), (40, 120, 60), np.uint8)
        image[disc] = (200, 90, 180)
        for t in range(2):
            cv2.imwrite(str(tmp_path / 'frames' / 'v1' / f'{t}.png'), image)
    return paths


def test_grabcut_row_with_its_settings_and_a_time_per_mask_for_every_corrector(tmp_path, capsys):
    paths = disc_dataset(tmp_path)
    out = tmp_path / 'table.json'
    assert correction_rounds.main([
        '--exact', str(paths['exact']), '--coarse', str(paths['coarse']), '--erode', '1',
        '--grabcut', '--img-root', str(tmp_path / 'frames'), '--out', str(out)]) == 0
    rows = json.loads(out.read_text())
    grabcut = next(name for name in rows if name.startswith('GrabCut from coarse'))
    assert 'eroded 6 px' in grabcut and '4 px ring' in grabcut and '3 it' in grabcut
    assert list(rows) == ['coarse', 'coarse eroded 1 px', grabcut]
    # on a flat disc GrabCut finds the exact mask; the 3-px halo and its erosion do not
    assert rows[grabcut]['frame_iou'] == pytest.approx(1.0)
    assert rows['coarse']['frame_iou'] < rows['coarse eroded 1 px']['frame_iou'] < 1
    assert 'ms_per_mask' not in rows['coarse']
    assert rows['coarse eroded 1 px']['ms_per_mask'] > 0 and rows[grabcut]['ms_per_mask'] > 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].endswith('| ms / mask |')
    assert table[2].startswith('| coarse |') and table[2].endswith('| - |')
    assert table[4].startswith(f'| {grabcut} |') and not table[4].endswith('| - |')


def test_grabcut_needs_the_frames(tmp_path, capsys):
    paths = disc_dataset(tmp_path, write_frames=False)
    argv = ['--exact', str(paths['exact']), '--coarse', str(paths['coarse']), '--grabcut']
    assert correction_rounds.main(argv) == 2
    assert '--grabcut needs --img-root' in capsys.readouterr().err
    assert correction_rounds.main(argv + ['--img-root', str(tmp_path / 'frames')]) == 1
    err = capsys.readouterr().err
    assert 'annotation 1 frame 0' in err and 'v1/0.png' in err
