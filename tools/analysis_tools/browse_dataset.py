"""Write a dataset's frames, after its pipeline, with the GT drawn over them.

    python tools/analysis_tools/browse_dataset.py configs/_base_/datasets/toy_vis.py \
        --output-dir work_dirs/browse [--split train] [--max-videos 4]

Each instance is drawn by :class:`~mmvmt.visualization.VISLocalVisualizer`: filled and
outlined in a colour fixed by its track id (so a track keeps its colour across frames),
labelled "class #track id", and listed in a legend on the right. Where the pipeline made
coarse masks (``MaskDegradation``) their outline is dashed white, and the refinement region,
if any, is hatched. Files: ``DIR/<split>/<video index>_<video id>/<position in clip>_<frame
id>.jpg``.
"""
import argparse
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.structures import InstanceData

from mmvmt.utils.output_paths import OutputPathError, check_output_path, runner_rules


def gt_to_draw(gt: InstanceData) -> tuple:
    """A frame's ``gt_instances`` -> the instances to draw and their coarse masks (or None).

    Args:
        gt (InstanceData): ``labels``, ``masks``, ``instances_ids`` and optionally
            ``coarse_masks`` and ``refine_regions`` (as ``PackVMTInputs`` packs them).

    Returns:
        tuple[InstanceData, InstanceData | None]: Instances with ``instances_ids``,
        ``labels``, ``masks`` (and ``refined_regions``); the coarse masks with the same ids.
    """
    ids = gt.instances_ids if 'instances_ids' in gt else np.arange(len(gt))
    drawn = InstanceData(instances_ids=ids, labels=gt.labels,
                         masks=gt.masks if 'masks' in gt else None)
    if 'refine_regions' in gt:
        drawn.refined_regions = gt.refine_regions.to_ndarray()
    coarse: Optional[InstanceData] = None
    if 'coarse_masks' in gt:
        coarse = InstanceData(instances_id=ids, masks=gt.coarse_masks.to_ndarray())
    return drawn, coarse


def browse(cfg: Config, output_dir: str, split: str = 'train', max_videos: int = 4) -> int:
    """Run the split's dataset and write its frames with the GT drawn.

    Returns:
        int: Number of images written.
    """
    from mmvmt.registry import DATASETS
    from mmvmt.utils import register_all_modules
    from mmvmt.visualization import VISLocalVisualizer
    register_all_modules()
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    visualizer = VISLocalVisualizer(name=f'browse_dataset_{id(dataset)}', draw_coarse=True,
                                    draw_refined_region=True, legend=True)
    visualizer.dataset_meta = dataset.metainfo
    written = 0
    for index in range(min(max_videos, len(dataset))):
        item = dataset[index]
        frames = item['inputs'].numpy().transpose(0, 2, 3, 1)
        for pos, (image, sample) in enumerate(zip(frames, item['data_samples'])):
            drawn, coarse = gt_to_draw(sample.gt_instances)
            rgb = mmcv.bgr2rgb(np.ascontiguousarray(image))
            out = visualizer.draw_instances(rgb, drawn, coarse)
            folder = osp.join(output_dir, split, f'{index:04d}_{sample.video_id}')
            mmcv.imwrite(mmcv.rgb2bgr(out), osp.join(folder,
                                                      f'{pos:02d}_{sample.frame_id:05d}.jpg'))
            written += 1
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Browse a dataset after its pipeline.')
    parser.add_argument('config', help='a config with {train,val,test}_dataloader')
    parser.add_argument('--output-dir', required=True, help='where the images go')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--max-videos', type=int, default=4)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_dataloader.dataset.'
                        'data_root=/path')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:  # the drawings never go into the datasets' annotation or image folders
        check_output_path(args.output_dir, is_dir=True, option='--output-dir',
                          **runner_rules(cfg, inputs=[args.config]))
    except OutputPathError as e:
        parser.error(str(e))
    n = browse(cfg, args.output_dir, args.split, args.max_videos)
    print(f'wrote {n} images under {osp.join(args.output_dir, args.split)}')


if __name__ == '__main__':
    main()
