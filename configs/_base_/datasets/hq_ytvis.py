# HQ-YTVIS: YouTube-VIS 2019 train frames with the HQ-YTVIS annotations
# (ytvis_hq-{train,val,test}.json, 1678 / 280 / 280 videos), Tube-Boundary AP evaluation.
#   data/hq_ytvis/ytvis_hq-train.json ...
#   data/youtube_vis_2019/train/JPEGImages/...
_base_ = './youtube_vis_2019.py'

dataset_type = 'HQYTVISDataset'
data_root = 'data/'
img_prefix = 'youtube_vis_2019/train/JPEGImages'

# One sample per frame (FrameLevelDataset, see youtube_vis_2019.py). HQ-YTVIS train:
# 1678 videos; an epoch is floor(ceil(F / num_gpus) / 2) iterations at 2 clips per GPU,
# F = the file's frame count (logged as "FrameLevelDataset: F samples ...").
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type=dataset_type,
            data_root=data_root,
            ann_file='hq_ytvis/ytvis_hq-train.json',
            data_prefix=dict(img_path=img_prefix),
            use_refined_segm=True,
            pipeline={{_base_.train_pipeline}})))
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

# The metric reads its GT (refined masks and the file's tracks) from the annotation file
# itself, not from the pipeline; its ann_file is a plain path (no data_root prefix).
val_evaluator = dict(
    _delete_=True,
    type='TubeBoundaryAP',
    ann_file=data_root + 'hq_ytvis/ytvis_hq-val.json',
    use_refined_segm=True)
test_evaluator = dict(
    _delete_=True,
    type='TubeBoundaryAP',
    ann_file=data_root + 'hq_ytvis/ytvis_hq-test.json',
    use_refined_segm=True)
