# The VMT paper's schedule: 12 epochs, AdamW lr 2e-4, lr x0.1 at epochs 5 and 11
# (SeqFormer's lr multipliers for the backbone and the deformable sampling offsets).
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points_fc': dict(lr_mult=0.1)
        }))

param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[5, 11],
         gamma=0.1)
]

# 8 GPUs x 2 clips.
auto_scale_lr = dict(enable=False, base_batch_size=16)
