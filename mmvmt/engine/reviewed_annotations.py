"""Write the annotation file a review makes: the coarse file with the accepted corrections.

The rule and the decisions file are :mod:`mmvmt.structures.review_decisions`'. Like the
corrector (:class:`~mmvmt.engine.AnnotationCorrector`), the merged file is written
atomically and never over an existing file, next to a provenance file
(``<name>.provenance.json``) that records the three inputs with their SHA-256, the counts
of accepted and rejected tracks and frames, and the corrected file's own provenance when it
has one.
"""
import datetime
import os.path as osp

from mmvmt.structures import (YTVISFormatError, check_same_tracks, load_json, merge_reviewed,
                              read_decisions, track_lengths)
from mmvmt.version import __version__
from .annotation_corrector import provenance_path
from .atomic_json import dump_json_atomic, file_sha256


def apply_review(coarse_file: str, corrected_file: str, decisions_file: str, out_file: str,
                 segm_key: str = 'segmentations') -> dict:
    """Merge ``coarse_file`` and ``corrected_file`` by ``decisions_file`` into ``out_file``.

    Args:
        coarse_file (str): The annotations before the correction; only read.
        corrected_file (str): The corrected annotations (same videos and tracks); only read.
        decisions_file (str): The reviewer's decisions; only read.
        out_file (str): The merged file; must not exist.
        segm_key (str): The mask key of both files. Defaults to ``'segmentations'``.

    Returns:
        dict: The provenance written to ``provenance_path(out_file)``.

    Raises:
        YTVISFormatError: If a file breaks its format, the two annotation files do not have
            the same tracks, or the decisions were made on other files (their SHA-256).
        FileExistsError: If ``out_file`` exists.
    """
    if osp.exists(out_file):
        raise FileExistsError(f'{out_file} exists; it is never overwritten')
    shas = dict(coarse_sha256=file_sha256(coarse_file),
                corrected_sha256=file_sha256(corrected_file))
    coarse, corrected = load_json(coarse_file), load_json(corrected_file)
    checked, _ = check_same_tracks(coarse, corrected, coarse_file, corrected_file, segm_key)
    decisions, content = read_decisions(decisions_file, track_lengths(checked))
    for key, sha in shas.items():
        if content.get(key) is not None and content[key] != sha:
            which = coarse_file if key == 'coarse_sha256' else corrected_file
            raise YTVISFormatError(decisions_file, key, f'the decisions were made on another '
                                   f'file than {which} (SHA-256 {sha})')
    merged, counts = merge_reviewed(coarse, corrected, decisions, segm_key, coarse_file,
                                    corrected_file)
    corrected_prov = provenance_path(corrected_file)
    provenance = dict(
        tool='apply_review', coarse_ann_file=osp.abspath(coarse_file),
        corrected_ann_file=osp.abspath(corrected_file),
        decisions_file=osp.abspath(decisions_file),
        decisions_sha256=file_sha256(decisions_file), output_ann_file=osp.abspath(out_file),
        segm_key=segm_key, **shas, **counts,
        corrected_provenance=load_json(corrected_prov) if osp.isfile(corrected_prov) else None,
        mmvmt_version=__version__,
        created=datetime.datetime.now().isoformat(timespec='seconds'))
    # As the corrector: the annotation file comes last, so that once it exists it is
    # complete with its provenance.
    dump_json_atomic(provenance, provenance_path(out_file), overwrite=True)
    dump_json_atomic(merged, out_file)
    return provenance
