"""The typed data between the models' parts: RefinedMasks' derived views, EncodedFrames'
concatenation of chunks (the clamp of given masks: test_layers/test_mask_logits.py)."""
import torch

from mmvmt.models.data import EncodedFrames, RefinedMasks


def test_refined_masks_derive_labels_and_confidence_from_the_probabilities():
    probs = torch.tensor([[[[0.1, 0.5], [0.7, 1.0]]]])
    answer = RefinedMasks(probs=probs, region=torch.ones_like(probs, dtype=torch.bool))
    assert answer.masks.tolist() == [[[[False, False], [True, True]]]]
    torch.testing.assert_close(answer.confidence, torch.tensor([[[[0.9, 0.5], [0.7, 1.0]]]]))
    labels = RefinedMasks.from_labels(answer.masks, answer.confidence, answer.region)
    torch.testing.assert_close(labels.probs, probs)


def test_resized_answer_interpolates_probabilities_and_takes_the_nearest_region():
    probs = torch.tensor([[[[0.0, 1.0]]]])  # (1, 1, 1, 2)
    region = torch.tensor([[[[True, False]]]])
    big = RefinedMasks(probs=probs, region=region).resized((1, 4))
    # bilinear, half-pixel centres: 0, 0.25, 0.75, 1
    torch.testing.assert_close(big.probs, torch.tensor([[[[0.0, 0.25, 0.75, 1.0]]]]))
    assert big.region.tolist() == [[[[True, True, False, False]]]]


def test_chunks_concatenate_with_an_all_valid_mask_where_a_chunk_has_none():
    def chunk(num_frames, mask):
        return EncodedFrames(memory=torch.randn(num_frames, 3, 2), memory_mask=mask,
                             spatial_shapes=torch.tensor([[1, 3]]),
                             level_start_index=torch.tensor([0]),
                             valid_ratios=torch.ones(num_frames, 1, 2), f4=None)
    padded = torch.tensor([[False, False, True]])
    whole = EncodedFrames.cat([chunk(2, None), chunk(1, padded)])
    assert whole.memory.shape == (3, 3, 2) and whole.f4 is None
    assert whole.memory_mask.tolist() == [[False] * 3, [False] * 3, [False, False, True]]
    assert EncodedFrames.cat([chunk(1, None), chunk(1, None)]).memory_mask is None
