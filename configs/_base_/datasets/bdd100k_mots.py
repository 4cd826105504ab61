# BDD100K MOTS (segmentation tracking, 8 classes), labels read by the official toolkit:
#   data/bdd100k/images/seg_track_20/{train,val}/<video>/<video>-0000001.jpg
#   data/bdd100k/labels/seg_track_20/bitmasks/{train,val}/<video>/<video>-0000001.png
# (an RLE JSON of the toolkit works as ann_file too). Crowd / ignored labels are packed into
# `ignored_instances`. Evaluation: the toolkit's mMOTSA, mMOTSP, mIDF1, IDSw, mAP.
dataset_type = 'BDD100KMOTSDataset'
data_root = 'data/bdd100k/'
backend_args = None

num_frames = 5
# Frames per backbone pass at test time (BDD100K videos have ~200 frames of 1280 x 720):
# model configs set `model = dict(test_cfg=dict(chunk_size=test_chunk_size))`.
test_chunk_size = 20

train_scales = [(1333, s) for s in range(480, 801, 32)]
test_scale = (1333, 720)

train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames=num_frames, local_range=3),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVMTInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='Resize', scale=test_scale, keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackVMTInputs')
]

train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='labels/seg_track_20/bitmasks/train',
        data_prefix=dict(img_path='images/seg_track_20/train'),
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
        ann_file='labels/seg_track_20/bitmasks/val',
        data_prefix=dict(img_path='images/seg_track_20/val'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='BDD100KMOTSMetric',
    ann_file=data_root + 'labels/seg_track_20/bitmasks/val')
test_evaluator = val_evaluator
