# COCO train2017 images as pseudo-clips for joint training with a YouTube-VIS 2019-class
# video dataset (SeqFormer's `--dataset_file jointcoco`, which the VMT release also trains
# with). Not a dataset config of its own: youtubevis2019_coco-joint.py and
# hq_ytvis_coco-joint.py put its pieces next to their video dataset.
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/*.jpg
coco_root = 'data/coco/'

# The COCO categories with a YouTube-VIS 2019 counterpart, mapped as SeqFormer maps them
# (`ConvertCocoPolysToMask.category_map` in datasets/coco2seq.py of the SeqFormer code and
# of the VMT release, there as COCO id -> YouTube-VIS id; here by name). Keys in COCO id
# order: mmdet's CocoDataset numbers the selected categories in the file's order, and
# PseudoVideoDataset reads label i as the i-th key. Left out: SeqFormer's 74 -> 24, i.e.
# COCO's "mouse" (a computer mouse) to YouTube-VIS 2019's "fox" (24 is "mouse" in the
# YouTube-VIS 2021 list, where that entry of the map comes from).
coco_to_ytvis = {
    'person': 'person',
    'bicycle': 'motorbike',
    'car': 'sedan',
    'motorcycle': 'motorbike',
    'airplane': 'airplane',
    'train': 'train',
    'truck': 'truck',
    'boat': 'boat',
    'cat': 'cat',
    'dog': 'dog',
    'horse': 'horse',
    'cow': 'cow',
    'elephant': 'elephant',
    'bear': 'bear',
    'zebra': 'zebra',
    'giraffe': 'giraffe',
    'snowboard': 'snowboard',
    'skateboard': 'skateboard',
    'surfboard': 'surfboard',
    'tennis racket': 'tennis_racket',
}
# The video dataset's classes (YouTube-VIS 2019 = HQ-YTVIS categories, in id order): the
# pseudo-clips' labels index this list, and ConcatDataset checks both parts have the same.
ytvis_classes = (
    'person', 'giant_panda', 'lizard', 'parrot', 'skateboard', 'sedan', 'ape', 'dog',
    'snake', 'monkey', 'hand', 'rabbit', 'duck', 'cat', 'cow', 'fish', 'train', 'horse',
    'turtle', 'bear', 'motorbike', 'giraffe', 'leopard', 'fox', 'deer', 'owl', 'surfboard',
    'airplane', 'truck', 'zebra', 'tiger', 'elephant', 'snowboard', 'boat', 'shark', 'mouse',
    'frog', 'eagle', 'earless_seal', 'tennis_racket')

coco_image_dataset = dict(
    type='CocoDataset',
    data_root=coco_root,
    ann_file='annotations/instances_train2017.json',
    data_prefix=dict(img='train2017/'),
    metainfo=dict(classes=tuple(coco_to_ytvis)),
    # Images without any of these classes are dropped (SeqFormer trains on such a
    # filtered file, coco_keepfor_ytvis19.json).
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    ])

# SeqFormer: 5 frames (the video clips' num_frames), rotation <= 20 deg, shift <= 10 %,
# perspective 0.08; images with more than 25 objects are skipped.
pseudo_clip_transform = dict(
    type='ImageToPseudoClip', num_frames=5, max_rotate=20.0, max_translate=0.1,
    max_perspective=0.08, max_instances=25)
