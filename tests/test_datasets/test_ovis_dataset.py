from mmvmt.datasets import OVIS_CLASSES
from mmvmt.registry import DATASETS
from mmvmt.utils import register_all_modules

register_all_modules()


def test_ovis_file_with_25_categories_loads(ytvis, ytvis_root):
    assert len(OVIS_CLASSES) == 25
    ann = ytvis.official(categories=[(n, i + 1) for i, n in enumerate(OVIS_CLASSES)])
    ann['annotations'][0]['iscrowd'] = 1
    ds = DATASETS.build(dict(type='OVISDataset', ann_file=ytvis_root(ann, 'annotations_train.json'),
                             data_prefix=dict(img_path=ytvis_root.img_prefix)))
    assert ds.metainfo['classes'] == OVIS_CLASSES
    inst = ds.get_data_info(0)['images'][0]['instances']
    assert [i['bbox_label'] for i in inst] == [1, 2]
    assert [i['ignore_flag'] for i in inst] == [1, 0]
