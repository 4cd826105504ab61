# VMT, ResNet-50, HQ-YTVIS (paper: AP^B 30.7, AP^M 50.5 on the HQ-YTVIS test split).
_base_ = [
    '../_base_/models/vmt_r50.py', '../_base_/datasets/hq_ytvis.py',
    '../_base_/schedules/schedule_12e.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=40))
