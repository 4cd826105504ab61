# HQ-YTVIS: YouTube-VIS 2019 train frames with the HQ-YTVIS annotations
# (ytvis_hq-{train,val,test}.json, 1678 / 280 / 280 videos), Tube-Boundary AP evaluation.
#   data/hq_ytvis/ytvis_hq-train.json ...
#   data/youtube_vis_2019/train/JPEGImages/...
_base_ = './youtube_vis_2019.py'

dataset_type = 'HQYTVISDataset'
data_root = 'data/'
img_prefix = 'youtube_vis_2019/train/JPEGImages'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='hq_ytvis/ytvis_hq-train.json',
        data_prefix=dict(img_path=img_prefix),
        use_refined_segm=True,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='hq_ytvis/ytvis_hq-val.json',
        data_prefix=dict(img_path=img_prefix),
        use_refined_segm=True,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='hq_ytvis/ytvis_hq-test.json',
        data_prefix=dict(img_path=img_prefix),
        use_refined_segm=True,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))

val_evaluator = dict(_delete_=True, type='TubeBoundaryAP')
test_evaluator = val_evaluator
