# Video Mask Transfiner, ResNet-50 (Ke et al., ECCV 2022; base detector: SeqFormer, parameter
# for parameter). Data flow: ResNet -> stride 4 to refine_neck (the refiner); strides 8, 16,
# 32 to the ChannelMapper neck (+ an extra stride-64 level) -> 6-layer deformable encoder per
# frame (mmdet's) -> SeqFormer's 6-layer decoder (300 video-level instance queries beside
# per-frame box queries, box refinement) -> VideoQueryHead (classes, per-frame boxes, dynamic
# H/4 masks) -> VMTRefineHead (3D incoherent quadtrees, refinement transformer of 3 layers,
# hidden 64, 4 heads). Names of backbone / neck / encoder / decoder / bbox_head follow mmdet's
# Deformable DETR (box refinement), so its COCO checkpoints work as `load_from`.
embed_dims = 256
num_levels = 4
num_classes = 40

model = dict(
    type='VideoMaskTransfiner',
    _scope_='mmvmt',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True),
    num_queries=300,
    num_feature_levels=num_levels,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='ChannelMapper',
        in_channels=[512, 1024, 2048],
        kernel_size=1,
        out_channels=embed_dims,
        act_cfg=None,
        bias=True,  # SeqFormer's input projections have biases (mmdet's none: GN follows)
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=num_levels),
    refine_neck=dict(
        type='ChannelMapper',
        in_channels=[256],
        kernel_size=1,
        out_channels=embed_dims,
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=1),
    encoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims, num_levels=num_levels, dropout=0.1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=embed_dims, feedforward_channels=1024, ffn_drop=0.1))),
    decoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims, num_heads=8, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(
                embed_dims=embed_dims, num_levels=num_levels, dropout=0.1,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=embed_dims, feedforward_channels=1024, ffn_drop=0.1))),
    positional_encoding=dict(num_feats=embed_dims // 2, normalize=True, offset=-0.5),
    bbox_head=dict(
        type='VideoQueryHead',
        num_classes=num_classes,
        embed_dims=embed_dims,
        dynamic_channels=8,
        dynamic_layers=3,
        loss_cls=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0),
        loss_mask=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_dice=dict(
            type='DiceLoss', use_sigmoid=True, activate=True, eps=1.0, loss_weight=5.0)),
    refine_head=dict(
        type='VMTRefineHead',
        in_channels=embed_dims,
        inst_channels=embed_dims,
        hidden_dim=64,
        num_heads=4,
        num_layers=3,
        ffn_channels=256,
        # per instance and frame (H/8, H/4, H/2): a whole video grouped at test time gets
        # the per-frame budget of a training clip
        max_nodes_per_frame=(48, 96, 192),
        # test: a 36-frame video holds up to 12,000 nodes per instance; node attention over
        # runs of consecutive frames of at most ~4,096 nodes each costs a ninth of one
        # whole-video sequence (every node is still refined)
        test_max_nodes_per_sequence=4096),
    train_cfg=dict(
        assigner=dict(
            type='VideoHungarianAssigner', cls_weight=2.0, l1_weight=5.0,
            giou_weight=2.0, mask_weight=0.0)),
    # Backbone + encoder on 6 frames at a time: R50 whole-video inference of 36 frames at
    # 360x640 peaks at 2.8 GiB on CPU (11 GiB with all 36 frames at once); the decoder
    # still sees all frames (tools/analysis_tools/benchmark_model.py).
    test_cfg=dict(chunk_size=6, max_per_video=10, mask_thr=0.5, refine=True))

# The refiner's query-free embedding pooling (GivenMaskRefiner's) gets no gradient when the
# base head provides the instance embeddings (VideoMaskTransfiner), and the base head none in
# GivenMaskRefiner: distributed training must allow parameters without gradients.
find_unused_parameters = True
