# YouTube-VIS 2019, read from the official files (no conversion step):
#   data/youtube_vis_2019/train.json, train/JPEGImages/<video>/<frame>.jpg
#   data/youtube_vis_2019/valid.json, valid/JPEGImages/...  (no annotations: server evaluation)
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

# SeqFormer's multi-scale training: shorter side in 288..512, longer side <= 768.
train_scales = [(768, s) for s in range(288, 513, 32)]
test_scale = (768, 360)

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
            # Mask Transfiner's incoherence targets at strides 8, 4, 2.
        ]),
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

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='train.json',
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
