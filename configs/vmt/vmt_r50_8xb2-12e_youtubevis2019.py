# VMT, ResNet-50, YouTube-VIS 2019 (40 classes).
_base_ = [
    '../_base_/models/vmt_r50.py', '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/schedule_12e.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=40))
