# SeqFormer alone, Swin-L (ImageNet-22k, 384), YouTube-VIS 2019. Convert SeqFormer's
# swin_weight.pth with
#   python tools/model_converters/seqformer2mmvmt.py swin_weight.pth \
#       checkpoints/seqformer_swin-l_ytvis2019.pth \
#       --config configs/seqformer/seqformer_swin-l_8xb2-12e_youtubevis2019.py
# (Swin's names and its patch-merging channel order are converted to mmdet's).
_base_ = ['./seqformer_r50_8xb2-12e_youtubevis2019.py']
pretrained = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_large_patch4_window12_384_22k.pth'  # noqa: E501
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=384,
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=12,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(1, 2, 3),
        with_cp=False,
        convert_weights=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[384, 768, 1536]))
load_from = 'checkpoints/seqformer_swin-l_ytvis2019.pth'
