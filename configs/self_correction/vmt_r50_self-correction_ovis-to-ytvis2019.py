# The paper's self-correction of YouTube-VIS 2019 train (Section 3.2): the VMT R50 refiner is
# trained class-agnostic on OVIS train, whose exact masks the pipeline degrades on the fly
# (MaskDegradation: boundary subsampling + random dilation / erosion; refinement regions
# dilated by 3 px, RefinementRegionTarget), then corrects the coarse YTVIS masks where its
# confidence > 0.65; rounds 2..4 retrain on the previous round's corrected YTVIS file (the
# same degrading pipeline) and correct it again. Outputs (never overwriting anything):
#   <work_dir>/self_correction/round_<k>/train.json (+ .provenance.json), k = 1..4
#   python tools/self_correction.py configs/self_correction/vmt_r50_self-correction_ovis-to-ytvis2019.py [--resume]
# Data: data/ovis/{annotations_train.json, train/} and
# data/youtube_vis_2019/{train.json, train/JPEGImages/} as released (configs/_base_/datasets).
_base_ = ['../vmt/vmt_r50_8xb2-12e_ovis.py']

# The refiner on given (degraded) masks; the base head's decoder is not used in this mode.
model = dict(train_cfg=dict(refine_input='given'))
find_unused_parameters = True

self_correction = dict(
    num_rounds=4,
    conf_thr=0.65,
    coarse_dataset=dict(
        type='YouTubeVISDataset',
        dataset_version='2019',
        data_root='data/youtube_vis_2019/',
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages')),
    # Frames at the test scale; the corrected masks are mapped back to the original size.
    frame_pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale={{_base_.test_scale}}, keep_ratio=True),
    ],
    max_tracks_per_pass=8,
    init_from_previous_round=True)

# Each round trains with the paper's schedule (12 epochs, AdamW 2e-4, x0.1 at 5 and 11)
# and keeps every epoch's checkpoint so an interrupted round resumes where it stopped.
# No validation: the class-agnostic refiner has no class predictions to evaluate.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                                     save_last=True))
