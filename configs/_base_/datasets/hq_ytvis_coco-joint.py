# HQ-YTVIS + COCO pseudo-clips: how the VMT release trained its models ("Train on HQ-YTVIS
# train set and COCO", SeqFormer's joint training `--dataset_file jointcoco` on the HQ-YTVIS
# annotations), one ConcatDataset of
#   - the HQ-YTVIS training videos, one sample per frame (hq_ytvis.py), and
#   - the COCO train2017 images of the classes that YouTube-VIS has, each made into a clip
#     of random warps with its categories relabelled (coco_pseudo_clips.py),
# both through the same clip augmentation. An epoch is one pass over both, F frames + C
# images: floor(ceil((F + C) / num_gpus) / 2) iterations at 2 clips per GPU.
_base_ = ['./hq_ytvis.py', './coco_pseudo_clips.py']

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
