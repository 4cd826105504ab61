# YouTube-VIS 2019 + COCO pseudo-clips: SeqFormer's joint training (`--dataset_file
# jointcoco`, the setting of its best models), one ConcatDataset of
#   - the YouTube-VIS 2019 training videos, one sample per frame (youtube_vis_2019.py), and
#   - the COCO train2017 images of the classes that YouTube-VIS has, each made into a clip
#     of random warps with its categories relabelled (coco_pseudo_clips.py),
# both through the same clip augmentation. An epoch is one pass over both, F frames + C
# images: floor(ceil((F + C) / num_gpus) / 2) iterations at 2 clips per GPU.
_base_ = ['./youtube_vis_2019.py', './coco_pseudo_clips.py']

coco_clips = dict(
    type='PseudoVideoDataset',
    classes={{_base_.ytvis_classes}},
    class_map={{_base_.coco_to_ytvis}},
    dataset={{_base_.coco_image_dataset}},
    pipeline=[
        {{_base_.pseudo_clip_transform}},
        dict(type='Compose', transforms={{_base_.clip_augmentation}}),
        dict(type='PackVMTInputs')
    ])
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[{{_base_.train_dataloader.dataset}}, coco_clips]))
