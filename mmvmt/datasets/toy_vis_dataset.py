"""The embedded toy dataset (``data/toy_vis``, see docs/dataset_prepare.md)."""
from mmvmt.registry import DATASETS
from .youtube_vis_dataset import YTVISFormatDataset

TOY_VIS_CLASSES = ('lizard', 'beetle', 'bird')


@DATASETS.register_module()
class ToyVISDataset(YTVISFormatDataset):
    """The toy video dataset: 128 x 192 frames, classes lizard, beetle, bird.

    ``annotations/{split}_hq.json`` hold exact masks (compressed RLE), ``{split}_coarse.json``
    YouTube-VIS-like coarse polygons; both are in the official YouTube-VIS layout.
    """

    METAINFO = dict(classes=TOY_VIS_CLASSES)
