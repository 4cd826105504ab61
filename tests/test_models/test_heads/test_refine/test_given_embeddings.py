import pytest
import torch
from torch import nn

from mmvmt.registry import MODELS


def features():
    """One video of one frame, 1 channel, a 2 x 4 grid: value = column index."""
    return torch.arange(4.).repeat(2, 1)[None, None]  # (1, 1, 2, 4)


def test_pooling_uses_the_interior_and_falls_back_to_coverage_for_small_masks():
    pooled = MODELS.build(dict(type='PooledEmbeddings', min_cells=2))
    masks = torch.zeros(2, 1, 2, 4)
    masks[0, 0, :, 0] = 1.  # two interior cells at column 0
    masks[0, 0, :, 3] = 0.4  # grazed cells: left out
    masks[1, 0, 0, 2] = 1.  # one interior cell: fewer than min_cells
    masks[1, 0, 0, 3] = 0.25
    video, frame = pooled.pool(masks, torch.zeros(2, dtype=torch.long), features())
    # track 1 over every touched cell weighted by coverage: (2 * 1 + 3 * 0.25) / 1.25
    assert torch.allclose(video[:, 0], torch.tensor([0., 2.2]))
    assert torch.allclose(frame[:, 0, 0], video[:, 0])


def test_query_embeddings_take_the_matched_query_and_pool_the_rest():
    query = MODELS.build(dict(type='QueryEmbeddings', min_cells=1, min_iou=0.5))
    masks = torch.zeros(2, 1, 2, 4)
    masks[0, 0, :, :2] = 1.
    masks[1, 0, :, 3] = 1.
    queries = dict(inst_embeds=torch.tensor([[7.], [9.]]),
                   coarse_logits=torch.full((2, 1, 2, 4), -20.))
    queries['coarse_logits'][1, 0, :, :2] = 20.  # query 1 overlaps track 0 exactly
    project = nn.Identity()
    video, frame = query(masks, torch.zeros(2, dtype=torch.long), features(), project, queries)
    assert video[:, 0].tolist() == [9., 3.]  # track 1: no query reaches 0.5, pooled
    assert frame[:, 0, 0].tolist() == [0.5, 3.]  # per frame always pooled
    with pytest.raises(ValueError, match='queries'):
        query(masks, torch.zeros(2, dtype=torch.long), features(), project)
    assert query.needs_queries and not MODELS.build(dict(type='PooledEmbeddings')).needs_queries
