"""The pieces of tools/test.py that shape the evaluator and print the metrics."""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('mmvmt_test_tool',
                                               osp.join(ROOT, 'tools', 'test.py'))
test_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(test_tool)


def test_eval_keeps_only_the_dataset_settings_of_a_configured_metric():
    configured = [dict(type='TubeBoundaryAP', ann_file='gt.json', use_refined_segm=False,
                       prefix='mine', pred_key='pred_track_instances_coarse')]
    got = test_tool._dataset_settings(configured, 'TubeBoundaryAP')
    assert got == dict(ann_file='gt.json', use_refined_segm=False)
    assert test_tool._dataset_settings(configured[0], 'BDD100KMOTSMetric') == {}
    assert test_tool._dataset_settings(None, 'TubeBoundaryAP') == {}


def test_metrics_table_has_a_row_per_prefix_and_family():
    table = test_tool.metrics_table({
        'tube_ap/boundary_AP': 0.25, 'tube_ap/segm_AP': 0.5,
        'coarse_tube_ap/boundary_AP': 0.125, 'tube_ap/boundary_AP50': 0.75})
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
            for line in table.splitlines() if line.startswith('| ')}
    assert rows['metric'] == ['AP', 'AP50']
    assert rows['tube_ap boundary'] == ['0.250', '0.750']
    assert rows['tube_ap segm'] == ['0.500', '']
    assert rows['coarse_tube_ap boundary'] == ['0.125', '']


def test_metrics_table_names_the_masks_of_each_row():
    evaluators = [dict(type='TubeBoundaryAP'),
                  dict(type='TubeBoundaryAP', pred_key='pred_track_instances_coarse',
                       prefix='coarse_tube_ap'),
                  dict(type='BDD100KMOTSMetric')]
    sources = test_tool.mask_sources(evaluators)
    assert sources == {'tube_ap': 'pred_track_instances',
                       'coarse_tube_ap': 'pred_track_instances_coarse'}
    table = test_tool.metrics_table({'tube_ap/boundary_AP': 0.25,
                                     'coarse_tube_ap/boundary_AP': 0.125}, sources)
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
            for line in table.splitlines() if line.startswith('| ')}
    assert rows['metric'] == ['masks', 'AP']
    assert rows['coarse_tube_ap boundary'] == ['pred_track_instances_coarse', '0.125']


def test_show_dir_turns_drawing_on_with_mmvmt_hook_and_visualizer():
    from argparse import Namespace

    from mmengine.config import Config
    cfg = Config(dict(
        default_hooks=dict(visualization=dict(type='TrackVisualizationHook', draw=False)),
        visualizer=dict(type='mmdet.TrackLocalVisualizer', name='visualizer')))
    args = Namespace(config='c.py', show=False, show_dir='vis', frame_interval=None,
                     wait_time=2)
    test_tool.trigger_visualization_hook(cfg, args)
    hook = cfg.default_hooks.visualization
    assert (hook.type, hook.draw, hook.frame_interval, hook.test_out_dir) == (
        'mmvmt.VISVisualizationHook', True, 1, 'vis')
    assert cfg.visualizer.type == 'mmvmt.VISLocalVisualizer'
