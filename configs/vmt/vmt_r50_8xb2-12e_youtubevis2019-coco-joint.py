# VMT, ResNet-50, YouTube-VIS 2019 jointly with COCO pseudo-clips (SeqFormer's joint
# training, the setting of its best YouTube-VIS models; VMT follows SeqFormer's recipe).
# Data: data/youtube_vis_2019/ and data/coco/ (configs/_base_/datasets/coco_pseudo_clips.py).
_base_ = [
    '../_base_/models/vmt_r50.py', '../_base_/datasets/youtubevis2019_coco-joint.py',
    '../_base_/schedules/schedule_12e.py', '../_base_/default_runtime.py'
]
model = dict(bbox_head=dict(num_classes=40))
