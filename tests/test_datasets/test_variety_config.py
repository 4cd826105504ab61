"""The variety self-correction config's training pipeline runs on tiny variety-style data:
frames of a clip share one scale and one degradation, every frame gets coarse masks."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmvmt.datasets.toy import make_toy_vis
from mmvmt.utils import register_all_modules

register_all_modules()
CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'self_correction',
                  'vmt_tiny_self-correction_toy-vis-variety.py')


def test_variety_config_trains_on_jittered_clips_with_coarse_masks(tmp_path):
    root = tmp_path / 'variety'
    make_toy_vis(root, seed=0, num_videos=dict(train=2, val=1, test=1), num_frames=4,
                 verbose=False, variety=True)
    cfg = Config.fromfile(CONFIG)
    assert cfg.self_correction.validation.gt_ann_file.endswith('toy_vis_garden/annotations/'
                                                                'val_hq.json')
    assert 'garden' not in cfg.train_dataloader.dataset.data_root  # never trained on
    cfg.train_dataloader.dataset.data_root = str(root)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        assert inputs.shape[0] == 3  # a 3-frame clip, all frames one (jittered) size
        for frame in sample:
            gt = frame.gt_instances
            masks, coarse = gt.masks.to_ndarray(), gt.coarse_masks.to_ndarray()
            assert coarse.shape == masks.shape
            assert masks.shape[-2:] == tuple(inputs.shape[-2:])
