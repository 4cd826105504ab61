# The embedded toy dataset (`make demo`; layout in docs/dataset_prepare.md): 128 x 192 frames,
# classes lizard, beetle, bird. Trains on exact (train_hq) or coarse (train_coarse) masks,
# evaluates with the Tube-Boundary AP on val_hq / test_hq.
dataset_type = 'ToyVISDataset'
data_root = 'data/toy_vis/'
backend_args = None
train_ann_file = 'annotations/train_hq.json'  # or 'annotations/train_coarse.json'

num_frames = 5
# Frames per backbone pass at test time: model configs set
# `model = dict(test_cfg=dict(chunk_size=test_chunk_size))`.
test_chunk_size = 8

train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames=num_frames, local_range=3),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadTrackAnnotations', with_mask=True),
            # Frames stay at their 128 x 192 size.
            dict(type='Resize', scale=(192, 128), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='MaskDegradation'),
            dict(type='RefinementRegionTarget', dilation=3),
        ]),
    dict(type='PackVMTInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='Resize', scale=(192, 128), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackVMTInputs')
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann_file,
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val_hq.json',
        data_prefix=dict(img_path='val/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='TubeBoundaryAP')
test_evaluator = val_evaluator
