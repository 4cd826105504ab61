# OVIS (25 classes), read from the official files (no conversion step):
#   data/ovis/annotations_train.json, train/<video>/<frame>.jpg
#   data/ovis/annotations_valid.json, valid/...  (no annotations: server evaluation)
# Training also degrades the accurate masks (the self-correction refiner's input) and
# derives the refinement region from them.
_base_ = './youtube_vis_2019.py'

dataset_type = 'OVISDataset'
data_root = 'data/ovis/'

# SeqFormer's clip augmentation (youtube_vis_2019.py), then the degradation of the exact
# masks and the refinement regions, computed at the network's resolution.
train_pipeline = [
    dict(type='SeqFormerFrameSample', num_frames={{_base_.num_frames}}, local_range=3),
    dict(type='TransformBroadcaster', share_random_params=True,
         transforms={{_base_.load_transforms}}),
    dict(type='Compose', transforms={{_base_.clip_augmentation}}),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='MaskDegradation'),
            dict(type='RefinementRegionTarget', dilation=3),
        ]),
    dict(type='PackVMTInputs')
]

# One sample per frame (FrameLevelDataset, see youtube_vis_2019.py).
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type=dataset_type,
            data_root=data_root,
            ann_file='annotations_train.json',
            data_prefix=dict(img_path='train'),
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

val_evaluator = dict(outfile_prefix='./ovis_results')
test_evaluator = val_evaluator
