from mmvmt.datasets import YTVIS_2019_CLASSES
from mmvmt.registry import DATASETS
from mmvmt.utils import register_all_modules

register_all_modules()


def test_refined_segmentations_are_read_by_default(ytvis, ytvis_root):
    ann = ytvis.official()
    ann['annotations'][1]['segmentations_refined'] = [
        ytvis.compressed_rle(ytvis.box_mask(0, 0, 3, 3))] * 3
    ann_file = ytvis_root(ann, 'ytvis_hq-train.json')
    cfg = dict(type='HQYTVISDataset', ann_file=ann_file,
               data_prefix=dict(img_path=ytvis_root.img_prefix))
    refined = DATASETS.build(cfg).get_data_info(0)['images'][0]['instances']
    plain = DATASETS.build(dict(cfg, use_refined_segm=False)).get_data_info(0)['images'][0]
    assert refined[1]['bbox'] == [0, 0, 3, 3]
    assert plain['instances'][1]['bbox'] == [10, 4, 20, 12]


def test_default_classes_are_ytvis_2019(ytvis, ytvis_root):
    ann = ytvis.official()
    del ann['categories']
    ds = DATASETS.build(dict(type='HQYTVISDataset', ann_file=ytvis_root(ann),
                             data_prefix=dict(img_path=ytvis_root.img_prefix)))
    assert ds.metainfo['classes'] == YTVIS_2019_CLASSES
