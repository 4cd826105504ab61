"""The fine prior: the finest nodes refine the given mask at full resolution.

Shape shorthand:
    M: instances, T: frames per video, V*T: frames of all videos, H x W: the full-resolution
    grid (level 3, ``8 h8 x 8 w8``), P: finest (H/2) nodes, S: a window's side.

A finest node covers pixels ``2y, 2y + 1`` and ``2x, 2x + 1`` at full resolution (its four
sub-labels). Without the prior its token sees the mask only as a value bilinearly upsampled
from H/8, so a 1-3 px halo or a 2 px leg is invisible to it. With it:

* every level reads the given full-resolution mask's own cell fractions
  (:func:`mask_pyramid`) instead of the H/8 logits upsampled;
* the token also sees the mask in the ``FINE_WINDOW``, the RGB image in the ``RGB_WINDOW``
  and a local colour model (:func:`colour_scores`) around its 2 x 2 sub-labels
  (:meth:`FinePrior.node_windows`);
* a sub-label's logit is ``prior_scale * prior + decoder output``
  (:meth:`FinePrior.at_sub_labels` gives the prior; ``prior_scale`` is the head's learnt
  parameter): a refiner that has learnt nothing keeps the given mask, and where it is unsure
  it stays near it.
"""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmvmt.registry import MODELS
from ...layers.mask_logits import fraction_logits
from ...layers.node_windows import gather_window
from ...layers.quadtree import NUM_LEVELS, expand_children, flat_index

# the windows of full-resolution pixels a finest node (2 x 2 pixels at 2y, 2x) sees: the
# mask 2 px around its block, the RGB 1 px around it
FINE_WINDOW = (-2, 6)  # (offset of the first row / column, side)
RGB_WINDOW = (-1, 4)
COLOUR_WINDOW = (-6, 14)  # the local colour model's window (6 px around the block)


@MODELS.register_module()
class FinePrior(nn.Module):
    """What a finest node knows of the given mask at full resolution (module docstring)."""

    #: channels :meth:`node_windows` adds to a finest node's features
    window_channels = FINE_WINDOW[1] ** 2 + 3 * RGB_WINDOW[1] ** 2 + 5

    def node_windows(self, prior: Tensor, images: Tensor, nodes: Tensor,
                     frame_base: Tensor) -> Tensor:
        """What a finest node sees at full resolution: the mask's probabilities in the
        ``FINE_WINDOW`` and the normalised RGB in the ``RGB_WINDOW`` around it, zero outside
        the image, and the local colour model's scores.

        Args:
            prior (Tensor): (M, T, H, W) the full-resolution logits (level 3 of the head's
                mask pyramid).
            images (Tensor): (V*T, 3, H, W) normalised frames.
            nodes (Tensor): (P, 4) long finest nodes.
            frame_base (Tensor): (M,) long, the index in ``images`` of each instance's first
                frame.

        Returns:
            Tensor: (P, ``window_channels``): the 6 x 6 mask window, the 3 x 4 x 4 RGB window
            and the five scores of :func:`colour_scores`.
        """
        m, t, y, x = nodes.unbind(1)
        flat_prior = prior.flatten(0, 1)[:, None]  # (M*T, 1, H, W), a view
        # one gather of the widest window; the others are crops of it
        mask, inside = gather_window(flat_prior, m * prior.shape[1] + t, 2 * y, 2 * x,
                                     *COLOUR_WINDOW)
        rgb, _ = gather_window(images, frame_base[m] + t, 2 * y, 2 * x, *COLOUR_WINDOW)
        mask = mask[:, 0]  # (P, S, S) logits, 0 outside the image

        def crop(win: Tensor, window: Tuple[int, int]) -> Tensor:
            start = window[0] - COLOUR_WINDOW[0]
            return win[..., start:start + window[1], start:start + window[1]]

        probs = crop(mask.sigmoid() * inside, FINE_WINDOW)
        return torch.cat([probs.flatten(1), crop(rgb, RGB_WINDOW).flatten(1),
                          colour_scores(mask > 0, rgb, inside)], 1)

    @staticmethod
    def at_sub_labels(prior: Tensor, nodes: Tensor) -> Tensor:
        """The prior logit at each finest node's four sub-labels.

        Args:
            prior (Tensor): (M, T, H, W) full-resolution logits.
            nodes (Tensor): (P, 4) long finest nodes.

        Returns:
            Tensor: (P, 4), child order of ``expand_children``.
        """
        children = expand_children(nodes)[0]
        return prior.flatten()[flat_index(children, prior.shape[1:])].view(-1, 4)


def colour_scores(mask: Tensor, rgb: Tensor, inside: Tensor) -> Tensor:
    """A local colour model of each finest node: which side of the given mask each of its
    four pixels looks like.

    In the ``COLOUR_WINDOW`` around the node, the mean RGB under the given mask (``in``) and
    outside it (``out``); for each of the node's 2 x 2 pixels the score
    ``(d_out - d_in) / (d_out + d_in)`` in [-1, 1] of its squared distances to them (1: it
    looks like the inside), and the contrast ``|in - out|``. Whatever the texture or the
    palette of a video, a halo pixel looks like the background next to it and a leg pixel
    like the body: a cue that does not depend on the style the refiner trained on.

    Args:
        mask (Tensor): (P, S, S) bool, the given mask in each node's ``COLOUR_WINDOW``.
        rgb (Tensor): (P, 3, S, S) the normalised image in the same windows.
        inside (Tensor): (P, S, S) bool, window pixels inside the image.

    Returns:
        Tensor: (P, 5): four scores (child order of ``expand_children``), the contrast.
    """
    sides = torch.stack([mask & inside, ~mask & inside], -1).flatten(1, 2).to(rgb.dtype)
    area = sides.sum(1)  # (P, 2): pixels in, out
    sums = torch.bmm(rgb.flatten(2), sides)  # (P, 3, 2), no (P, 3, S, S) product
    means = sums / area[:, None].clamp(min=1)
    mean_in, mean_out = means.unbind(-1)
    centre = -COLOUR_WINDOW[0]
    block = rgb[:, :, centre:centre + 2, centre:centre + 2].flatten(2)  # (P, 3, 4) row-major
    d_in = (block - mean_in[..., None]).square().sum(1)
    d_out = (block - mean_out[..., None]).square().sum(1)
    scores = (d_out - d_in) / (d_out + d_in).clamp(min=1e-6)
    scores = scores * (area > 0).all(1).to(scores.dtype)[:, None]
    return torch.cat([scores, (mean_in - mean_out).norm(dim=1, keepdim=True)], 1)


def mask_pyramid(coarse_logits: Tensor, fine_masks: Tensor) -> List[Tensor]:
    """The given full-resolution masks seen at every quadtree level.

    Args:
        coarse_logits (Tensor): (M, T, h8, w8) logits at H/8 (level 0, kept as they are).
        fine_masks (Tensor): (M, T, 8 h8, 8 w8) float masks in [0, 1].

    Returns:
        list[Tensor]: levels 0-3, (M, T, h8 * 2**l, w8 * 2**l): level 0 ``coarse_logits``,
        level l > 0 the logit of each cell's foreground fraction (area average of
        ``fine_masks`` over the cell), clamped as the H/8 logits of given masks are
        (:func:`~mmvmt.models.layers.fraction_logits`).
    """
    flat = fine_masks.flatten(0, 1)[:, None]
    levels = [coarse_logits]
    for level in range(1, NUM_LEVELS + 1):
        side = 1 << (NUM_LEVELS - level)
        frac = F.avg_pool2d(flat, side) if side > 1 else flat
        levels.append(fraction_logits(frac)[:, 0].view(*fine_masks.shape[:2],
                                                       *frac.shape[-2:]))
    return levels
