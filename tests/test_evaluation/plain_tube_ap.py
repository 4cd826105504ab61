"""A plain Tube-Boundary AP, written from the semantics in ../shared/FACTS.md and the
YouTube-VIS API's loops, independent of mmvmt.evaluation: the tests check mmvmt's fast
evaluator against it, and tools/analysis_tools/benchmark_metric.py times it.

It is slow on purpose and obvious on purpose, like the released evaluator: every pair decodes
each frame of both tracks, computes their boundaries with the padded 3x3 erosions, and sums
intersections and unions frame by frame; matching and accumulation are the COCO loops.
"""
import cv2
import numpy as np
import pycocotools.mask as mask_utils


def plain_boundary(mask, ratio=0.02):
    """The released recipe: pad 1 px of zeros, erode d times with 3x3 ones, crop."""
    h, w = mask.shape
    d = max(1, int(round(ratio * np.sqrt(h ** 2 + w ** 2))))
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=d)
    return mask - eroded[1:h + 1, 1:w + 1]


def to_rle(segm, h, w):
    if isinstance(segm, list):
        return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))
    if isinstance(segm['counts'], list):
        return mask_utils.frPyObjects(segm, h, w)
    return segm


def plain_tube_iou(d_seq, g_seq, h, w, boundary, ratio):
    """sum_t |D_t & G_t| / sum_t |D_t | G_t|, decoding every frame of the pair."""
    inter = union = 0
    for d, g in zip(d_seq, g_seq):
        dm = mask_utils.decode(to_rle(d, h, w)) if d is not None else None
        gm = mask_utils.decode(to_rle(g, h, w)) if g is not None else None
        if boundary:
            dm = plain_boundary(dm, ratio) if dm is not None else None
            gm = plain_boundary(gm, ratio) if gm is not None else None
        if dm is not None and gm is not None:
            inter += int(np.logical_and(dm, gm).sum())
            union += int(np.logical_or(dm, gm).sum())
        elif dm is not None:
            union += int(dm.sum())
        elif gm is not None:
            union += int(gm.sum())
    return inter / union if union > 0 else 0.0


def plain_evaluate(gt, results, iou_type='boundary', ratio=0.02, max_dets=(1, 10, 100)):
    """The 12 summary numbers of AP^B ('boundary') or AP^M ('segm')."""
    iou_thrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
    rec_thrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
    area_rngs = [[0 ** 2, 1e5 ** 2], [0 ** 2, 128 ** 2], [128 ** 2, 256 ** 2],
                 [256 ** 2, 1e5 ** 2]]
    videos = {v['id']: v for v in gt['videos']}
    vid_ids = sorted(videos)
    cat_ids = sorted(c['id'] for c in gt['categories'])

    gts, dts = {}, {}
    for ann in gt['annotations']:
        areas = [a for a in ann['areas'] if a]
        g = dict(ann, avg_area=np.array(areas).mean() if areas else 0,
                 ignore=int(ann.get('iscrowd', 0)))
        gts.setdefault((ann['video_id'], ann['category_id']), []).append(g)
    for i, res in enumerate(results):
        v = videos[res['video_id']]
        areas = [float(mask_utils.area(to_rle(s, v['height'], v['width'])))
                 for s in res['segmentations'] if s is not None]
        areas = [a for a in areas if a]
        d = dict(res, id=i + 1, avg_area=np.array(areas).mean() if areas else 0)
        dts.setdefault((res['video_id'], res['category_id']), []).append(d)

    def compute_iou(vid, cat):
        g, d = gts.get((vid, cat), []), dts.get((vid, cat), [])
        if not g or not d:
            return []
        inds = np.argsort([-x['score'] for x in d], kind='mergesort')
        d = [d[i] for i in inds][:max_dets[-1]]
        h, w = videos[vid]['height'], videos[vid]['width']
        ious = np.zeros((len(d), len(g)))
        for i in range(len(d)):
            for j in range(len(g)):
                m = plain_tube_iou(d[i]['segmentations'], g[j]['segmentations'], h, w,
                                   False, ratio)
                if iou_type == 'boundary' and not g[j].get('iscrowd', 0):
                    b = plain_tube_iou(d[i]['segmentations'], g[j]['segmentations'], h, w,
                                       True, ratio)
                    m = min(m, b)
                ious[i, j] = m
        return ious

    ious = {(v, c): compute_iou(v, c) for v in vid_ids for c in cat_ids}

    def evaluate_vid(vid, cat, a_rng, max_det):
        g, d = gts.get((vid, cat), []), dts.get((vid, cat), [])
        if len(g) == 0 and len(d) == 0:
            return None
        for x in g:
            x['_ignore'] = 1 if (x['ignore'] or x['avg_area'] < a_rng[0]
                                 or x['avg_area'] > a_rng[1]) else 0
        gtind = np.argsort([x['_ignore'] for x in g], kind='mergesort')
        g = [g[i] for i in gtind]
        dtind = np.argsort([-x['score'] for x in d], kind='mergesort')
        d = [d[i] for i in dtind[0:max_det]]
        iscrowd = [int(x.get('iscrowd', 0)) for x in g]
        io = ious[vid, cat][:, gtind] if len(ious[vid, cat]) > 0 else ious[vid, cat]
        T, G, D = len(iou_thrs), len(g), len(d)
        gtm, dtm = np.zeros((T, G)), np.zeros((T, D))
        gt_ig = np.array([x['_ignore'] for x in g])
        dt_ig = np.zeros((T, D))
        if len(io) != 0:
            for tind, t in enumerate(iou_thrs):
                for dind, dd in enumerate(d):
                    iou = min([t, 1 - 1e-10])
                    m = -1
                    for gind, gg in enumerate(g):
                        if gtm[tind, gind] > 0 and not iscrowd[gind]:
                            continue
                        if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                            break
                        if io[dind, gind] < iou:
                            continue
                        iou = io[dind, gind]
                        m = gind
                    if m == -1:
                        continue
                    dt_ig[tind, dind] = gt_ig[m]
                    dtm[tind, dind] = g[m]['id']
                    gtm[tind, m] = dd['id']
        a = np.array([x['avg_area'] < a_rng[0] or x['avg_area'] > a_rng[1]
                      for x in d]).reshape((1, len(d)))
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(a, T, 0)))
        return dict(dtMatches=dtm, dtScores=[x['score'] for x in d], gtIgnore=gt_ig,
                    dtIgnore=dt_ig)

    eval_imgs = [evaluate_vid(v, c, a, max_dets[-1])
                 for c in cat_ids for a in area_rngs for v in vid_ids]

    T, R, K, A, M = len(iou_thrs), len(rec_thrs), len(cat_ids), len(area_rngs), len(max_dets)
    precision, recall = -np.ones((T, R, K, A, M)), -np.ones((T, K, A, M))
    I0, A0 = len(vid_ids), len(area_rngs)
    for k in range(K):
        for a in range(A):
            for m, max_det in enumerate(max_dets):
                E = [eval_imgs[k * A0 * I0 + a * I0 + i] for i in range(I0)]
                E = [e for e in E if e is not None]
                if len(E) == 0:
                    continue
                dt_scores = np.concatenate([e['dtScores'][0:max_det] for e in E])
                inds = np.argsort(-dt_scores, kind='mergesort')
                dtm = np.concatenate([e['dtMatches'][:, 0:max_det] for e in E], axis=1)[:, inds]
                dt_ig = np.concatenate([e['dtIgnore'][:, 0:max_det] for e in E], axis=1)[:, inds]
                gt_ig = np.concatenate([e['gtIgnore'] for e in E])
                npig = np.count_nonzero(gt_ig == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    q = np.zeros((R, ))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    pr = pr.tolist()
                    q = q.tolist()
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    inds_r = np.searchsorted(rc, rec_thrs, side='left')
                    try:
                        for ri, pi in enumerate(inds_r):
                            q[ri] = pr[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = np.array(q)

    def summarize(ap, iou_thr=None, area='all', max_det=100):
        aind = ['all', 'small', 'medium', 'large'].index(area)
        mind = list(max_dets).index(max_det)
        if ap:
            s = precision
            if iou_thr is not None:
                s = s[np.where(iou_thr == iou_thrs)[0]]
            s = s[:, :, :, aind, mind]
        else:
            s = recall[:, :, aind, mind]
        return -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])

    top = max_dets[2]
    return np.array([
        summarize(1, max_det=top), summarize(1, .5, max_det=top),
        summarize(1, .75, max_det=top), summarize(1, area='small', max_det=top),
        summarize(1, area='medium', max_det=top), summarize(1, area='large', max_det=top),
        summarize(0, max_det=max_dets[0]), summarize(0, max_det=max_dets[1]),
        summarize(0, max_det=top), summarize(0, area='small', max_det=top),
        summarize(0, area='medium', max_det=top), summarize(0, area='large', max_det=top)
    ], dtype=float)
