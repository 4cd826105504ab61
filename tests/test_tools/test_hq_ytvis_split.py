import importlib.util
import json
import os.path as osp

import pytest

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
                'hq_ytvis_split.py')
spec = importlib.util.spec_from_file_location('hq_ytvis_split', TOOL)
hq_ytvis_split = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hq_ytvis_split)


def fake_train(n):
    return dict(info={'year': 2019}, categories=[dict(id=1, name='person')],
                videos=[dict(id=100 + i, height=4, width=6, file_names=[f'v{i}/0.jpg'])
                        for i in range(n)],
                annotations=[dict(id=5000 + i, video_id=100 + i, category_id=1,
                                  segmentations=[None]) for i in range(n)])


def test_paper_sizes_disjoint_and_ids_kept():
    parts = hq_ytvis_split.split_ytvis(fake_train(2238), seed=0)
    sizes = [len(parts[s]['videos']) for s in ('train', 'val', 'test')]
    assert sizes == [1678, 280, 280]
    ids = [v['id'] for s in parts.values() for v in s['videos']]
    assert sorted(ids) == list(range(100, 2338))
    for part in parts.values():
        vids = {v['id'] for v in part['videos']}
        assert all(a['video_id'] in vids and a['id'] == a['video_id'] + 4900
                   for a in part['annotations'])
        assert part['categories'] == [dict(id=1, name='person')] and part['info']


def test_same_seed_same_split_other_seed_other_split():
    a = hq_ytvis_split.split_ytvis(fake_train(40), seed=3)
    b = hq_ytvis_split.split_ytvis(fake_train(40), seed=3)
    c = hq_ytvis_split.split_ytvis(fake_train(40), seed=4)
    assert a == b and a != c
    with pytest.raises(ValueError, match='fractions'):
        hq_ytvis_split.split_ytvis(fake_train(4), fractions=(0.5, 0.5, 0.5))


def test_cli_writes_three_files_and_never_overwrites(tmp_path):
    (tmp_path / 'ytvis').mkdir()
    src = tmp_path / 'ytvis' / 'train.json'
    src.write_text(json.dumps(fake_train(16)))
    before = src.read_text()
    hq_ytvis_split.main([str(src), str(tmp_path / 'hq'), '--seed', '1'])
    out = {s: json.loads((tmp_path / 'hq' / f'ytvis_hq-{s}.json').read_text())
           for s in ('train', 'val', 'test')}
    assert [len(out[s]['videos']) for s in ('train', 'val', 'test')] == [12, 2, 2]
    assert src.read_text() == before
    with pytest.raises(SystemExit, match='exists'):
        hq_ytvis_split.main([str(src), str(tmp_path / 'hq')])
    hq_ytvis_split.main([str(src), str(tmp_path / 'hq'), '--overwrite', '--seed', '1'])
    inplace = tmp_path / 'ytvis' / 'ytvis_hq-train.json'
    inplace.write_text(before)
    with pytest.raises(SystemExit, match='this is the input file'):
        hq_ytvis_split.main([str(inplace), str(tmp_path / 'ytvis'), '--overwrite'])
    with pytest.raises(SystemExit, match='the annotation folder of an input dataset'):
        hq_ytvis_split.main([str(inplace), str(tmp_path / 'ytvis' / 'hq'), '--overwrite'])
    assert inplace.read_text() == before and not (tmp_path / 'ytvis' / 'hq').exists()


def test_cli_checks_the_input_before_writing(tmp_path):
    (tmp_path / 'ytvis').mkdir()
    src = tmp_path / 'ytvis' / 'train.json'
    bad = fake_train(4)
    bad['annotations'][2]['video_id'] = 7
    src.write_text(json.dumps(bad))
    with pytest.raises(SystemExit, match=r'annotations\[2\] \(id 5002\): unknown video_id 7'):
        hq_ytvis_split.main([str(src), str(tmp_path / 'hq')])
    assert not (tmp_path / 'hq').exists()
