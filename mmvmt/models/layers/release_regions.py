"""Where the VMT release's refiner looks: a boundary band and box masks (pure functions).

Shape shorthand:
    B: maps, M: instances, h x w: the H/2 grid.

The release marks its points to refine with two dilated Laplacians, not with an
incoherence detector: the band is where a binary map changes within 3 cells, widened once
more by the same test on the band itself (about 6 cells either side of an edge). Boxes are
(x0, y0, x1, y1) cells truncated toward zero, rasterised with Python-slice semantics (a
negative start counts from the far edge), exactly as the release indexes its tensors.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

_LAPLACIAN = (-1., -1., -1., -1., 8., -1., -1., -1., -1.)


def laplacian_band(masks: Tensor, dilation: int = 3) -> Tensor:
    """The release's boundary band of binary maps: a dilated 3x3 Laplacian, non-zero -> 1,
    applied twice (zero padding, so a mask touching the border is a boundary there).

    Args:
        masks (Tensor): (B, h, w) float in {0, 1}.
        dilation (int): dilation of the Laplacian.

    Returns:
        Tensor: (B, h, w) float in {0, 1}.
    """
    kernel = masks.new_tensor(_LAPLACIAN).view(1, 1, 3, 3)
    band = masks[:, None]
    for _ in range(2):
        response = F.conv2d(band, kernel, dilation=dilation, padding=dilation)
        # integer responses: the release's "> 0.5 or <= -0.5 -> 1" is "non-zero"
        band = (response.abs() >= 0.5).to(masks.dtype)
    return band[:, 0]


def _slice_bounds(start: Tensor, end: Tensor, size: int):
    """Python's ``a[start:end]`` bounds on an axis of ``size`` (step 1), elementwise."""
    start = torch.where(start < 0, start + size, start).clamp(0, size)
    end = torch.where(end < 0, end + size, end).clamp(0, size)
    return start, end


def sliced_box_masks(boxes: Tensor, h: int, w: int) -> Tensor:
    """Rasterise boxes as the release does: truncate to int, fill ``[y0:y1, x0:x1]``.

    Args:
        boxes (Tensor): (M, 4) (x0, y0, x1, y1) in cells of the h x w grid (float).
        h (int): grid height.
        w (int): grid width.

    Returns:
        Tensor: (M, h, w) float in {0, 1}.
    """
    cells = boxes.trunc().long()
    x0, x1 = _slice_bounds(cells[:, 0], cells[:, 2], w)
    y0, y1 = _slice_bounds(cells[:, 1], cells[:, 3], h)
    xs = torch.arange(w, device=boxes.device)
    ys = torch.arange(h, device=boxes.device)
    in_x = (xs[None] >= x0[:, None]) & (xs[None] < x1[:, None])
    in_y = (ys[None] >= y0[:, None]) & (ys[None] < y1[:, None])
    return (in_y[:, :, None] & in_x[:, None, :]).to(boxes.dtype)
