"""Turn accurate instance masks into realistic coarse ones (VMT's self-correction input).

Coarse video annotations such as YouTube-VIS's look like polygons with few vertices drawn a
few pixels outside the object. :class:`MaskDegradation` imitates that per instance, in this
order, each step with its own probability:

1. boundary subsampling: the outer contours are simplified to at most ``num_vertices``
   vertices and refilled (holes are filled, as in polygon annotations), and/or a random
   fraction of the pixels in the boundary band of width ``drop_width`` is removed;
2. a random dilation or erosion (elliptic kernel of size ``kernel_size``, ``iterations``
   times);
3. an inflation halo: dilation by a disk of radius ``halo_width``;
4. thin parts left out (before everything else): parts that cannot hold a square of
   ``thin_width`` px are removed, as an annotator skips legs and antennae;
5. a partial-boundary error: steps 2 and 3 act only on one side of a random line through
   the mask's centre, so one stretch of the boundary is wrong and the rest exact.

Steps 4 and 5 are off by default (probability 0); training a refiner that must work on
styles it never saw uses them with halos of 1-6 px (``configs/self_correction/``).

Randomness: one seed per call comes from ``np.random`` through a ``@cache_randomness``
method, so inside mmcv's ``TransformBroadcaster(share_random_params=True)`` every frame of
a clip gets the same seed. Each instance's parameters are drawn from
``np.random.default_rng([seed, instance_id])``: a track is degraded the same way in every
frame of the clip whatever the instances' order, and the whole thing is reproducible
under mmengine's ``set_random_seed``.
"""
from typing import Dict, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.structures.mask import BitmapMasks

from mmvmt.registry import TRANSFORMS
from mmvmt.structures import mask_boundary

Range = Tuple[float, float]


def simplify_mask_polygons(mask: np.ndarray, max_vertices: int) -> np.ndarray:
    """Redraw a mask from its outer contours simplified to at most ``max_vertices`` each.

    Args:
        mask (np.ndarray): Binary mask (H, W).
        max_vertices (int): Most vertices a contour keeps (>= 3).

    Returns:
        np.ndarray: uint8 mask (H, W) of the filled simplified polygons.
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros(mask.shape, dtype=np.uint8)
    polygons = []
    for contour in contours:
        if len(contour) <= max_vertices:
            polygons.append(contour)
            continue
        # Bisect for the smallest tolerance that meets the budget: the closest polygon.
        lo, hi = 0.0, cv2.arcLength(contour, closed=True)
        best = cv2.approxPolyDP(contour, hi, closed=True)
        for _ in range(12):
            mid = (lo + hi) / 2
            approx = cv2.approxPolyDP(contour, mid, closed=True)
            if len(approx) <= max_vertices:
                hi, best = mid, approx
            else:
                lo = mid
        polygons.append(best)
    cv2.fillPoly(out, polygons, 1)
    return out


def half_plane(mask: np.ndarray, angle: float, offset: float) -> np.ndarray:
    """The pixels on the positive side of a line through (near) a mask's centre.

    Args:
        mask (np.ndarray): Non-empty binary mask (H, W).
        angle (float): Direction of the line's normal, rad.
        offset (float): Shift of the line from the centre along the normal, in units of the
            mask's extent along the normal (0: through the centre of mass).

    Returns:
        np.ndarray: bool (H, W).
    """
    ys, xs = np.nonzero(mask)
    normal = np.array((np.cos(angle), np.sin(angle)))
    along = xs * normal[0] + ys * normal[1]
    threshold = along.mean() + offset * (along.max() - along.min())
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    return xx * normal[0] + yy * normal[1] >= threshold


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


@TRANSFORMS.register_module()
class MaskDegradation(BaseTransform):
    """Degrade every instance mask into a coarse one; keep the accurate masks.

    Required keys: ``gt_masks`` (``BitmapMasks`` or ``PolygonMasks``), optionally
    ``gt_instances_ids``. Added key: ``gt_coarse_masks`` (``BitmapMasks``, same N, H, W).
    Put it after the geometric transforms (resize, flip, crop) inside the clip's
    ``TransformBroadcaster``, so the degradation is sized in the network's pixels.

    An instance whose mask would become empty keeps its accurate mask.

    Args:
        keep_prob (float): Probability of leaving an instance's mask untouched.
        simplify_prob (float): Probability of polygon simplification.
        num_vertices (tuple[int, int]): Range (inclusive) of the vertex budget per contour.
        drop_prob (float): Probability of dropping boundary pixels.
        drop_width (tuple[int, int]): Range of the width in px of the band pixels are
            dropped from.
        drop_ratio (tuple[float, float]): Range of the fraction of band pixels dropped.
        morph_prob (float): Probability of a dilation or erosion.
        dilate_prob (float): Probability that the morphological step dilates (else erodes).
        kernel_size (tuple[int, int]): Range of the kernel size; even sizes are rounded up
            to odd.
        iterations (tuple[int, int]): Range of the number of iterations.
        halo_prob (float): Probability of an inflation halo.
        halo_width (tuple[int, int]): Range of the halo radius in px.
        thin_prob (float): Probability of leaving thin parts out.
        thin_width (tuple[int, int]): Range of the side in px of the square that a part
            must hold to be kept.
        partial_prob (float): Probability that the dilation / erosion and the halo act on
            one side of a random line through the mask's centre only.
        in_key (str): Results key of the accurate masks.
        out_key (str): Results key written with the coarse masks.
    """

    def __init__(self,
                 keep_prob: float = 0.1,
                 simplify_prob: float = 0.5,
                 num_vertices: Tuple[int, int] = (6, 20),
                 drop_prob: float = 0.3,
                 drop_width: Tuple[int, int] = (1, 3),
                 drop_ratio: Range = (0.2, 0.6),
                 morph_prob: float = 0.8,
                 dilate_prob: float = 0.5,
                 kernel_size: Tuple[int, int] = (3, 7),
                 iterations: Tuple[int, int] = (1, 3),
                 halo_prob: float = 0.3,
                 halo_width: Tuple[int, int] = (1, 3),
                 thin_prob: float = 0.0,
                 thin_width: Tuple[int, int] = (3, 5),
                 partial_prob: float = 0.0,
                 in_key: str = 'gt_masks',
                 out_key: str = 'gt_coarse_masks') -> None:
        for name, value in dict(keep_prob=keep_prob, simplify_prob=simplify_prob,
                                drop_prob=drop_prob, morph_prob=morph_prob,
                                dilate_prob=dilate_prob, halo_prob=halo_prob,
                                thin_prob=thin_prob, partial_prob=partial_prob).items():
            if not 0 <= value <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        for name, (lo, hi) in dict(num_vertices=num_vertices, drop_width=drop_width,
                                   drop_ratio=drop_ratio, kernel_size=kernel_size,
                                   iterations=iterations, halo_width=halo_width,
                                   thin_width=thin_width).items():
            if lo > hi or lo < 0:
                raise ValueError(f'{name} must be a range (low, high) with 0 <= low <= high, '
                                 f'got ({lo}, {hi})')
        if num_vertices[0] < 3:
            raise ValueError(f'num_vertices must be >= 3, got {num_vertices}')
        self.keep_prob = keep_prob
        self.simplify_prob = simplify_prob
        self.num_vertices = tuple(num_vertices)
        self.drop_prob = drop_prob
        self.drop_width = tuple(drop_width)
        self.drop_ratio = tuple(drop_ratio)
        self.morph_prob = morph_prob
        self.dilate_prob = dilate_prob
        self.kernel_size = tuple(kernel_size)
        self.iterations = tuple(iterations)
        self.halo_prob = halo_prob
        self.halo_width = tuple(halo_width)
        self.thin_prob = thin_prob
        self.thin_width = tuple(thin_width)
        self.partial_prob = partial_prob
        self.in_key = in_key
        self.out_key = out_key

    @cache_randomness
    def _sample_seed(self) -> int:
        """The seed of one call, shared by all frames of a clip under a broadcaster."""
        return int(np.random.randint(0, 2**31 - 1))

    def sample_params(self, seed: int, instance_id: int) -> Dict:
        """Draw one instance's degradation.

        Args:
            seed (int): The call's seed.
            instance_id (int): The instance's track id (or index).

        Returns:
            dict: ``keep`` (bool), ``num_vertices`` (int | None), ``drop`` ((width, ratio,
            pixel seed) | None), ``morph`` (('dilate' | 'erode', kernel, iterations) | None),
            ``halo`` (int | None), ``thin`` (int | None), ``partial`` (angle in rad and
            offset in [-0.5, 0.5] of the line, or None).
        """
        rng = np.random.default_rng([seed, int(instance_id) % 2**32])
        # Every draw happens whatever the outcome, so one parameter's setting does not
        # shift the others'.
        u = rng.random(6)
        vertices = int(rng.integers(self.num_vertices[0], self.num_vertices[1] + 1))
        width = int(rng.integers(self.drop_width[0], self.drop_width[1] + 1))
        ratio = float(rng.uniform(*self.drop_ratio))
        pixel_seed = int(rng.integers(0, 2**31 - 1))
        kernel = int(rng.integers(self.kernel_size[0], self.kernel_size[1] + 1)) | 1
        iterations = int(rng.integers(self.iterations[0], self.iterations[1] + 1))
        halo = int(rng.integers(self.halo_width[0], self.halo_width[1] + 1))
        # Drawn after the others, so that the steps above are the same as without them.
        u_extra = rng.random(2)
        thin = int(rng.integers(self.thin_width[0], self.thin_width[1] + 1))
        line = (float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(-0.5, 0.5)))
        return dict(
            keep=bool(u[0] < self.keep_prob),
            num_vertices=vertices if u[1] < self.simplify_prob else None,
            drop=(width, ratio, pixel_seed) if u[2] < self.drop_prob and width > 0 else None,
            morph=(('dilate' if u[4] < self.dilate_prob else 'erode'), kernel, iterations)
            if u[3] < self.morph_prob and iterations > 0 else None,
            halo=halo if u[5] < self.halo_prob and halo > 0 else None,
            thin=thin if u_extra[0] < self.thin_prob and thin > 1 else None,
            partial=line if u_extra[1] < self.partial_prob else None)

    @staticmethod
    def degrade(mask: np.ndarray, params: Dict) -> np.ndarray:
        """Apply one instance's degradation.

        Args:
            mask (np.ndarray): Accurate binary mask (H, W).
            params (dict): From :meth:`sample_params`.

        Returns:
            np.ndarray: uint8 coarse mask (H, W); the input if ``keep`` or if the result
            would be empty.
        """
        mask = mask.astype(np.uint8)
        if params['keep'] or not mask.any():
            return mask
        out = mask
        if params.get('thin') is not None:
            square = np.ones((params['thin'], params['thin']), np.uint8)
            out = cv2.morphologyEx(out, cv2.MORPH_OPEN, square)
        if params['num_vertices'] is not None:
            out = simplify_mask_polygons(out, params['num_vertices'])
        if params['drop'] is not None:
            width, ratio, pixel_seed = params['drop']
            band = mask_boundary(out, width)
            drop = np.random.default_rng(pixel_seed).random(out.shape) < ratio
            out = (out.astype(bool) & ~(band & drop)).astype(np.uint8)
        before = out
        if params['morph'] is not None:
            op, kernel, iterations = params['morph']
            element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
            morph = cv2.dilate if op == 'dilate' else cv2.erode
            out = morph(out, element, iterations=iterations)
        if params['halo'] is not None:
            out = cv2.dilate(out, _disk(params['halo']))
        if params.get('partial') is not None and before.any():
            side = half_plane(before, *params['partial'])
            out = np.where(side, out, before).astype(np.uint8)
        return out if out.any() else mask

    def transform(self, results: dict) -> dict:
        """Write ``results[out_key]``, the degraded masks of ``results[in_key]``.

        Args:
            results (dict): One frame's results.

        Returns:
            dict: The results with the coarse masks added.
        """
        masks = results.get(self.in_key)
        if masks is None:
            return results
        seed = self._sample_seed()
        array = masks.to_ndarray()
        ids = results.get('gt_instances_ids')
        if ids is None or len(ids) != len(array):
            ids = np.arange(len(array))
        coarse = [self.degrade(m, self.sample_params(seed, i)) for m, i in zip(array, ids)]
        results[self.out_key] = BitmapMasks(
            np.stack(coarse) if coarse else np.zeros((0, masks.height, masks.width), np.uint8),
            masks.height, masks.width)
        return results

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={getattr(self, k)!r}' for k in (
            'keep_prob', 'simplify_prob', 'num_vertices', 'drop_prob', 'drop_width',
            'drop_ratio', 'morph_prob', 'dilate_prob', 'kernel_size', 'iterations',
            'halo_prob', 'halo_width', 'thin_prob', 'thin_width', 'partial_prob', 'in_key',
            'out_key'))
        return f'{self.__class__.__name__}({args})'
