"""OVIS (Occluded Video Instance Segmentation), in the YouTube-VIS JSON layout."""
from mmvmt.registry import DATASETS
from .youtube_vis_dataset import YTVISFormatDataset

# The official names, ids 1..25 ("Vehical" is spelled so in the release).
OVIS_CLASSES = (
    'Person', 'Bird', 'Cat', 'Dog', 'Horse', 'Sheep', 'Cow', 'Elephant', 'Bear', 'Zebra',
    'Giraffe', 'Poultry', 'Giant_panda', 'Lizard', 'Parrot', 'Monkey', 'Rabbit', 'Tiger',
    'Fish', 'Turtle', 'Bicycle', 'Motorcycle', 'Airplane', 'Boat', 'Vehical')


@DATASETS.register_module()
class OVISDataset(YTVISFormatDataset):
    """OVIS from the official ``annotations_{train,valid,test}.json`` (25 classes)."""

    METAINFO = dict(classes=OVIS_CLASSES)
