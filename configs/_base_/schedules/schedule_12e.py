# The VMT paper's schedule, which is SeqFormer's: 12 epochs, AdamW lr 2e-4 (x0.1 for the
# backbone and the deformable sampling offsets / reference points), gradient clipping 0.1,
# lr x0.1 at the start of the 5th and of the 11th epoch.
#
# SeqFormer (main.py) runs torch's MultiStepLR(milestones=args.lr_drop) with
# `--lr_drop 4 10`, stepped once after every epoch: epoch e (0-based) trains at
# 2e-4 * 0.1 ** (number of milestones <= e), i.e. epochs 0-3 at 2e-4, 4-9 at 2e-5,
# 10-11 at 2e-6. mmengine's epoch-based MultiStepLR counts the same way (ParamSchedulerHook
# steps it after every epoch; the value changes when the step count reaches a milestone),
# so the milestones are the same 0-based numbers: [4, 10]. (`milestones=[5, 11]` would
# decay one epoch late: epochs 0-4 at 2e-4 and only epoch 11 at 2e-6.)
# tests/test_schedules/test_schedule_12e.py steps this schedule and checks every epoch.
#
# An "epoch" is whatever the train dataloader counts: the paper configs use
# FrameLevelDataset, one clip per frame as SeqFormer counts (configs/_base_/datasets/).
max_epochs = 12
lr_milestones = [4, 10]
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
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=lr_milestones, gamma=0.1)
]

# Logs, once at the start of training, how many iterations an epoch has and why.
custom_hooks = [dict(type='EpochLengthHook')]

# 8 GPUs x 2 clips.
auto_scale_lr = dict(enable=False, base_batch_size=16)
