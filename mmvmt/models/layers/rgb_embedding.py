"""Low-level RGB embedding that VMT adds to the node features at H/2."""
from torch import Tensor, nn


class RGBEmbedding(nn.Module):
    """Three 3x3 convolutions on the image; the first has stride 2, giving H/2 features.

    Args:
        in_channels (int): image channels.
        embed_channels (int): output channels.
    """

    def __init__(self, *, in_channels: int = 3, embed_channels: int = 16) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, embed_channels, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(embed_channels, embed_channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(embed_channels, embed_channels, 3, padding=1))

    def forward(self, images: Tensor) -> Tensor:
        """Embed images.

        Args:
            images (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, embed_channels, ceil(H / 2), ceil(W / 2)).
        """
        return self.layers(images)
