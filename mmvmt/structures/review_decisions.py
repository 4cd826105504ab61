"""A reviewer's decisions on a correction, and the annotation file they make.

A correction (``AnnotationCorrector``) turns a coarse YouTube-VIS file into a corrected one
with the same videos and tracks. A reviewer accepts or rejects each track's correction, or
single frames of it; the decisions file says which::

    {"format": "mmvmt-review-decisions", "version": 1,
     "coarse_sha256": "<hex>",        optional: the decisions were made on these files
     "corrected_sha256": "<hex>",     (checked when given)
     "tracks": {"<track id>": "accept" | "reject"
                            | {"decision": "accept" | "reject",
                               "frames": {"<frame index>": "accept" | "reject"}}}}

Track ids are the ``annotations[].id`` of both files (as JSON keys, so strings); frame
indices count from 0 in the video's frame order. A frame decision overrides its track's
decision. A track not listed is rejected: only what a person accepted takes the corrected
masks. Anything else (an unknown track id, a frame outside the video, another word) is an
error naming the file and the entry.

The merged file (:func:`merge_reviewed`) is the coarse file with, per frame, the mask of the
file the decision picks: accepted -> corrected, rejected -> coarse. A track whose frames all
take one side is that file's annotation entry as it is, so accepting everything gives the
corrected file and rejecting everything the coarse one; a track of mixed frames gets its
``areas`` and ``bboxes`` recomputed from the masks it ends up with.
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .format_error import YTVISFormatError, json_kind, short_repr
from .rle import track_areas_and_boxes
from .segmentation import frames_to_rles
from .ytvis import YTVISAnnotations, load_json, read_ytvis_annotations

FORMAT = 'mmvmt-review-decisions'
VERSION = 1
DECISIONS = ('accept', 'reject')


@dataclass
class TrackDecision:
    """One track's decision: ``accept`` per frame (T bools), True where corrected wins."""
    track_id: int
    accept: List[bool]


def read_decisions(decisions: Any, lengths: Dict[int, int],
                   source: Optional[str] = None) -> Tuple[Dict[int, TrackDecision], dict]:
    """Read and check a decisions file against the tracks it decides on.

    Args:
        decisions (str | dict): The file, or its loaded content.
        lengths (dict[int, int]): Track id -> number of frames of its video.
        source (str, optional): Name for messages; defaults to the path.

    Returns:
        tuple[dict, dict]: Track id -> :class:`TrackDecision` for every track of
        ``lengths`` (rejected where not listed), and the loaded content.

    Raises:
        YTVISFormatError: Naming the file and the entry that breaks the schema.
    """
    source = source or (decisions if isinstance(decisions, str) else 'decisions')
    content = load_json(decisions, source)
    if not isinstance(content, dict) or content.get('format') != FORMAT:
        raise YTVISFormatError(source, None, f'expected an object with "format": "{FORMAT}"')
    if content.get('version') != VERSION:
        raise YTVISFormatError(source, 'version', f'expected {VERSION}, got '
                               f'{short_repr(content.get("version"))}')
    tracks = content.get('tracks')
    if not isinstance(tracks, dict):
        raise YTVISFormatError(source, 'tracks', f'must be an object of track id -> '
                               f'decision, got {json_kind(tracks)}')
    out = {tid: TrackDecision(tid, [False] * n) for tid, n in lengths.items()}
    for key, value in tracks.items():
        where = f'tracks[{key!r}]'
        try:
            track_id = int(key)
        except ValueError:
            track_id = None
        if track_id not in lengths or str(track_id) != key:
            raise YTVISFormatError(source, where, 'unknown track id; expected the id of an '
                                   'annotation of the coarse and corrected files')
        frames: dict = {}
        if isinstance(value, dict):
            extra = sorted(set(value) - {'decision', 'frames'})
            if extra:
                raise YTVISFormatError(source, where, f'unknown key(s) {extra}; expected '
                                       '"decision" and "frames"')
            frames = value.get('frames', {})
            if not isinstance(frames, dict):
                raise YTVISFormatError(source, f'{where} frames', 'must be an object of '
                                       'frame index -> "accept" / "reject"')
            value = value.get('decision', 'reject')
        accept = [_decision(value, source, where)] * lengths[track_id]
        for t_key, frame_value in frames.items():
            t_where = f'{where} frames[{t_key!r}]'
            if not (t_key.isdigit() and int(t_key) < lengths[track_id]
                    and str(int(t_key)) == t_key):
                raise YTVISFormatError(source, t_where, f'expected a frame index in [0, '
                                       f'{lengths[track_id] - 1}]')
            accept[int(t_key)] = _decision(frame_value, source, t_where)
        out[track_id] = TrackDecision(track_id, accept)
    return out, content


def merge_reviewed(coarse: Any, corrected: Any, decisions: Dict[int, TrackDecision],
                   segm_key: str = 'segmentations', coarse_source: str = 'coarse',
                   corrected_source: str = 'corrected') -> Tuple[dict, dict]:
    """The coarse file with each decided frame's mask taken from the file it picks.

    Args:
        coarse (dict): The loaded coarse file.
        corrected (dict): The loaded corrected file (same videos, categories and tracks).
        decisions (dict[int, TrackDecision]): From :func:`read_decisions`.
        segm_key (str): The mask key of both files. Defaults to ``'segmentations'``.
        coarse_source (str): Name of the coarse file, for messages.
        corrected_source (str): Name of the corrected file, for messages.

    Returns:
        tuple[dict, dict]: The merged file (a new dict sharing untouched entries with the
        inputs) and counts: ``tracks_accepted``, ``tracks_rejected``, ``tracks_mixed``,
        ``frames_accepted``, ``frames_rejected``.
    """
    coarse_anns = {a['id']: a for a in coarse.get('annotations') or []}
    corrected_anns = {a['id']: a for a in corrected.get('annotations') or []}
    videos = {v['id']: v for v in coarse['videos']}
    counts = dict(tracks_accepted=0, tracks_rejected=0, tracks_mixed=0, frames_accepted=0,
                  frames_rejected=0)
    merged = []
    for ann in coarse.get('annotations') or []:
        accept = decisions[ann['id']].accept
        counts['frames_accepted'] += sum(accept)
        counts['frames_rejected'] += len(accept) - sum(accept)
        if all(accept):
            counts['tracks_accepted'] += 1
            merged.append(corrected_anns[ann['id']])
        elif not any(accept):
            counts['tracks_rejected'] += 1
            merged.append(ann)
        else:
            counts['tracks_mixed'] += 1
            fixed = corrected_anns[ann['id']]
            segms = [f if a else c for a, c, f in zip(accept, ann[segm_key], fixed[segm_key])]
            video = videos[ann['video_id']]
            rles, _ = frames_to_rles(segms, video['height'], video['width'],
                                     f'{coarse_source} / {corrected_source}',
                                     f'annotation {ann["id"]} {segm_key}')
            merged.append({**ann, segm_key: segms, **track_areas_and_boxes(rles)})
    out = dict(coarse)
    if 'annotations' in coarse:
        out['annotations'] = merged
    return out, counts


def check_same_tracks(coarse: dict, corrected: dict, coarse_source: str,
                      corrected_source: str, segm_key: str = 'segmentations'
                      ) -> Tuple[YTVISAnnotations, YTVISAnnotations]:
    """Check both files and that the corrected one has the coarse one's videos and tracks.

    Returns:
        tuple[YTVISAnnotations, YTVISAnnotations]: The checked coarse and corrected files.

    Raises:
        YTVISFormatError: If either file breaks the format, or the corrected file's videos,
            categories or tracks (ids, videos, per-frame nulls) differ from the coarse one's.
    """
    checked = [read_ytvis_annotations(ann, src, segm_keys=(segm_key, ))
               for ann, src in ((coarse, coarse_source), (corrected, corrected_source))]
    for key in ('videos', 'categories'):
        if coarse.get(key) != corrected.get(key):
            raise YTVISFormatError(corrected_source, key, f'differs from the "{key}" of '
                                   f'{coarse_source}; a correction keeps them')
    tracks = {t.id: t for t in checked[1].tracks}
    for track in checked[0].tracks:
        other = tracks.pop(track.id, None)
        if other is None:
            raise YTVISFormatError(corrected_source, 'annotations', f'has no track id '
                                   f'{track.id} (of {coarse_source} {track.entry})')
        nulls = [s is None for s in track.segmentations]
        if other.video_id != track.video_id or \
                [s is None for s in other.segmentations] != nulls:
            raise YTVISFormatError(corrected_source, other.entry, f'differs from '
                                   f'{coarse_source} {track.entry} in its video or in the '
                                   'frames where the object is absent')
    if tracks:
        raise YTVISFormatError(corrected_source, 'annotations', f'has track ids '
                               f'{sorted(tracks)[:10]} that {coarse_source} does not have')
    return checked[0], checked[1]


def track_lengths(annotations: YTVISAnnotations) -> Dict[int, int]:
    """Track id -> number of frames of its video, in file order (for :func:`read_decisions`)."""
    return {t.id: annotations.videos[t.video_id].length for t in annotations.tracks}


def _decision(value: Any, source: str, where: str) -> bool:
    if value not in DECISIONS:
        raise YTVISFormatError(source, where, f'expected "accept" or "reject", got '
                               f'{short_repr(value)}')
    return value == 'accept'
