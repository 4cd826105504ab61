"""tools/analysis_tools/refiner_ablations.py: the variants are the switches they claim."""
import importlib.util
import os.path as osp
import sys

from mmengine.config import Config, DictAction

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
spec = importlib.util.spec_from_file_location(
    'refiner_ablations', osp.join(ROOT, 'tools', 'analysis_tools', 'refiner_ablations.py'))
ablations = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ablations)


def config_of(variant):
    """The training config a variant's command line gives (parsed as tools/train.py does)."""
    cfg = Config.fromfile(osp.join(ROOT, ablations.CONFIG))
    parser_action = DictAction(option_strings=['--cfg-options'], dest='cfg_options')

    class NS:
        pass

    ns = NS()
    parser_action(None, ns, ablations.cfg_options(variant, 7, 3))
    cfg.merge_from_dict(ns.cfg_options)
    return cfg


def test_paper_variant_is_the_config_for_iters_and_seed():
    cfg = config_of('paper')
    assert cfg.self_correction is None and cfg.train_cfg.max_iters == 7
    assert cfg.randomness.seed == 3
    assert cfg.model.refine_head.get('group_frames') is None
    assert cfg.train_dataloader.dataset.pipeline[0].num_frames == 3


def test_switches():
    assert config_of('qsg_off').model.refine_head.group_frames == 1
    clip5 = config_of('clip5')
    assert clip5.train_dataloader.dataset.pipeline[0].num_frames == 5
    assert clip5.model.refine_head.group_frames == 5
    assert config_of('det_fixed').model.refine_head.detector_condition == 'fixed'
    assert config_of('region_boundary').model.refine_head.node_region == 'boundary'


def test_test_time_variants_change_the_model_only():
    for switches in ablations.TEST_TIME.values():
        assert all(k.startswith('model.') for k in switches)


def test_training_variants_need_training(capsys):
    assert ablations.main(['--checkpoint', 'x.pth', '--variants', 'det_fixed']) == 1
    assert 'need their own training' in capsys.readouterr().err


def test_out_onto_the_config_is_refused_before_any_training(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text('x = 1\n')
    assert ablations.main(['--config', str(config), '--out', str(config), '--iters', '1']) == 2
    assert config.read_text() == 'x = 1\n'
