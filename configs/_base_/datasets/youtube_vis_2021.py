# YouTube-VIS 2021, read from the official files (no conversion step):
#   data/youtube_vis_2021/train/instances.json, train/JPEGImages/...
#   data/youtube_vis_2021/valid/instances.json, valid/JPEGImages/...  (server evaluation)
_base_ = './youtube_vis_2019.py'

dataset_version = '2021'
data_root = 'data/youtube_vis_2021/'

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            dataset_version=dataset_version,
            ann_file='train/instances.json')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='valid/instances.json'))
test_dataloader = val_dataloader

val_evaluator = dict(outfile_prefix='./youtube_vis_2021_results')
test_evaluator = val_evaluator
