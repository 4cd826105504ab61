# An existing mmdet VIS model (Mask2Former-VIS, random init, tiny settings) trained and tested
# on the toy data through mmvmt's datasets, transforms and Tube-Boundary AP metric: the proof
# that mmvmt parts plug into an mmdet pipeline, and a baseline to compare VMT with.
_base_ = ['../_base_/datasets/toy_vis.py', '../_base_/default_runtime.py']

num_classes = 3
num_frames = 2
feat_channels = 64
train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames=num_frames, local_range=3),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    type='Mask2FormerVideo',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    track_head=dict(
        type='Mask2FormerTrackHead',
        in_channels=[64, 128, 256, 512],
        strides=[4, 8, 16, 32],
        feat_channels=feat_channels,
        out_channels=feat_channels,
        num_classes=num_classes,
        num_queries=10,
        num_frames=num_frames,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=8),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=feat_channels, num_heads=4, num_levels=3, num_points=4,
                        im2col_step=64, dropout=0.0, batch_first=True),
                    ffn_cfg=dict(
                        embed_dims=feat_channels, feedforward_channels=128, num_fcs=2,
                        ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=feat_channels // 2, normalize=True)),
        enforce_decoder_input_project=False,
        positional_encoding=dict(
            type='SinePositionalEncoding3D', num_feats=feat_channels // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=feat_channels, num_heads=4, dropout=0.0, batch_first=True),
                cross_attn_cfg=dict(
                    embed_dims=feat_channels, num_heads=4, dropout=0.0, batch_first=True),
                ffn_cfg=dict(
                    embed_dims=feat_channels, feedforward_channels=128, num_fcs=2,
                    ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean',
            class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(
            type='CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0),
        loss_dice=dict(
            type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
            naive_dice=True, eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=1024,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)
                ]),
            sampler=dict(type='MaskPseudoSampler'))),
    init_cfg=None)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=1.0, norm_type=2))

max_iters = 300
param_scheduler = dict(
    type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[240], gamma=0.1)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, save_last=True))
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)

# Seeded training: mmengine's Runner seeds Python, NumPy and torch (and the samplers) with it,
# so two runs of this config on one machine give the same weights (checked for 2 iterations
# of the Mask2Former-VIS one, 2026-12-08). Report quality over several seeds:
# `tools/train.py ... --cfg-options randomness.seed=<k>`.
randomness = dict(seed=0)
