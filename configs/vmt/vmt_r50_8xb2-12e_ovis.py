# VMT, ResNet-50, OVIS (25 classes).
_base_ = [
    '../_base_/models/vmt_r50.py', '../_base_/datasets/ovis.py',
    '../_base_/schedules/schedule_12e.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=25))
