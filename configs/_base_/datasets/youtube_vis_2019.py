# YouTube-VIS 2019, read from the official files (no conversion step):
#   data/youtube_vis_2019/train.json, train/JPEGImages/<video>/<frame>.jpg
#   data/youtube_vis_2019/valid.json, valid/JPEGImages/...  (no annotations: server evaluation)
# Training follows SeqFormer's recipe (which VMT follows): epochs over frames, SeqFormer's
# augmentations. The other YouTube-VIS-format configs (2021, HQ-YTVIS, OVIS, the COCO joint
# training) derive from this one.
dataset_type = 'YouTubeVISDataset'
data_root = 'data/youtube_vis_2019/'
dataset_version = '2019'
backend_args = None

# Frames per training clip (the VMT paper: 5, SeqFormer-style key + local + global frames).
num_frames = 5
# At test time the dataset gives the whole video as one clip; the model runs its backbone
# on `test_chunk_size` frames at a time. Model configs set
# `model = dict(test_cfg=dict(chunk_size=test_chunk_size))` (None: whole video at once).
test_chunk_size = 36

# SeqFormer's training augmentation (datasets/ytvos.py of the SeqFormer code), per clip:
# horizontal flip; photometric distortion; then, with probability 1/2 each, either a
# multi-scale resize (shorter side from `train_short_sides`, longer side <= 768) or a resize
# of the shorter side to 400 / 500 / 600 (longer side unbounded), a random crop of
# 384..600 x 384..600 px and the same multi-scale resize. SeqFormer's list of shorter sides
# has 392 where a step of 32 would give 384; it is kept as published.
train_short_sides = (288, 320, 352, 392, 416, 448, 480, 512)
train_scales = [(768, s) for s in train_short_sides]
crop_pre_scales = [(4200, s) for s in (400, 500, 600)]
test_scale = (640, 360)  # SeqFormer's test size: shorter side 360, longer side <= 640

# Geometric transforms share their random parameters across the frames of a clip (same
# flip, same choice, same scale, same crop on every frame). The photometric distortion is
# drawn per frame, as SeqFormer's PhotometricDistort draws it per image of the clip.
# allow_negative_crop: a frame whose objects all fall outside the crop stays (those objects
# are absent there, as in a video frame); SkipEmptyClip redraws a clip left with no object
# at all, as SeqFormer does.
load_transforms = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadTrackAnnotations', with_mask=True),
]
clip_augmentation = [
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='RandomFlip', prob=0.5)]),
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[dict(type='PhotoMetricDistortion')]),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(
                # mmcv's RandomChoice, fixed for shared random parameters.
                type='BroadcastRandomChoice',
                transforms=[
                    [dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True)],
                    [
                        dict(type='RandomChoiceResize', scales=crop_pre_scales,
                             keep_ratio=True),
                        dict(type='RandomCrop', crop_type='absolute_range',
                             crop_size=(384, 600), allow_negative_crop=True),
                        dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
                    ],
                ]),
        ]),
    dict(type='SkipEmptyClip'),
]
# Derived configs reuse `load_transforms` and `clip_augmentation` (the latter as one
# Compose step) through base-variable references.
train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames=num_frames, local_range=3),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=load_transforms),
    dict(type='Compose', transforms=clip_augmentation),
    dict(type='PackVMTInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='Resize', scale=test_scale, keep_ratio=True),
            # Loaded after the resize: GT, if any, stays at the original frame size.
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackVMTInputs')
]

# Epochs over frames, as SeqFormer counts them: FrameLevelDataset has one item per frame
# (a clip sampled around it), so an epoch is ceil(F / num_gpus) clips per process, F = the
# number of frames of the annotated training videos. Batches as SeqFormer makes them
# (torch BatchSampler, drop_last=True, no aspect-ratio grouping): an epoch is
#   floor(ceil(F / num_gpus) / batch_size) iterations,
# logged at the start of training by EpochLengthHook (schedules/schedule_12e.py).
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    drop_last=True,
    dataset=dict(
        type='FrameLevelDataset',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            dataset_version=dataset_version,
            ann_file='train.json',
            data_prefix=dict(img_path='train/JPEGImages'),
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# The valid set has no public annotations: write results.json (zipped) for the server.
val_evaluator = dict(
    type='YouTubeVISMetric',
    metric='youtube_vis_ap',
    outfile_prefix='./youtube_vis_2019_results',
    format_only=True)
test_evaluator = val_evaluator
