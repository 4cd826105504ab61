import torch

from mmvmt.models.layers.rgb_embedding import RGBEmbedding


def test_rgb_embedding_gives_half_resolution():
    emb = RGBEmbedding(embed_channels=6)
    assert emb(torch.randn(2, 3, 16, 24)).shape == (2, 6, 8, 12)
    assert emb(torch.randn(1, 3, 15, 23)).shape == (1, 6, 8, 12)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in emb.modules()) == 3
