import numpy as np
import pytest

from mmvmt.datasets.transforms import SkipEmptyClip


def clip(ids_per_frame, ignored=()):
    return dict(gt_instances_ids=[np.array(ids) for ids in ids_per_frame],
                gt_ignore_flags=[np.array([i in ignored for i in ids], bool)
                                 for ids in ids_per_frame])


def test_a_clip_with_an_object_in_any_frame_passes_unchanged():
    results = clip([[], [4], []])
    assert SkipEmptyClip()(results) is results


def test_a_clip_without_objects_or_with_only_ignored_ones_is_redrawn():
    assert SkipEmptyClip()(clip([[], [], []])) is None
    assert SkipEmptyClip()(clip([[7], [7]], ignored={7})) is None
    no_flags = dict(gt_bboxes_labels=[np.zeros(0), np.zeros(0)])
    assert SkipEmptyClip()(no_flags) is None
    assert SkipEmptyClip()(dict(gt_bboxes_labels=[np.zeros(1)])) is not None


def test_a_clip_without_annotations_is_an_error():
    with pytest.raises(KeyError, match='gt_instances_ids'):
        SkipEmptyClip()(dict(img=[np.zeros((2, 2, 3))]))
