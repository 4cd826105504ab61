# Self-correction on the embedded toy data, small enough for a CPU (about 5 minutes):
# the tiny VMT's refiner is trained class-agnostic on toy train_hq (exact masks, degraded on
# the fly), then corrects toy train_coarse (YouTube-VIS-like coarse polygons); round 2
# retrains on round 1's corrected file and corrects it again.
#   python tools/self_correction.py configs/self_correction/vmt_tiny_self-correction_toy-vis.py
_base_ = ['../vmt/vmt_tiny_r18_1xb2-toy_vis.py']

# The refiner alone, class-agnostic, on the pipeline's degraded masks (GivenMaskRefiner: the
# tiny VMT's modules, so its checkpoints load into either). When correcting,
# four times the finest nodes of training: the refiner keeps the given mask where it is
# unsure (fine_prior), and with the training caps its region covered only 42% of the coarse
# errors of the garden-style videos (docs/experiments.md). Training with these caps would
# be 4x slower per iteration.
model = dict(
    type='GivenMaskRefiner',
    refine_head=dict(test_max_nodes_per_frame=(64, 192, 512)))

# Exact masks degraded on the fly (boundary subsampling, random dilation / erosion, halo);
# refinement regions dilated by 3 px. Rounds > 1 read the corrected files through it too.
train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames=3, local_range=2),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='MaskDegradation'),
            dict(type='RefinementRegionTarget', dilation=3),
        ]),
    dict(type='PackVMTInputs')
]
train_dataloader = dict(
    dataset=dict(ann_file='annotations/train_hq.json', pipeline=train_pipeline))

self_correction = dict(
    num_rounds=2,
    conf_thr=0.65,
    coarse_dataset=dict(
        type='ToyVISDataset',
        data_root='data/toy_vis/',
        ann_file='annotations/train_coarse.json',
        data_prefix=dict(img_path='train/JPEGImages')),
    frame_pipeline=[dict(type='LoadImageFromFile')],
    max_tracks_per_pass=8,
    init_from_previous_round=True)

# Training per round; no validation (the base head is not trained in this mode).
# One round of 600 iterations (about 2.5 min on 2 cores) moved the toy coarse masks toward the
# exact ones: mean IoU to train_hq 0.647 -> 0.717, boundary IoU 0.547 -> 0.686.
max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200, save_last=True))
log_processor = dict(by_epoch=False, window_size=50)
