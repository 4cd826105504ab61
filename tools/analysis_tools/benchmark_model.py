"""Benchmark VMT's inference: base path against base + refinement, and against its peers.

For each clip length T (default 5 and 36) at one frame size (default 360 x 640), a fresh
process builds the model from CONFIG (random weights unless --checkpoint; backbone
pretraining is skipped), runs whole-video inference on random frames and measures:

* base: backbone + encoder (chunked as ``test_cfg.chunk_size``) + decoder + coarse masks;
* refine: the refinement head on the kept instances, all frames grouped at once;
* refined nodes: finest-level (H/2) nodes per instance as a fraction of T x H/2 x W/2,
  and all levels' nodes in H/2 cells (a node at H/8 covers 16 cells, at H/4 4);
* memory: the process's peak RSS (``resource.getrusage``, the kernel's exact high-water
  mark) in total and what the run added over the built model (CPU), or the peak allocated
  CUDA memory (GPU), for the base path alone and for base + refinement. (tracemalloc does
  not see tensor memory, which torch allocates outside Python's allocator.)

Each (T, base or base + refinement) runs in its own process, so that memory the allocator
keeps from one run does not hide the next one's peak; the times of base and refinement come
from the same process (after a warm-up run). One table, ratios from the same run.

Peers (``--peers``, default both; ``--peers none`` skips them): what a user would otherwise
pick, at the same input (the same random frames, size, device and threads):

* ``mask2former``: mmdet's Mask2Former-VIS R50 (the config shipped in mmdet's package, built
  with mmdet's registry in scope ``mmdet``, random weights), which segments the whole clip
  as one batch of T frames;
* ``seqformer``: the SeqFormer base alone (VMT without refinement,
  ``configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py``).

Each peer and T runs in its own process (not sequentially with RSS deltas), so its peak RSS
is its own. All models, VMT included, are timed through their full ``predict`` (features,
heads, postprocessing to masks at the frame size) on a ``(1, T, C, H, W)`` clip whose data
samples carry what the test pipeline would set (``img_shape``, ``ori_shape``,
``batch_input_shape``, ``scale_factor``, ``frame_id``, ``video_length``); VMT's predict time
comes from its base + refinement process, after its warm-up. A second table has one row per
(model, T): seconds, seconds per frame, peak RSS (or peak CUDA memory) and VMT's time and
peak memory as ratios to that row's. Usage::

    python tools/analysis_tools/benchmark_model.py configs/vmt/vmt_r50_8xb2-12e_hq-ytvis.py
    python tools/analysis_tools/benchmark_model.py CONFIG --frames 5 --peers seqformer
"""
import argparse
import multiprocessing as mp
import os
import resource
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import DictAction

PEERS = ('mask2former', 'seqformer')
MASK2FORMER_R50 = os.path.join(
    os.path.dirname(__import__('mmdet').__file__), '.mim', 'configs', 'mask2former_vis',
    'mask2former_r50_8xb2-8e_youtubevis2019.py')
SEQFORMER_R50 = 'configs/seqformer/seqformer_r50_8xb2-12e_youtubevis2019.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark VMT base vs. refinement')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--checkpoint', default=None, help='optional VMT checkpoint')
    parser.add_argument('--frames', type=int, nargs='+', default=[5, 36],
                        help='clip lengths T')
    parser.add_argument('--size', type=int, nargs=2, default=[360, 640],
                        metavar=('H', 'W'), help='frame size')
    parser.add_argument('--repeat', type=int, default=1, help='timed runs per setting')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--num-instances', type=int, default=None,
                        help='instances VMT keeps for refinement (test_cfg.max_per_video)')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. model.test_cfg.chunk_size=6')
    parser.add_argument('--peers', nargs='+', default=list(PEERS),
                        choices=list(PEERS) + ['none'],
                        help='peers measured at the same input ("none": VMT alone)')
    parser.add_argument('--mask2former-config', default=MASK2FORMER_R50,
                        help='the Mask2Former-VIS peer (an mmdet config)')
    parser.add_argument('--seqformer-config', default=SEQFORMER_R50,
                        help='the SeqFormer peer (an mmvmt config)')
    parser.add_argument('--mask2former-cfg-options', nargs='+', action=DictAction,
                        default={}, help='override entries of the Mask2Former-VIS config')
    parser.add_argument('--seqformer-cfg-options', nargs='+', action=DictAction,
                        default={}, help='override entries of the SeqFormer config')
    args = parser.parse_args(argv)
    if 'none' in args.peers:
        args.peers = []
    return args


def max_rss() -> int:
    """Peak resident memory of this process so far, in bytes (``getrusage``: exact, the
    kernel's high-water mark, not a sampled one; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build_model(args: argparse.Namespace, peer: Optional[str] = None):
    """The model of the config (``peer`` None), or of a peer, in eval mode on the device.

    Random weights (no backbone pretraining) except VMT's ``--checkpoint``; Mask2Former-VIS
    is built by mmdet's registry in scope ``mmdet``.
    """
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.runner.checkpoint import _load_checkpoint_to_model

    from mmvmt.utils.checkpoint_file import read_checkpoint

    MMLogger.get_instance('mmengine', log_level='WARNING')  # no per-parameter init log
    if peer == 'mask2former':
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        cfg = Config.fromfile(args.mask2former_config)
        scope = 'mmdet'
    else:
        from mmvmt.registry import MODELS
        from mmvmt.utils import register_all_modules
        register_all_modules()
        cfg = Config.fromfile(args.seqformer_config if peer else args.config)
        scope = 'mmvmt'
    cfg.merge_from_dict(getattr(args, f'{peer}_cfg_options') if peer else args.cfg_options)
    cfg.model.backbone.init_cfg = None
    cfg.model.init_cfg = None  # mmdet's config loads a COCO checkpoint
    if args.num_instances is not None and peer is None:
        cfg.model.test_cfg.max_per_video = args.num_instances
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
    if args.checkpoint and peer is None:
        _load_checkpoint_to_model(model, read_checkpoint(args.checkpoint))
    return model.to(args.device).eval()


def make_clip(args: argparse.Namespace, num_frames: int,
              pad: int) -> Tuple[torch.Tensor, List[DetDataSample]]:
    """The benchmark's clip: the same random frames for every model (seed 0).

    Returns:
        tuple: the frames (T, 3, pad_h, pad_w), zero-padded to multiples of ``pad`` (the
        model's ``pad_size_divisor``), on the device; and one data sample per frame with the
        metainfo the test pipeline sets (no resize: scale factor 1).
    """
    height, width = args.size
    pad_h, pad_w = -(-height // pad) * pad, -(-width // pad) * pad
    gen = torch.Generator().manual_seed(0)
    video = torch.zeros(num_frames, 3, pad_h, pad_w)
    video[..., :height, :width] = torch.randn(num_frames, 3, height, width, generator=gen)
    frames = [
        DetDataSample(metainfo=dict(
            img_id=t, frame_id=t, video_length=num_frames, ori_shape=(height, width),
            img_shape=(height, width), pad_shape=(pad_h, pad_w),
            batch_input_shape=(pad_h, pad_w), scale_factor=(1.0, 1.0), flip=False,
            flip_direction=None)) for t in range(num_frames)
    ]
    return video.to(args.device), frames


def predict_clip(model, video: torch.Tensor, frames: List[DetDataSample]) -> list:
    """``model.predict`` on the clip as one (1, T, C, H, W) video (fresh data samples: the
    models write their predictions into them)."""
    track = TrackDataSample()
    track.video_data_samples = [DetDataSample(metainfo=f.metainfo) for f in frames]
    return model.predict(video[None], [track])


def run_peer(args: argparse.Namespace, peer: str, num_frames: int, queue) -> None:
    """Measure one peer at one clip length; put ``dict(model, T, seconds, mem, peak)`` on
    ``queue``: the best ``--repeat`` predict time after a first run that gives the memory
    (peak over the built model, and the process's peak)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build_model(args, peer)
    device = torch.device(args.device)
    video, frames = make_clip(args, num_frames, model.data_preprocessor.pad_size_divisor)
    with torch.no_grad():
        idle, out = _first_run(lambda: predict_clip(model, video, frames), device)
        del out
        times = _timed(lambda: predict_clip(model, video, frames), args.repeat, device)
    queue.put(dict(model=peer, T=num_frames, seconds=min(times),
                   mem=idle['peak'] - idle['idle'], peak=_peak(idle['peak'], device)))


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize()


def _first_run(run, device: torch.device) -> Tuple[Dict, object]:
    """Run once; the memory before (``idle``) and at the peak of the run."""
    if device.type == 'cuda':
        idle = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        out = run()
        return dict(idle=idle, peak=torch.cuda.max_memory_allocated()), out
    idle = max_rss()  # the model built, nothing run yet
    out = run()
    return dict(idle=idle, peak=max_rss()), out


def _timed(run, repeat: int, device: torch.device) -> List[float]:
    times = []
    for _ in range(repeat):
        _sync(device)
        start = time.perf_counter()
        run()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def _peak(peak: int, device: torch.device) -> int:
    """The process's peak so far (CPU: RSS), or the CUDA peak of the measured run."""
    return max(peak, max_rss()) if device.type == 'cpu' else peak


def run_setting(args: argparse.Namespace, num_frames: int, with_refine: bool,
                queue: mp.Queue) -> None:
    """Measure one clip length, base path alone or base + refinement; put a dict of
    results on ``queue``: the peak memory, and with refinement the timings and nodes."""
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build_model(args)
    device = torch.device(args.device)
    video, frames = make_clip(args, num_frames, model.data_preprocessor.pad_size_divisor)
    pad_h, pad_w = video.shape[-2:]
    meta = frames[0].metainfo

    def base() -> Tuple:
        enc = model.encode_video(video, frames)
        layers = model.decode(enc, num_frames)
        feats = model.bbox_head.mask_features(enc)
        pred = model.bbox_head.predict(layers, feats.mask_feats,
                                       model.img_size(meta, video.device))
        return pred, enc, feats

    def refine(state: Tuple) -> Dict:
        pred, enc, feats = state
        video_idx = torch.zeros(len(pred), dtype=torch.long, device=device)
        return model.refine_head(**model.refine_inputs(pred, video_idx, enc, feats, video))

    def sync() -> None:
        if device.type == 'cuda':
            torch.cuda.synchronize()

    with torch.no_grad():
        # Peak memory of the first run (nothing is cached yet), over the idle process.
        run = (lambda: refine(base())) if with_refine else base
        if device.type == 'cuda':
            idle = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            out = run()
            peak = torch.cuda.max_memory_allocated()
            mem = peak - idle
        else:
            idle = max_rss()  # the model built, nothing run yet
            out = run()
            peak = max_rss()
            mem = peak - idle
        del out
        if not with_refine:
            queue.put(dict(mem=mem, peak=peak))
            return
        t_base, t_refine = [], []
        for _ in range(args.repeat):
            sync()
            start = time.perf_counter()
            state = base()
            sync()
            mid = time.perf_counter()
            refined = refine(state)
            sync()
            t_base.append(mid - start)
            t_refine.append(time.perf_counter() - mid)
        # The whole predict (with postprocessing), as the peers are timed.
        t_predict = _timed(lambda: predict_clip(model, video, frames), args.repeat, device)

    num_inst = len(refined['refined_logits'])
    cells = num_frames * (pad_h // 2) * (pad_w // 2)
    finest = len(refined['nodes'][-1])
    weighted = sum(len(n) * 4 ** (len(refined['nodes']) - 1 - level)
                   for level, n in enumerate(refined['nodes']))
    queue.put(dict(T=num_frames, base=min(t_base), refine=min(t_refine), K=num_inst,
                   predict=min(t_predict),
                   finest=finest / max(num_inst, 1) / cells,
                   all_levels=weighted / max(num_inst, 1) / cells, mem=mem,
                   peak=max(peak, max_rss() if device.type == 'cpu' else 0)))


def comparison_rows(vmt_rows: List[Dict], peer_rows: List[Dict]) -> List[Dict]:
    """One row per (model, T): VMT's (its predict time and the peak of its base +
    refinement process) and each peer's, with VMT's time and peak memory at the same T
    divided by that row's (``time_ratio``, ``peak_ratio``; 1 on VMT's own rows)."""
    vmt = {r['T']: dict(model='vmt', T=r['T'], seconds=r['predict'], peak=r['peak_full'])
           for r in vmt_rows}
    rows = []
    for num_frames, own in vmt.items():
        for row in [own] + [p for p in peer_rows if p['T'] == num_frames]:
            rows.append(dict(row, per_frame=row['seconds'] / num_frames,
                             time_ratio=own['seconds'] / row['seconds'],
                             peak_ratio=own['peak'] / row['peak']))
    return rows


def format_comparison(rows: List[Dict], device: str) -> str:
    """The peers table (markdown), one line per row of :func:`comparison_rows`."""
    mem = 'peak RSS' if device == 'cpu' else 'peak CUDA memory'
    lines = [f'| model | T | predict (s) | s / frame | {mem} (GiB) | VMT time / this | '
             f'VMT {mem} / this |', '|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['model']} | {r['T']} | {r['seconds']:.3f} | {r['per_frame']:.3f} | "
                     f"{r['peak'] / 1024 ** 3:.2f} | {r['time_ratio']:.2f} | "
                     f"{r['peak_ratio']:.2f} |")
    return '\n'.join(lines)


def _spawn(ctx, target, args: tuple, what: str) -> Dict:
    """Run ``target(*args, queue)`` in a fresh process; its result dict."""
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=args + (queue, ))
    proc.start()
    proc.join()  # the result is a small dict: the queue never blocks the child
    if proc.exitcode != 0:
        raise SystemExit(f'benchmark_model: the run of {what} failed '
                         f'(exit code {proc.exitcode}).')
    return queue.get()


def main() -> None:
    args = parse_args()
    ctx = mp.get_context('spawn')
    rows = []
    for num_frames in args.frames:
        row = {}
        for with_refine in (False, True):
            result = _spawn(ctx, run_setting, (args, num_frames, with_refine),
                            f'VMT with T={num_frames} (refine={with_refine})')
            key = 'full' if with_refine else 'base'
            row.update(result, **{f'mem_{key}': result['mem'], f'peak_{key}': result['peak']})
        rows.append(row)
    peer_rows = [_spawn(ctx, run_peer, (args, peer, num_frames), f'{peer} with T={num_frames}')
                 for num_frames in args.frames for peer in args.peers]

    gib = 1024 ** 3
    height, width = args.size
    threads = args.threads or torch.get_num_threads()
    chunk = args.cfg_options.get('model.test_cfg.chunk_size', 'config')
    print(f'\n{os.path.basename(args.config)}  {height}x{width}  chunk_size={chunk}  '
          f'device={args.device}'
          f'{"" if args.device != "cpu" else f" ({threads} threads)"}  '
          f'best of {args.repeat}')
    header = ('| T | base (s) | refine (s) | base+refine (s) | refine / base | K inst | '
              'H/2 nodes / (T*H/2*W/2) | all nodes (H/2 cells) | run mem base (GiB) | '
              'run mem base+refine (GiB) | peak RSS base+refine (GiB) |')
    print(header)
    print('|' + '---|' * (header.count('|') - 1))
    for r in rows:
        print(f"| {r['T']} | {r['base']:.2f} | {r['refine']:.2f} | "
              f"{r['base'] + r['refine']:.2f} | {r['refine'] / r['base']:.1%} | {r['K']} | "
              f"{r['finest']:.2%} | {r['all_levels']:.2%} | {r['mem_base'] / gib:.2f} | "
              f"{r['mem_full'] / gib:.2f} | {r['peak_full'] / gib:.2f} |")
    last = rows[-1]
    print(f"\nTargets at T={last['T']}: peak {'RSS' if args.device == 'cpu' else 'memory'} "
          f"{last['peak_full'] / gib:.2f} GiB (<= 8 GiB: "
          f"{'yes' if last['peak_full'] <= 8 * gib else 'NO'}), refinement "
          f"{last['refine'] / last['base']:.1%} of the base time (<= 15%: "
          f"{'yes' if last['refine'] <= 0.15 * last['base'] else 'NO'})")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"\nT {a['T']} -> {b['T']} (x{b['T'] / a['T']:.1f}): time x"
              f"{(b['base'] + b['refine']) / (a['base'] + a['refine']):.2f}, "
              f"peak memory x{b['mem_full'] / max(a['mem_full'], 1):.2f}")

    if peer_rows:
        print(f'\nPeers at the same input ({", ".join(args.peers)}; random weights):')
        print(format_comparison(comparison_rows(rows, peer_rows), args.device))


if __name__ == '__main__':
    main()
