"""What VideoMaskTransfiner and GivenMaskRefiner give their refinement head: temporal
positions (the frames' indices in the video) and the instance embeddings of given masks
('pooled' or 'query')."""
import importlib.util
import os.path as osp

import pytest
import torch


# the tiny model and its recording stand-in head, from test_vmt.py beside this file
_spec = importlib.util.spec_from_file_location(
    '_vmt_test_helpers', osp.join(osp.dirname(osp.abspath(__file__)), 'test_vmt.py'))
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
build, build_given, make_clip = _helpers.build, _helpers.build_given, _helpers.make_clip
real_refine_head = _helpers.real_refine_head


def test_training_positions_are_the_sampled_frames_indices_in_the_video():
    """A clip sampled from the middle of a video (frames 10, 13, 17 and 4, 5, 6): the refiner
    gets those indices, not 0, 1, 2."""
    model = build()
    clips = [make_clip(3, seed=0), make_clip(3, seed=1)]
    for (_, sample), ids in zip(clips, ([10, 13, 17], [4, 5, 6])):
        for frame, frame_id in zip(sample.video_data_samples, ids):
            frame.set_metainfo(dict(frame_id=frame_id))
    data = model.data_preprocessor(dict(inputs=[c[0] for c in clips],
                                        data_samples=[c[1] for c in clips]), training=True)
    model(**data, mode='loss')
    assert model.refine_head.calls[-1]['frame_ids'].tolist() == [[10, 13, 17], [4, 5, 6]]


def test_test_positions_are_the_whole_videos_indices_with_chunked_features():
    """Backbone and encoder in chunks of 2 frames, one refinement over all 7 frames with
    positions 0..6 (Quadtree Sequence Grouping over the whole video)."""
    model = build().eval()
    imgs, sample = make_clip(7, with_gt=False)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]))
    with torch.no_grad():
        model(**data, mode='predict')
    calls = model.refine_head.calls
    assert len(calls) == 1 and calls[0]['frame_ids'].tolist() == [list(range(7))]
    assert calls[0]['coarse_logits'].shape[1] == 7


def test_refine_masks_with_query_embeddings():
    """given_embeddings='query': refine_masks runs the decoder and hands its predictions of
    the video to the head; 'pooled' does not run it."""
    model = build_given().eval()
    imgs, _ = make_clip(3, height=60, width=90)
    coarse = torch.zeros(2, 3, 60, 90, dtype=torch.bool)
    coarse[0, :, 10:40, 10:50] = True
    coarse[1, :, 20:30, 50:80] = True
    model.refine_masks(imgs, coarse)
    assert model.refine_head.given_queries[-1] is None
    model.refine_head.given_embeddings = 'query'
    model.refine_masks(imgs, coarse)
    queries = model.refine_head.given_queries[-1]
    assert queries.inst_embeds.shape == (4, 32)
    assert queries.coarse_logits.shape == (4, 3, 8, 12)
    assert queries.query_inds.shape == (4,)


def test_real_head_refines_given_masks_with_query_embeddings_and_given_training_refuses_it():
    model = build_given(dict(real_refine_head(), given_embeddings='query')).eval()
    imgs, _ = make_clip(3, height=60, width=90)
    coarse = torch.zeros(2, 3, 60, 90, dtype=torch.bool)
    coarse[0, :, 10:40, 10:50] = True
    answer = model.refine_masks(imgs, coarse)
    assert answer.probs.shape == answer.region.shape == coarse.shape
    model.train()
    imgs, sample = make_clip(2)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[sample]), training=True)
    for frame in data['data_samples'][0].video_data_samples:
        frame.gt_instances.coarse_masks = frame.gt_instances.masks
    with pytest.raises(ValueError, match='given_embeddings'):
        model(**data, mode='loss')
