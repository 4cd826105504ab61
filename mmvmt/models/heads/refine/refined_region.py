"""Where a refined label may replace a given mask's: self-correction's "do no harm".

Shape shorthand: K instances, T frames, H x W the images.
"""
from torch import Tensor


def refined_region(label_cell: Tensor) -> Tensor:
    """Where a refined label may replace a given mask's label without doing harm.

    Only the pixels that the refiner labelled at full resolution: the four sub-labels of a
    finest (H/2) node (``label_cell == 1``). Everywhere else the refined mask cannot know
    more than the given one:

    * outside every node it is the coarse mask taken down to H/8 and bilinearly back up,
      which erases every leg, antenna or tail a few pixels wide;
    * inside the cell of a coarser leaf node (an H/8 or H/4 node none of whose children was
      selected) it is one value for a whole 8 x 8 or 4 x 4 block: written over a body it
      punches a blocky hole, written over a thin part it erases or widens it. Those cells
      keep the given mask (the refiner never decoded them at the finest level).

    Args:
        label_cell (Tensor): (K, T, H, W) uint8, the ``label_cell`` of
            :meth:`VMTRefineHead.refine` (the side in pixels of the cell whose one
            prediction labels each pixel; 1 at the sub-labels of finest nodes).

    Returns:
        Tensor: (K, T, H, W) bool.
    """
    return label_cell == 1
