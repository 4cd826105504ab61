"""tools/analysis_tools/benchmark_model.py: the peers are measured at VMT's input and the
peers table's ratios are the ratios of the measured numbers (no timing thresholds)."""
import importlib.util
import os.path as osp

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'benchmark_model', osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_model.py'))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

TOY_VMT = osp.join(ROOT, 'configs', 'vmt', 'vmt_tiny_r18_1xb2-toy_vis.py')
TOY_M2F = osp.join(ROOT, 'configs', 'mask2former_vis', 'mask2former_tiny-r18_1xb2-300i_toy-vis.py')


class ListQueue(list):
    """Stands in for the multiprocessing queue: the run is in this process."""
    put = list.append


def toy_args():
    # The toy VMT stands in for VMT and (without its refiner) for SeqFormer; the toy
    # Mask2Former-VIS for mmdet's R50.
    return bench.parse_args([
        TOY_VMT, '--frames', '3', '--size', '64', '96', '--threads', '1', '--device', 'cpu',
        '--mask2former-config', TOY_M2F, '--seqformer-config', TOY_VMT, '--seqformer-cfg-options',
        'model.refine_neck=None', 'model.refine_head=None', 'model.test_cfg.refine=False',
        'model.backbone.out_indices=(1,2)'])


def test_peers_option():
    assert toy_args().peers == ['mask2former', 'seqformer']
    assert bench.parse_args([TOY_VMT, '--peers', 'none']).peers == []
    assert bench.MASK2FORMER_R50.endswith('mask2former_r50_8xb2-8e_youtubevis2019.py')
    assert osp.exists(bench.MASK2FORMER_R50)
    assert osp.exists(osp.join(ROOT, bench.SEQFORMER_R50))


@pytest.fixture(scope='module')
def measured():
    args = toy_args()
    threads = torch.get_num_threads()
    queue = ListQueue()
    try:
        bench.run_setting(args, 3, True, queue)
        for peer in args.peers:
            bench.run_peer(args, peer, 3, queue)
    finally:
        torch.set_num_threads(threads)
    return queue


def test_peers_predict_the_same_clip(measured):
    vmt, m2f, seq = measured
    assert (m2f['model'], seq['model']) == ('mask2former', 'seqformer')
    for r in (m2f, seq):
        assert r['T'] == 3 and r['seconds'] > 0 and r['peak'] > 0 and r['mem'] >= 0
    assert vmt['predict'] > 0 and vmt['T'] == 3


def test_mask2former_clip_metainfo():
    """mmdet's Mask2Former-VIS predicts all T frames of the clip at the frame size."""
    args = toy_args()
    model = bench.build_model(args, 'mask2former')
    assert type(model).__module__.startswith('mmdet.')
    video, frames = bench.make_clip(args, 3, model.data_preprocessor.pad_size_divisor)
    assert tuple(video.shape) == (3, 3, 64, 96)
    with torch.no_grad():
        out = bench.predict_clip(model, video, frames)
    preds = out[0].video_data_samples
    assert len(preds) == 3
    assert [p.frame_id for p in preds] == [0, 1, 2]
    assert tuple(preds[0].pred_track_instances.masks.shape[-2:]) == (64, 96)


def test_comparison_table_ratios(measured):
    vmt, m2f, seq = measured
    vmt_row = dict(vmt, peak_full=vmt['peak'])
    rows = bench.comparison_rows([vmt_row], [m2f, seq])
    assert [(r['model'], r['T']) for r in rows] == [('vmt', 3), ('mask2former', 3),
                                                   ('seqformer', 3)]
    for r, src in zip(rows, [dict(seconds=vmt['predict'], peak=vmt['peak']), m2f, seq]):
        assert r['time_ratio'] == pytest.approx(vmt['predict'] / src['seconds'])
        assert r['peak_ratio'] == pytest.approx(vmt['peak'] / src['peak'])
        assert r['per_frame'] == pytest.approx(src['seconds'] / 3)
    lines = bench.format_comparison(rows, 'cpu').splitlines()
    assert len(lines) == 2 + 3
    cells = [line.strip('|').split('|') for line in lines[2:]]
    assert [c[0].strip() for c in cells] == ['vmt', 'mask2former', 'seqformer']
    for c, src in zip(cells, [dict(seconds=vmt['predict'], peak=vmt['peak']), m2f, seq]):
        assert float(c[5]) == pytest.approx(vmt['predict'] / src['seconds'], abs=0.006)
        assert float(c[6]) == pytest.approx(vmt['peak'] / src['peak'], abs=0.006)
    assert float(cells[0][5]) == 1.0
