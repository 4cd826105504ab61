"""BDD100K MOTS evaluation through the official toolkit (``scalabel`` / ``bdd100k``)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.metrics.base_video_metric import BaseVideoMetric

from mmvmt.registry import METRICS
from mmvmt.structures import bdd100k_mots_config, load_bdd100k_mots_frames


@METRICS.register_module()
class BDD100KMOTSMetric(BaseVideoMetric):
    """mMOTSA, mMOTSP, mIDF1, ID switches and mAP of BDD100K MOTS, as the toolkit computes.

    The predictions (``pred_track_instances`` of each frame: ``masks`` (K, H, W) at the
    original size, ``labels`` 0-based over the 8 classes, ``scores``, ``instances_id``) are
    turned into scalabel frames with RLE labels; the ground truth is read from ``ann_file``
    (RLE JSON or bitmask folder) by the same toolkit reader as
    :class:`~mmvmt.datasets.BDD100KMOTSDataset`
    (:func:`~mmvmt.structures.load_bdd100k_mots_frames`). Then
    ``scalabel.eval.mots.evaluate_seg_track`` gives the CLEAR-MOT numbers on masks
    (MOTSA = its MOTA on masks) and ``scalabel.eval.ins_seg.evaluate_ins_seg`` the mask AP.
    Only the videos that were predicted are evaluated; a GT frame without a prediction
    counts as an empty prediction, and a predicted frame (video folder and file name of
    its ``img_path``) without a GT frame is an error, not silently dropped.

    Args:
        ann_file (str): The split's labels (what the dataset's ``ann_file`` is).
        iou_thr (float): IoU for a match. Defaults to 0.5 (the benchmark's).
        ignore_iof_thr (float): Intersection over prediction with an ignored / crowd region
            above which an unmatched prediction is not a false positive. Defaults to 0.5.
        collect_device (str): As in mmengine's ``BaseMetric``.
        prefix (str, optional): Prefix of the metric names. Defaults to ``'bdd_mots'``.
    """

    default_prefix: Optional[str] = 'bdd_mots'

    def __init__(self, ann_file: str, iou_thr: float = 0.5, ignore_iof_thr: float = 0.5,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.iou_thr = iou_thr
        self.ignore_iof_thr = ignore_iof_thr

    def process_video(self, data_samples: Sequence) -> None:
        """Store every frame's predictions of one video as RLEs."""
        self._process_frames(data_samples)

    def process_image(self, data_samples: Sequence, ori_video_len: int) -> None:
        """Store the predictions of frames that come one by one."""
        self._process_frames(data_samples)

    def _process_frames(self, data_samples: Sequence) -> None:
        from scalabel.label.transforms import mask_to_rle
        for frame in data_samples:
            frame = frame.to_dict() if hasattr(frame, 'to_dict') else frame
            pred = frame['pred_track_instances']
            masks = pred['masks']
            masks = masks.cpu().numpy() if hasattr(masks, 'cpu') else np.asarray(masks)
            labels = []
            for mask, label, score, iid in zip(masks, pred['labels'].tolist(),
                                               pred['scores'].tolist(),
                                               pred['instances_id'].tolist()):
                labels.append(dict(id=str(int(iid)), label=int(label), score=float(score),
                                   rle=mask_to_rle(np.asarray(mask, np.uint8)).dict()))
            parts = frame['img_path'].replace('\\', '/').split('/')
            self.results.append(dict(video=parts[-2], name=parts[-1], labels=labels))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Run the toolkit's evaluators.

        Args:
            results (list[dict]): Per-frame predictions from :meth:`process_video`.

        Returns:
            dict: ``mMOTSA``, ``mMOTSP``, ``mIDF1`` (means over the 8 classes, a class
            without GT counting as the toolkit counts it), ``IDSw`` (total), ``MOTSA`` and
            ``IDF1`` over all classes together, and ``mAP``; all in [0, 100] as the
            toolkit reports them.
        """
        from scalabel.eval.ins_seg import evaluate_ins_seg
        from scalabel.eval.mots import acc_single_video_mots, evaluate_seg_track
        from scalabel.label.io import group_and_sort
        from scalabel.label.typing import Frame, Label

        from scalabel.label.utils import get_leaf_categories

        classes = bdd100k_mots_config().scalabel
        names = [c.name for c in get_leaf_categories(classes.categories)]
        predicted = {(r['video'], r['name']): r['labels'] for r in results}
        videos = {v for v, _ in predicted}
        gt_frames = [f for f in load_bdd100k_mots_frames(self.ann_file) if f.videoName in videos]
        if not gt_frames:
            raise ValueError(f'{self.ann_file}: none of the predicted videos '
                             f'{sorted(videos)[:5]} has labels there')
        unmatched = sorted(set(predicted) - {(f.videoName, f.name) for f in gt_frames})
        if unmatched:
            raise ValueError(
                f'{self.ann_file}: {len(unmatched)} predicted frames (video, frame name) '
                f'match no labelled frame, e.g. {unmatched[:5]}; are the images and labels '
                'of the same split and release?')
        pred_frames = []
        for gt in gt_frames:
            labels = [Label(id=p['id'], category=names[p['label']], score=p['score'],
                            rle=p['rle'])
                      for p in predicted.get((gt.videoName, gt.name), [])]
            pred_frames.append(Frame(name=gt.name, videoName=gt.videoName,
                                     frameIndex=gt.frameIndex, labels=labels))

        track = evaluate_seg_track(acc_single_video_mots, gts=group_and_sort(gt_frames),
                                   results=group_and_sort(pred_frames), config=classes,
                                   iou_thr=self.iou_thr, ignore_iof_thr=self.ignore_iof_thr,
                                   nproc=1)
        segm = evaluate_ins_seg(gt_frames, pred_frames, classes, nproc=1)
        track_summary, segm_summary = track.summary(), segm.summary()
        return dict(mMOTSA=float(track_summary['mMOTA']),
                    mMOTSP=float(track_summary['mMOTP']),
                    mIDF1=float(track_summary['mIDF1']),
                    IDSw=float(track_summary['IDSw']),
                    MOTSA=float(track.MOTA[-1]['OVERALL']),
                    IDF1=float(track.IDF1[-1]['OVERALL']),
                    mAP=float(segm_summary['AP']))

