# VMT, ResNet-101, HQ-YTVIS.
_base_ = './vmt_r50_8xb2-12e_hq-ytvis.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
