"""AnnotationCorrectionHook corrects a file with the runner's model after training."""
import json
import os.path as osp
import sys
from types import SimpleNamespace

import pytest

from mmvmt.engine import AnnotationCorrectionHook, provenance_path
from mmvmt.models.data import RefinedMasks
from mmvmt.registry import HOOKS
from mmvmt.utils import register_all_modules

register_all_modules()


class KeepRefiner:
    def __init__(self):
        self.modes = []

    def refine_masks(self, frames, coarse):
        import torch
        return RefinedMasks.from_labels(coarse.clone(), torch.ones(coarse.shape),
                                        torch.ones_like(coarse))

    def eval(self):
        self.modes.append('eval')

    def train(self):
        self.modes.append('train')


def test_after_train_writes_the_corrected_file(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    hook = HOOKS.build(dict(type='AnnotationCorrectionHook', ann_file=str(in_file),
                            img_root=str(img_root), conf_thr=0.7, remove_thr=0.9))
    assert isinstance(hook, AnnotationCorrectionHook)
    model = KeepRefiner()
    runner = SimpleNamespace(model=model, work_dir=str(tmp_path), iter=5, epoch=0)
    hook.after_train(runner)
    out_file = osp.join(tmp_path, 'corrected', 'train_coarse.json')
    out = json.load(open(out_file))
    assert [a['id'] for a in out['annotations']] == \
        [a['id'] for a in json.load(open(in_file))['annotations']]
    prov = json.load(open(provenance_path(out_file)))
    assert prov['conf_thr'] == 0.7 and prov['iter'] == 5 and prov['pixels_changed'] == 0
    assert prov['remove_thr'] == 0.9
    assert model.modes == ['eval', 'train']


def test_existing_output_stops_the_run_before_training(coarse_file, tmp_path):
    in_file, img_root = coarse_file
    hook = AnnotationCorrectionHook(ann_file=str(in_file), img_root=str(img_root))
    runner = SimpleNamespace(model=KeepRefiner(), work_dir=str(tmp_path), iter=0, epoch=0)
    hook.before_train(runner)  # nothing there yet
    out_file = tmp_path / 'corrected' / 'train_coarse.json'
    out_file.parent.mkdir()
    out_file.write_text('{}')
    with pytest.raises(FileExistsError, match='never overwritten'):
        hook.before_train(runner)
    assert out_file.read_text() == '{}'


def test_other_processes_return_without_waiting(coarse_file, tmp_path, monkeypatch):
    in_file, img_root = coarse_file
    hook = AnnotationCorrectionHook(ann_file=str(in_file), img_root=str(img_root))
    model = KeepRefiner()
    runner = SimpleNamespace(model=model, work_dir=str(tmp_path), iter=5, epoch=0)
    module = sys.modules[AnnotationCorrectionHook.__module__]

    def no_collective():
        raise AssertionError('after_train must not wait for the main process')

    monkeypatch.setattr(module, 'is_main_process', lambda: False)
    monkeypatch.setattr(module, 'barrier', no_collective, raising=False)
    hook.after_train(runner)
    assert model.modes == []
    assert not osp.exists(osp.join(tmp_path, 'corrected'))
