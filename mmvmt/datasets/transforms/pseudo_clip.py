"""Turn one annotated image into a pseudo-clip of T frames (SeqFormer's COCO joint training).

Shape shorthand: T frames, N instances, H x W the image.

Each frame but one is the image under its own random homography: a rotation and a scale
about the image centre, a translation, and a small perspective jitter of the corners (the
frames are independent views of the one image, not a trajectory, as in SeqFormer's
``ImageToSeqAugmenter``). The image is warped bilinearly and every instance mask with the
same matrix by nearest neighbour; boxes are the warped masks' bounding boxes. An instance
whose warped mask is empty in a frame is absent from that frame, as an object outside a
video frame is. The untouched image is one of the frames, at a random place in the clip.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmvmt.registry import TRANSFORMS

# Keys a loaded image has that no longer describe the warped frames.
_STALE_KEYS = ('instances', 'gt_bboxes', 'gt_masks', 'gt_bboxes_labels', 'gt_ignore_flags',
               'gt_instances_ids', 'gt_seg_map', 'seg_map_path')


def random_homography(width: int, height: int, rng: np.random.RandomState,
                      max_rotate: float, max_translate: float, scale_range: Tuple[float, float],
                      max_perspective: float) -> np.ndarray:
    """Draw a small random homography of a W x H image.

    Args:
        width (int): W.
        height (int): H.
        rng (np.random.RandomState): Source of randomness.
        max_rotate (float): Rotation uniform in [-max_rotate, max_rotate] degrees.
        max_translate (float): Shift uniform in [-max_translate, max_translate] x (W, H).
        scale_range (tuple[float, float]): Scale uniform in this range.
        max_perspective (float): Each warped corner moves by up to this x (W, H).

    Returns:
        np.ndarray: (3, 3) float64 matrix from source to target pixel coordinates (x, y).
    """
    angle = rng.uniform(-max_rotate, max_rotate)
    scale = rng.uniform(*scale_range)
    affine = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    affine[:, 2] += rng.uniform(-max_translate, max_translate, 2) * (width, height)
    matrix = np.vstack([affine, [0., 0., 1.]])
    if max_perspective <= 0:
        return matrix
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    moved = cv2.perspectiveTransform(corners[None], matrix)[0]
    moved += rng.uniform(-max_perspective, max_perspective, (4, 2)) * (width, height)
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32)).astype(np.float64)


def warp_instance_masks(masks: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warp binary masks (N, H, W) by ``matrix`` (nearest neighbour, zero outside)."""
    n, h, w = masks.shape
    out = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        out[i] = cv2.warpPerspective(masks[i].astype(np.uint8), matrix, (w, h),
                                     flags=cv2.INTER_NEAREST, borderValue=0)
    return out


@TRANSFORMS.register_module()
class ImageToPseudoClip(BaseTransform):
    """Make a clip of ``num_frames`` randomly warped copies of one annotated image.

    Input: a loaded image and its annotations as mmdet's ``LoadImageFromFile`` +
    ``LoadAnnotations(with_bbox=True, with_mask=True)`` give them (``img`` (H, W, 3),
    ``gt_masks`` N masks, ``gt_bboxes_labels`` (N, ), ``gt_ignore_flags`` (N, )). Output:
    the layout of a sampled video clip (what ``SeqFormerFrameSample`` and a broadcast
    ``LoadTrackAnnotations`` give), per-frame lists of ``img``, ``img_shape``,
    ``ori_shape``, ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_masks`` (``BitmapMasks``),
    ``gt_ignore_flags``, ``gt_instances_ids`` (instance n of the image is track n),
    ``frame_id``, ``video_id``, ``video_length``, ``img_id``, ``img_path`` and
    ``key_frame_flags`` (True on the unwarped frame); any other key is repeated per frame.
    The clip's augmentations (flip, resize, crop, photometric) follow in a
    ``TransformBroadcaster``, exactly as for video clips.

    The defaults are SeqFormer's (``datasets/coco2seq.py``): rotation up to 20 degrees,
    translation up to 10 %, no scaling, perspective 0.08, 5 frames, images with more than
    25 instances skipped. SeqFormer's augmenter also blurs 25 % of the frames and shifts
    brightness and hue per frame; here appearance changes come from the clip pipeline's
    per-frame ``PhotoMetricDistortion``, and there is no motion blur.

    Args:
        num_frames (int): Frames per clip, T. Defaults to 5.
        max_rotate (float): Largest rotation, degrees. Defaults to 20.
        max_translate (float): Largest shift as a fraction of W and H. Defaults to 0.1.
        scale_range (tuple[float, float]): Range of the scale. Defaults to (1.0, 1.0).
        max_perspective (float): Largest corner jitter as a fraction of W and H.
            Defaults to 0.08.
        max_instances (int, optional): Return None (the dataset then draws another image)
            for an image with more non-ignored instances than this, or with none.
            Defaults to 25.
        seed (int, optional): Seed of a private random generator (tests); None draws from
            ``np.random``, which mmengine seeds per worker.
    """

    def __init__(self, num_frames: int = 5, max_rotate: float = 20.0,
                 max_translate: float = 0.1, scale_range: Sequence[float] = (1.0, 1.0),
                 max_perspective: float = 0.08, max_instances: Optional[int] = 25,
                 seed: Optional[int] = None) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'scale_range must be (low, high) with 0 < low <= high, got '
                             f'{scale_range}')
        self.num_frames = num_frames
        self.max_rotate = max_rotate
        self.max_translate = max_translate
        self.scale_range = tuple(scale_range)
        self.max_perspective = max_perspective
        self.max_instances = max_instances
        self.seed = seed
        self._rng = np.random.RandomState(seed) if seed is not None else np.random

    def transform(self, results: dict) -> Optional[Dict[str, List]]:
        """Warp the image into a clip.

        Args:
            results (dict): One loaded, annotated image.

        Returns:
            dict | None: Per-frame lists (see the class docstring), or None for an image
            with no or too many instances.
        """
        for key in ('img', 'gt_masks', 'gt_bboxes_labels'):
            if key not in results:
                raise KeyError(f'ImageToPseudoClip: `{key}` is missing from '
                               f'{results.get("img_path", "the image")}; load the image and '
                               'its annotations with LoadImageFromFile and '
                               'LoadAnnotations(with_bbox=True, with_mask=True) first')
        img = results['img']
        height, width = img.shape[:2]
        masks = results['gt_masks']
        if isinstance(masks, PolygonMasks):
            masks = masks.to_bitmap()
        masks = masks.to_ndarray().astype(np.uint8)
        labels = np.asarray(results['gt_bboxes_labels'], np.int64)
        ignore = np.asarray(results.get('gt_ignore_flags', np.zeros(len(labels), bool)), bool)
        num_valid = int((~ignore).sum())
        if num_valid == 0 or (self.max_instances is not None
                              and num_valid > self.max_instances):
            return None
        track_ids = np.arange(len(labels), dtype=np.int64)

        original = int(self._rng.randint(self.num_frames))
        out: Dict[str, List] = {key: [] for key in (
            'img', 'img_shape', 'ori_shape', 'gt_bboxes', 'gt_bboxes_labels', 'gt_masks',
            'gt_ignore_flags', 'gt_instances_ids', 'frame_id', 'key_frame_flags')}
        for t in range(self.num_frames):
            if t == original:
                frame, frame_masks = img, masks
            else:
                matrix = random_homography(width, height, self._rng, self.max_rotate,
                                           self.max_translate, self.scale_range,
                                           self.max_perspective)
                frame = cv2.warpPerspective(img, matrix, (width, height),
                                            flags=cv2.INTER_LINEAR, borderValue=0)
                frame_masks = warp_instance_masks(masks, matrix)
            present = frame_masks.reshape(len(labels), -1).any(1)
            bitmaps = BitmapMasks(frame_masks[present], height, width)
            out['img'].append(frame)
            out['img_shape'].append((height, width))
            out['ori_shape'].append((height, width))
            out['gt_masks'].append(bitmaps)
            # (N, 4) x1y1x2y2 arrays, as LoadTrackAnnotations gives them.
            out['gt_bboxes'].append(bitmaps.get_bboxes(HorizontalBoxes).numpy())
            out['gt_bboxes_labels'].append(labels[present])
            out['gt_ignore_flags'].append(ignore[present])
            out['gt_instances_ids'].append(track_ids[present])
            out['frame_id'].append(t)
            out['key_frame_flags'].append(t == original)
        image_id = results.get('img_id', results.get('sample_idx', 0))
        for key, value in results.items():
            if key not in out and key not in _STALE_KEYS:
                out[key] = [value] * self.num_frames
        out['img_id'] = [image_id] * self.num_frames
        out['video_id'] = [image_id] * self.num_frames
        out['video_length'] = [self.num_frames] * self.num_frames
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'max_rotate={self.max_rotate}, max_translate={self.max_translate}, '
                f'scale_range={self.scale_range}, max_perspective={self.max_perspective}, '
                f'max_instances={self.max_instances}, seed={self.seed})')
