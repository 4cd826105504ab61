"""tools/dataset_converters/hq_ytvis_coarse.py: the YouTube-VIS annotations of a split."""
import copy
import importlib.util
import json
import os.path as osp

import pytest

from mmvmt.structures import YTVISFormatError
from mmvmt.utils.output_paths import OutputPathError

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
                'hq_ytvis_coarse.py')
spec = importlib.util.spec_from_file_location('hq_ytvis_coarse', TOOL)
hq_ytvis_coarse = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hq_ytvis_coarse)


def ytvis_train(n=6):
    """n videos of 2 frames; video i has i % 3 tracks with 'coarse' masks."""
    videos = [dict(id=10 + i, height=4, width=6, length=2,
                   file_names=[f'vid{i}/00000.jpg', f'vid{i}/00005.jpg']) for i in range(n)]
    anns = [dict(id=1000 + 10 * i + j, video_id=10 + i, category_id=1, iscrowd=0,
                 segmentations=[f'coarse {i}.{j}', None], areas=[1, None], bboxes=[[0] * 4, None])
            for i in range(n) for j in range(i % 3)]
    return dict(info={'year': 2019}, licenses=[], videos=videos, annotations=anns,
                categories=[dict(id=1, name='person')])


def hq_split(ytvis, indices):
    """An HQ-YTVIS-like split: other video ids, refined masks, other annotation ids."""
    videos = [dict(copy.deepcopy(ytvis['videos'][i]), id=500 + i) for i in indices]
    anns = [dict(id=9000 + k, video_id=500 + i, category_id=1,
                 segmentations=['refined'] * 2) for k, i in enumerate(indices)]
    return dict(videos=videos, annotations=anns, categories=ytvis['categories'])


def test_the_split_videos_with_their_original_tracks():
    ytvis = ytvis_train()
    out = hq_ytvis_coarse.coarse_split(ytvis, hq_split(ytvis, [4, 1, 2]))
    assert [v['id'] for v in out['videos']] == [504, 501, 502]
    # YouTube-VIS order, ids and masks; video ids those of HQ-YTVIS.
    assert [(a['id'], a['video_id'], a['segmentations'][0]) for a in out['annotations']] == [
        (1010, 501, 'coarse 1.0'), (1020, 502, 'coarse 2.0'), (1021, 502, 'coarse 2.1'),
        (1040, 504, 'coarse 4.0')]
    assert out['categories'] == ytvis['categories'] and out['info'] == ytvis['info']
    assert ytvis == ytvis_train()  # the input is not modified


def test_a_video_missing_or_with_other_frames_is_an_error():
    ytvis = ytvis_train()
    hq = hq_split(ytvis, [0, 1])
    hq['videos'][1]['file_names'][1] = 'vid1/00010.jpg'
    with pytest.raises(YTVISFormatError, match=r'hq: videos\[1\] \(id 501\): .* they differ'):
        hq_ytvis_coarse.coarse_split(ytvis, hq, 'ytvis', 'hq')
    hq['videos'][1]['file_names'] = ['other/00000.jpg']
    with pytest.raises(YTVISFormatError, match="folder 'other'; there is none"):
        hq_ytvis_coarse.coarse_split(ytvis, hq, 'ytvis', 'hq')


def test_cli_writes_train_and_val_and_keeps_existing_files(tmp_path):
    ytvis = ytvis_train(8)
    (tmp_path / 'ytvis').mkdir()
    (tmp_path / 'hq').mkdir()
    (tmp_path / 'ytvis/train.json').write_text(json.dumps(ytvis))
    for split, idx in (('train', [0, 1, 2, 3, 4, 5]), ('val', [6]), ('test', [7])):
        (tmp_path / f'hq/ytvis_hq-{split}.json').write_text(json.dumps(hq_split(ytvis, idx)))
    args = [str(tmp_path / 'ytvis/train.json'), str(tmp_path / 'hq'), str(tmp_path / 'out')]
    hq_ytvis_coarse.main(args)
    out = {s: json.loads((tmp_path / f'out/ytvis_hq-{s}_coarse.json').read_text())
           for s in ('train', 'val')}
    assert [len(out[s]['videos']) for s in ('train', 'val')] == [6, 1]
    assert not (tmp_path / 'out/ytvis_hq-test_coarse.json').exists()
    with pytest.raises(SystemExit, match='exists; it is kept'):
        hq_ytvis_coarse.main(args)
    with pytest.raises(OutputPathError, match='annotation folder of an input'):
        hq_ytvis_coarse.main(args[:2] + [str(tmp_path / 'hq')])


@pytest.mark.parametrize('break_it, message', [
    (lambda y, h: [y], r'^ytvis: a YouTube-VIS file is a JSON object with "videos", got list$'),
    (lambda y, h: (y, [h]), r'^hq: a YouTube-VIS file is a JSON object'),
    (lambda y, h: (dict(y, annotations={}), h), r'^ytvis: annotations: must be a list, got dict'),
    (lambda y, h: (dict(y, videos=y['videos'] + [7]), h),
     r'^ytvis: videos\[6\]: a JSON object with "id", got 7$'),
    (lambda y, h: (dict(y, annotations=y['annotations'] + [dict(id=1)]), h),
     r'^ytvis: annotations\[6\]: a JSON object with "video_id"'),
    (lambda y, h: ({k: v for k, v in y.items() if k != 'videos'}, h),
     r'^ytvis: missing required key "videos"$'),
])
def test_a_file_of_another_layout_is_named_not_a_traceback(break_it, message):
    ytvis = ytvis_train()
    hq = hq_split(ytvis, [0, 1])
    broken = break_it(ytvis, hq)
    ytvis, hq = broken if isinstance(broken, tuple) else (broken, hq)
    with pytest.raises(YTVISFormatError, match=message):
        hq_ytvis_coarse.coarse_split(ytvis, hq, 'ytvis', 'hq')


def test_cli_refuses_a_json_list_in_one_line_and_writes_nothing(tmp_path):
    (tmp_path / 'hq').mkdir()
    (tmp_path / 'ytvis').mkdir()
    (tmp_path / 'ytvis/train.json').write_text('[]')
    (tmp_path / 'hq/ytvis_hq-train.json').write_text(json.dumps(hq_split(ytvis_train(), [0])))
    with pytest.raises(SystemExit, match=r'^hq_ytvis_coarse: .*train\.json: a YouTube-VIS '
                       'file is a JSON object'):
        hq_ytvis_coarse.main([str(tmp_path / 'ytvis/train.json'), str(tmp_path / 'hq'),
                              str(tmp_path / 'out'), '--splits', 'train'])
    assert not (tmp_path / 'out').exists()
