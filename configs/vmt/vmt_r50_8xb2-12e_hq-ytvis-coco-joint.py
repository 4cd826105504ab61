# VMT, ResNet-50, HQ-YTVIS train jointly with COCO pseudo-clips: the training data of the
# VMT release's model zoo ("Train on HQ-YTVIS train set and COCO"; paper: AP^B 30.7, AP^M
# 50.5 on the HQ-YTVIS test split). Data: data/hq_ytvis/, data/youtube_vis_2019/train/,
# data/coco/ (configs/_base_/datasets/coco_pseudo_clips.py).
_base_ = [
    '../_base_/models/vmt_r50.py', '../_base_/datasets/hq_ytvis_coco-joint.py',
    '../_base_/schedules/schedule_12e.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=40))
