# SeqFormer alone (VMT's base detector, no refiner), ResNet-50, YouTube-VIS 2019, to run
# SeqFormer's public checkpoints in mmvmt. Convert one first (the state dict under 'model'
# of SeqFormer's r50_weight.pth; the backbone is read from the keys):
#   python tools/model_converters/seqformer2mmvmt.py r50_weight.pth \
#       checkpoints/seqformer_r50_ytvis2019.pth \
#       --config configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py
#   python tools/test.py configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py \
#       checkpoints/seqformer_r50_ytvis2019.pth
# SeqFormer's YouTube-VIS head has 42 outputs indexed by category id; the converter keeps
# the 40 used ones. A COCO-pretrained SeqFormer (91 outputs) converts the same way, for
# `load_from` (its class head then does not fit and keeps its initialisation).
_base_ = ['../vmt/vmt_r50_8xb2-12e_youtubevis2019.py']
model = dict(
    backbone=dict(out_indices=(1, 2, 3)),
    refine_neck=None,
    refine_head=None,
    # SeqFormer's inference keeps the 10 best (query, class) pairs of a video
    test_cfg=dict(max_per_video=10, refine=False))
load_from = 'checkpoints/seqformer_r50_ytvis2019.pth'
