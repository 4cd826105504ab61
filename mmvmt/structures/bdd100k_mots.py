"""BDD100K MOTS labels read with the official BDD100K toolkit (``bdd100k`` / ``scalabel``).

Two label formats of the release are read, both through the toolkit:

* RLE JSON (``labels/seg_track_20/rles/{train,val}.json`` or a folder of per-video JSONs):
  ``scalabel.label.io.load`` and ``bdd100k.label.to_scalabel.bdd100k_to_scalabel`` (which
  maps BDD100K names such as ``person`` -> ``pedestrian`` and marks ``other person`` /
  ``other vehicle`` / ``trailer`` as ignored);
* bitmask PNGs (``labels/seg_track_20/bitmasks/{train,val}/<video>/<frame>.png``): RGBA, R =
  category id 1..8, G = attributes (truncated 8, occluded 4, crowd 2, ignored 1), B * 256 +
  A = instance id; parsed by ``bdd100k.common.bitmask.parse_bitmask``. Every PNG is read
  when the dataset is built (seconds per thousand frames); for the full set, converting once
  with ``python -m bdd100k.label.to_rle -m seg_track -i BITMASKS -o rles.json`` is faster to
  load, but drops the crowd / ignored flags, so the bitmasks are read as they are here.

Both become scalabel ``Frame`` lists (:func:`load_bdd100k_mots_frames`), which
:class:`~mmvmt.datasets.BDD100KMOTSDataset` and
:class:`~mmvmt.evaluation.metrics.BDD100KMOTSMetric` share. The toolkit is imported only
when a function here runs.
"""
import os
import os.path as osp

import numpy as np

BDD100K_MOTS_CLASSES = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
                        'bicycle')


def bdd100k_mots_config():
    """The toolkit's ``seg_track`` config (8 classes in 3 super-categories)."""
    from bdd100k.common.utils import load_bdd100k_config
    return load_bdd100k_config('seg_track')


def _bitmask_frame(png_path: str, rel_path: str):
    """One bitmask PNG as a scalabel ``Frame`` with RLE labels and their flags."""
    from bdd100k.common.bitmask import parse_bitmask
    from PIL import Image
    from scalabel.label.transforms import mask_to_rle
    from scalabel.label.typing import Frame, Label

    bitmask = np.asarray(Image.open(png_path), dtype=np.uint8)
    if bitmask.ndim != 3 or bitmask.shape[2] != 4:
        raise ValueError(f'{png_path}: a BDD100K MOTS bitmask is RGBA (H, W, 4), got shape '
                         f'{bitmask.shape}')
    index_map, instance_ids, attributes, category_ids = parse_bitmask(bitmask)
    labels = []
    for i, (inst_id, attr, cat) in enumerate(zip(instance_ids, attributes, category_ids)):
        if not 1 <= cat <= len(BDD100K_MOTS_CLASSES):
            raise ValueError(f'{png_path}: instance {inst_id} has category id {cat}, expected '
                             f'1..{len(BDD100K_MOTS_CLASSES)}')
        labels.append(Label(
            id=str(int(inst_id)), category=BDD100K_MOTS_CLASSES[cat - 1],
            attributes=dict(crowd=bool(attr & 2), ignored=bool(attr & 1)),
            rle=mask_to_rle((index_map == i + 1).astype(np.uint8))))
    video, stem = rel_path.split(os.sep)[-2], osp.splitext(osp.basename(rel_path))[0]
    return Frame(name=f'{stem}.jpg', videoName=video,
                 frameIndex=int(stem.split('-')[-1]) - 1, labels=labels)


def load_bdd100k_mots_frames(ann_path: str) -> list:
    """Read BDD100K MOTS labels as scalabel ``Frame`` s with RLE labels.

    Args:
        ann_path (str): An RLE JSON file (or folder of them), or a folder of per-video
            folders of bitmask PNGs.

    Returns:
        list[scalabel.label.typing.Frame]: Frames with ``videoName``, ``name`` (the frame
        image file name), ``frameIndex`` and ``labels`` (``category`` among the 8 classes,
        ``id``, ``rle``, ``attributes`` with ``crowd`` / ``ignored``).
    """
    if osp.isdir(ann_path):
        pngs = sorted(osp.relpath(osp.join(d, f), ann_path)
                      for d, _, files in os.walk(ann_path) for f in files
                      if f.endswith('.png'))
        if pngs:
            return [_bitmask_frame(osp.join(ann_path, p), p) for p in pngs]
    from bdd100k.label.to_scalabel import bdd100k_to_scalabel
    from scalabel.label.io import load
    return bdd100k_to_scalabel(load(ann_path, nprocs=1).frames, bdd100k_mots_config())
