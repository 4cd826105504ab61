# VMT as publicly released, ResNet-101 (checkpoint_r101_final.pth; HQ-YTVIS test AP^B 33.0,
# AP^M 51.6 as reported by the release). Convert and test as in
# vmt-release_r50_8xb2-12e_hq-ytvis.py:
#   python tools/model_converters/vmt_release2mmvmt.py checkpoint_r101_final.pth \
#       checkpoints/vmt-release_r101_hq-ytvis.pth \
#       --config configs/vmt/vmt-release_r101_8xb2-12e_hq-ytvis.py
_base_ = './vmt-release_r50_8xb2-12e_hq-ytvis.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
