# The paper's self-correction (Section 3.2) of the YouTube-VIS 2019 masks of the HQ-YTVIS
# *train* split (1678 videos; correcting all of YouTube-VIS 2019 train would train rounds
# 2-4 on the HQ-YTVIS val and test videos). The VMT R50 refiner is trained class-agnostic
# on OVIS train, whose exact masks the pipeline degrades on the fly (MaskDegradation:
# boundary subsampling + random dilation / erosion; refinement regions dilated by 3 px,
# RefinementRegionTarget), then corrects the coarse masks where its confidence > 0.65;
# rounds 2..4 retrain on the previous round's corrected file (the same degrading pipeline)
# and correct it again. Every round also corrects the coarse masks of the 280 HQ-YTVIS val
# videos the same way and scores them against their exact masks (AP^B); the rounds stop
# early when one gains less than min_delta ("4 rounds, or fewer when the validation AP^B
# saturates"; the paper gives no tolerance, 0.005 = half a point is ours).
#   bash tools/dist_train.sh \
#       configs/self_correction/vmt_r50_8xb2-12e_self-correction_ovis-to-hq-ytvis.py 8
#   (or python tools/train.py ...; --resume continues at the round and stage it was in)
# Outputs (never overwriting anything), k = 1..4:
#   <work_dir>/self_correction/round_<k>/ytvis_hq-train_coarse.json (+ .provenance.json)
#   <work_dir>/self_correction/round_<k>/val/ytvis_hq-val_coarse.json
# Data: data/ovis/{annotations_train.json, train/}, data/youtube_vis_2019/{train.json,
# train/JPEGImages/}, data/hq_ytvis/ytvis_hq-{train,val}.json, and the coarse files of the
# split videos made once with
#   python tools/dataset_converters/hq_ytvis_coarse.py \
#       data/youtube_vis_2019/train.json data/hq_ytvis data/hq_ytvis_coarse
_base_ = ['../vmt/vmt_r50_8xb2-12e_ovis.py']

# The refiner on given (degraded) masks, class-agnostic; the base head is not trained
# (find_unused_parameters, set by the base model config).
model = dict(type='GivenMaskRefiner')

ytvis_frames = dict(img_path='youtube_vis_2019/train/JPEGImages')
self_correction = dict(
    num_rounds=4,
    conf_thr=0.65,
    coarse_dataset=dict(
        type='YouTubeVISDataset',
        dataset_version='2019',
        data_root='data/',
        ann_file='hq_ytvis_coarse/ytvis_hq-train_coarse.json',
        data_prefix=ytvis_frames),
    # Frames at the test scale; the corrected masks are mapped back to the original size.
    frame_pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale={{_base_.test_scale}}, keep_ratio=True),
    ],
    max_tracks_per_pass=8,
    init_from_previous_round=True,
    validation=dict(
        coarse_dataset=dict(
            data_root='data/',
            ann_file='hq_ytvis_coarse/ytvis_hq-val_coarse.json',
            data_prefix=ytvis_frames),
        gt_ann_file='data/hq_ytvis/ytvis_hq-val.json',
        use_refined_segm=True,
        min_delta=0.005))

# Each round trains with the paper's schedule (12 epochs over OVIS frames, AdamW 2e-4,
# x0.1 at the start of the 5th and the 11th epoch; schedules/schedule_12e.py) and keeps
# every epoch's checkpoint so an interrupted round resumes where it stopped.
# No validation during training: the class-agnostic refiner has no class predictions to
# evaluate (the rounds' validation is self_correction.validation above).
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                                     save_last=True))
