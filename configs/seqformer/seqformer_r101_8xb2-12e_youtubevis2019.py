# SeqFormer alone, ResNet-101, YouTube-VIS 2019. Convert SeqFormer's r101_weight.pth with
#   python tools/model_converters/seqformer2mmvmt.py r101_weight.pth \
#       checkpoints/seqformer_r101_ytvis2019.pth \
#       --config configs/seqformer/seqformer_r101_8xb2-12e_youtubevis2019.py
# (see seqformer_r50_8xb2-12e_youtubevis2019.py).
_base_ = ['./seqformer_r50_8xb2-12e_youtubevis2019.py']
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
load_from = 'checkpoints/seqformer_r101_ytvis2019.pth'
