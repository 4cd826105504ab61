import os

import pytest

from mmvmt.utils.output_paths import (OutputPathError, annotation_folders, check_output_path,
                                      config_annotation_paths, config_image_folders)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'data' / 'annotations').mkdir(parents=True)
    gt = tmp_path / 'data' / 'annotations' / 'val.json'
    gt.write_text('{}')
    res = tmp_path / 'res.json'
    res.write_text('[]')
    return tmp_path, str(gt), str(res)


def test_fresh_paths_pass_and_are_resolved(tree):
    root, gt, res = tree
    out = root / 'work' / 'deep' / 'metrics.json'
    assert check_output_path(str(out), inputs=[gt, res]) == os.path.realpath(out)
    assert check_output_path(str(root / 'vis'), inputs=[gt], is_dir=True)
    (root / 'old.json').write_text('{}')  # an earlier output may be replaced
    check_output_path(str(root / 'old.json'), inputs=[gt, res])
    check_output_path(str(root), inputs=[gt], is_dir=True)


def test_an_input_is_refused_by_name_link_and_hard_link(tree):
    root, gt, res = tree
    for same in (gt, str(root / 'data' / 'annotations' / '..' / 'annotations' / 'val.json')):
        with pytest.raises(OutputPathError, match='--out .*is the input file'):
            check_output_path(same, inputs=[res, gt], option='--out')
    (root / 'link.json').symlink_to(res)
    (root / 'linkdir').symlink_to(root / 'data')
    os.link(res, root / 'hard.json')
    for alias in ('link.json', 'linkdir/annotations/val.json', 'hard.json'):
        with pytest.raises(OutputPathError, match='is the input file'):
            check_output_path(str(root / alias), inputs=[gt, res])


def test_inside_a_protected_annotation_folder_is_refused(tree):
    root, gt, _ = tree
    folder = os.path.dirname(gt)
    for path in (os.path.join(folder, 'val_results.json'), os.path.join(folder, 'a', 'b'),
                 folder):
        with pytest.raises(OutputPathError, match='annotation folder of an input dataset'):
            check_output_path(path, protected_dirs=[None, folder])
    # A sibling folder whose name starts the same is not inside.
    check_output_path(folder + '_results/x.json', protected_dirs=[folder])


def test_folders_files_and_unwritable_places_are_refused(tree):
    root, _, res = tree
    with pytest.raises(OutputPathError, match='is an existing folder; give a file path'):
        check_output_path(str(root), option='--out')
    with pytest.raises(OutputPathError, match='is an existing file; give a folder path'):
        check_output_path(res, is_dir=True)
    with pytest.raises(OutputPathError, match=r'res\.json is a file, so nothing can be '):
        check_output_path(os.path.join(res, 'sub', 'metrics.json'))
    if os.geteuid() != 0:  # root may write anywhere
        locked = root / 'locked'
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(OutputPathError, match='is not writable'):
                check_output_path(str(locked / 'new' / 'm.json'))
        finally:
            locked.chmod(0o700)


def test_config_annotation_paths_and_their_folders(tmp_path):
    from mmengine.config import Config
    (tmp_path / 'bdd' / 'bitmasks').mkdir(parents=True)
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
            dict(data_root='data/a/', ann_file='annotations/train.json'),
            dict(data_root=str(tmp_path / 'bdd'), ann_file='bitmasks')])),
        test_dataloader=dict(dataset=dict(data_root='data/a/',
                                          ann_file='annotations/train.json')),
        test_evaluator=[dict(type='TubeBoundaryAP', ann_file='data/a/annotations/val.json'),
                        dict(type='Other')]))
    paths = config_annotation_paths(cfg)
    assert paths == ['data/a/annotations/train.json', str(tmp_path / 'bdd' / 'bitmasks'),
                     'data/a/annotations/val.json']
    assert annotation_folders(paths) == [os.path.abspath('data/a/annotations'),
                                         str(tmp_path / 'bdd' / 'bitmasks'),
                                         os.path.abspath('data/a/annotations')]


def test_config_image_folders_join_data_root_and_prefix():
    cfg = dict(
        train_dataloader=dict(dataset=dict(data_root='data/toy/',
                                           data_prefix=dict(img_path='train/JPEGImages'))),
        val_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
            dict(data_root='data/coco', data_prefix=dict(img='val2017/')),
            dict(data_prefix=dict(img_path='/abs/frames', seg='ignored')),
            dict(data_root='data/toy/', data_prefix=dict(img_path='train/JPEGImages'))])),
        test_dataloader=dict(dataset=dict(data_root='data/x', data_prefix=dict(img_path=''))))
    assert config_image_folders(cfg) == ['data/toy/train/JPEGImages', 'data/coco/val2017/',
                                         '/abs/frames']
