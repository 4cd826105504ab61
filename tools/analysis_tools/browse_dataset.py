"""Write a dataset's frames, after its pipeline, with the GT masks drawn over them.

    python tools/analysis_tools/browse_dataset.py configs/_base_/datasets/toy_vis.py \
        --output-dir work_dirs/browse [--split train] [--max-videos 4]

Each instance is filled in a colour fixed by its track id (so a track keeps its colour
across frames); where the pipeline made coarse masks (``MaskDegradation``), their outline is
drawn in the same colour, and the refinement region, if any, is hatched in white. Files:
``DIR/<split>/<video index>_<video id>/<position in clip>_<frame id>.jpg``.
"""
import argparse
import os
import os.path as osp
from typing import Optional

import cv2
import numpy as np
from mmengine.config import Config, DictAction

ALPHA = 0.5


def color_of(instance_id: int) -> tuple:
    """A bright BGR colour that depends only on the track id (golden-ratio hues, so
    consecutive ids differ)."""
    hue = int((int(instance_id) * 0.618033988749895) % 1 * 180)
    hsv = np.uint8([[[hue, 255, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def overlay_frame(image: np.ndarray, masks: np.ndarray, ids: np.ndarray,
                  coarse_masks: Optional[np.ndarray] = None,
                  refine_regions: Optional[np.ndarray] = None) -> np.ndarray:
    """Draw one frame's instances.

    Args:
        image (np.ndarray): BGR uint8 (H, W, 3).
        masks (np.ndarray): Accurate masks (N, H, W), filled.
        ids (np.ndarray): Track ids (N,), for the colours.
        coarse_masks (np.ndarray, optional): Coarse masks (N, H, W), outlined.
        refine_regions (np.ndarray, optional): Refinement regions (N, H, W), hatched.

    Returns:
        np.ndarray: BGR uint8 (H, W, 3).
    """
    out = image.copy()
    for i, iid in enumerate(ids):
        color = np.array(color_of(iid), np.float32)
        m = masks[i].astype(bool)
        out[m] = (out[m] * (1 - ALPHA) + color * ALPHA).astype(np.uint8)
        if refine_regions is not None:
            hatch = refine_regions[i].astype(bool)
            hatch &= (np.add.outer(np.arange(m.shape[0]), np.arange(m.shape[1])) % 4) == 0
            out[hatch] = 255
        if coarse_masks is not None:
            contours, _ = cv2.findContours(coarse_masks[i].astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(out, contours, -1, color_of(iid), 1)
    return out


def _array(masks) -> Optional[np.ndarray]:
    return None if masks is None else np.asarray(masks.to_ndarray() if hasattr(
        masks, 'to_ndarray') else masks)


def browse(cfg: Config, output_dir: str, split: str = 'train', max_videos: int = 4) -> int:
    """Run the split's dataset and write its frames with masks drawn.

    Returns:
        int: Number of images written.
    """
    from mmvmt.registry import DATASETS
    from mmvmt.utils import register_all_modules
    register_all_modules()
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    written = 0
    for index in range(min(max_videos, len(dataset))):
        item = dataset[index]
        frames = item['inputs'].numpy().transpose(0, 2, 3, 1)
        for pos, (image, sample) in enumerate(zip(frames, item['data_samples'])):
            gt = sample.gt_instances
            ids = gt.instances_ids.numpy() if 'instances_ids' in gt else np.arange(len(gt))
            masks = _array(gt.masks) if 'masks' in gt else np.zeros((0, ) + image.shape[:2])
            if masks.shape[1:] != image.shape[:2]:  # test pipelines keep GT at full size
                masks = np.stack([cv2.resize(m.astype(np.uint8), image.shape[1::-1],
                                             interpolation=cv2.INTER_NEAREST)
                                  for m in masks]) if len(masks) else np.zeros(
                                      (0, ) + image.shape[:2])
            drawn = overlay_frame(np.ascontiguousarray(image), masks, ids,
                                  _array(gt.get('coarse_masks')),
                                  _array(gt.get('refine_regions')))
            folder = osp.join(output_dir, split, f'{index:04d}_{sample.video_id}')
            os.makedirs(folder, exist_ok=True)
            cv2.imwrite(osp.join(folder, f'{pos:02d}_{sample.frame_id:05d}.jpg'), drawn)
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
    n = browse(cfg, args.output_dir, args.split, args.max_videos)
    print(f'wrote {n} images under {osp.join(args.output_dir, args.split)}')


if __name__ == '__main__':
    main()
