"""One correction split across the processes of a distributed run, with one merged output.

Process r of W corrects videos r, r + W, r + 2W, ... of the input file (the input's order,
dealt out as mmengine's ``DefaultSampler`` deals samples without shuffling, so every process
gets a fair mix of long and short videos). The parts travel to the main process through
mmengine's ``collect_results`` in CPU mode, i.e. as files in a folder next to the output,
which every process sees as it sees the work dir; the main process then writes the one
output file and its provenance exactly as a single process would (atomically, never over an
existing file). Every process uses the same weights (the caller loads the round's
checkpoint everywhere) and each video is corrected on its own, so the output does not depend
on the number of processes. With one process this is :meth:`AnnotationCorrector.run`.
"""
import os.path as osp
from typing import Optional

from mmengine.dist import collect_results, get_dist_info

from .annotation_corrector import AnnotationCorrector
from .rank_sync import on_every_process, on_main_process


def correct_sharded(corrector: AnnotationCorrector, model, ann_file: str, img_root: str,
                    out_file: str, extra_provenance: Optional[dict] = None) -> dict:
    """Correct ``ann_file`` into ``out_file`` with every process of the run.

    Args:
        corrector (AnnotationCorrector): The correction rule and settings.
        model: The refiner (an object with ``refine_masks``), the same on every process.
        ann_file (str): The input annotation file; only read.
        img_root (str): Folder that the videos' ``file_names`` are relative to.
        out_file (str): The merged output; must not exist.
        extra_provenance (dict, optional): Added to the provenance, with
            ``num_processes``.

    Returns:
        dict: The provenance written next to ``out_file``, on every process.

    Raises:
        FileExistsError: If ``out_file`` exists.
        YTVISFormatError: If ``ann_file`` breaks the format.
        PeerProcessError: If another process failed.
    """
    rank, world_size = get_dist_info()
    official, input_sha = on_every_process(
        lambda: corrector.read_input(ann_file, out_file), f'reading {ann_file}')
    videos = official['videos']
    rles_by_ann, per_video = on_every_process(
        lambda: corrector.correct_videos(model, official, videos[rank::world_size], img_root,
                                         ann_file, progress=rank == 0),
        f'correcting {ann_file}')
    parts_dir = osp.join(osp.dirname(out_file), f'.{osp.basename(out_file)}.parts')
    parts = collect_results([(rles_by_ann, per_video)], world_size, device='cpu',
                            tmpdir=parts_dir)

    def merge_and_write() -> dict:
        merged_rles, stats_by_video = {}, {}
        for part_rles, part_stats in parts:
            merged_rles.update(part_rles)
            stats_by_video.update((stats['video_id'], stats) for stats in part_stats)
        return corrector.write_output(
            official, merged_rles, [stats_by_video[v['id']] for v in videos], ann_file,
            input_sha, img_root, out_file,
            dict(extra_provenance or {}, num_processes=world_size))

    return on_main_process(merge_and_write, f'writing {out_file}')
