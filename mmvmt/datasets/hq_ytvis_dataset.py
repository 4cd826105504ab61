"""HQ-YTVIS: YouTube-VIS 2019 train re-split and re-annotated with accurate masks."""
from mmvmt.registry import DATASETS
from .youtube_vis_dataset import YTVIS_2019_CLASSES, YTVISFormatDataset


@DATASETS.register_module()
class HQYTVISDataset(YTVISFormatDataset):
    """HQ-YTVIS from ``ytvis_hq-{train,val,test}.json`` (YouTube-VIS 2019 layout, 40 classes).

    Args:
        *args: Passed to :class:`~mmvmt.datasets.YTVISFormatDataset`.
        use_refined_segm (bool): Read the masks from ``segmentations_refined`` where an
            annotation has that key, else from ``segmentations``, as the loaders of the
            HQ-YTVIS release do. Defaults to True.
        **kwargs: Passed to :class:`~mmvmt.datasets.YTVISFormatDataset`.
    """

    METAINFO = dict(classes=YTVIS_2019_CLASSES)

    def __init__(self, *args, use_refined_segm: bool = True, **kwargs) -> None:
        self.use_refined_segm = use_refined_segm
        segm_keys = (('segmentations_refined', 'segmentations') if use_refined_segm
                     else ('segmentations', ))
        super().__init__(*args, segm_keys=segm_keys, **kwargs)
