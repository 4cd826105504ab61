"""Benchmark VMT's inference: the base path alone against base + refinement.

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
from the same process (after a warm-up run). One table, ratios from the same run. Usage::

    python tools/analysis_tools/benchmark_model.py configs/vmt/vmt_r50_8xb2-12e_hq-ytvis.py
"""
import argparse
import multiprocessing as mp
import os
import resource
import time
from typing import Dict

import torch
from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark VMT base vs. refinement')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--checkpoint', default=None, help='optional checkpoint')
    parser.add_argument('--frames', type=int, nargs='+', default=[5, 36],
                        help='clip lengths T')
    parser.add_argument('--size', type=int, nargs=2, default=[360, 640],
                        metavar=('H', 'W'), help='frame size')
    parser.add_argument('--repeat', type=int, default=1, help='timed runs per setting')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--num-instances', type=int, default=None,
                        help='instances kept for refinement (test_cfg.max_per_video)')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. model.test_cfg.chunk_size=6')
    return parser.parse_args()


def max_rss() -> int:
    """Peak resident memory of this process so far, in bytes (``getrusage``: exact, the
    kernel's high-water mark, not a sampled one; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build_model(args: argparse.Namespace):
    """The model of the config, in eval mode on the device."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.runner import load_checkpoint

    from mmvmt.registry import MODELS
    from mmvmt.utils import register_all_modules
    register_all_modules()
    MMLogger.get_instance('mmengine', log_level='WARNING')  # no per-parameter init log
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.model.backbone.init_cfg = None
    if args.num_instances is not None:
        cfg.model.test_cfg.max_per_video = args.num_instances
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    return model.to(args.device).eval()


def run_setting(args: argparse.Namespace, num_frames: int, with_refine: bool,
                queue: mp.Queue) -> None:
    """Measure one clip length, base path alone or base + refinement; put a dict of
    results on ``queue``: the peak memory, and with refinement the timings and nodes."""
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build_model(args)
    device = torch.device(args.device)
    height, width = args.size
    pad = model.data_preprocessor.pad_size_divisor
    pad_h, pad_w = -(-height // pad) * pad, -(-width // pad) * pad
    gen = torch.Generator().manual_seed(0)
    video = torch.zeros(num_frames, 3, pad_h, pad_w)
    video[..., :height, :width] = torch.randn(num_frames, 3, height, width, generator=gen)
    video = video.to(device)
    img_shapes = [(height, width)] * num_frames
    meta = dict(img_shape=(height, width), batch_input_shape=(pad_h, pad_w))

    def base() -> Dict:
        enc = model.extract_video_feat(video, img_shapes)
        outs = model._decode(enc, num_frames)
        pred = model.base_head.predict(outs, video.new_tensor(model._img_scale(meta)))
        return dict(enc=enc, outs=outs, pred=pred)

    def refine(state: Dict) -> Dict:
        pred, outs, enc = state['pred'], state['outs'], state['enc']
        video_idx = torch.zeros(len(pred['scores']), dtype=torch.long, device=device)
        return model.refine_head(coarse_logits=pred['coarse_logits'],
                                 feats=[outs['f8'], enc['f4']], images=video,
                                 inst_embeds=pred['inst_embeds'], video_idx=video_idx)

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

    num_inst = len(refined['refined_logits'])
    cells = num_frames * (pad_h // 2) * (pad_w // 2)
    finest = len(refined['nodes'][-1])
    weighted = sum(len(n) * 4 ** (len(refined['nodes']) - 1 - level)
                   for level, n in enumerate(refined['nodes']))
    queue.put(dict(T=num_frames, base=min(t_base), refine=min(t_refine), K=num_inst,
                   finest=finest / max(num_inst, 1) / cells,
                   all_levels=weighted / max(num_inst, 1) / cells, mem=mem,
                   peak=max(peak, max_rss() if device.type == 'cpu' else 0)))


def main() -> None:
    args = parse_args()
    ctx = mp.get_context('spawn')
    rows = []
    for num_frames in args.frames:
        row = {}
        for with_refine in (False, True):
            queue = ctx.Queue()
            proc = ctx.Process(target=run_setting, args=(args, num_frames, with_refine, queue))
            proc.start()
            proc.join()  # the result is a small dict: the queue never blocks the child
            if proc.exitcode != 0:
                raise SystemExit(f'benchmark_model: the run with T={num_frames} '
                                 f'(refine={with_refine}) failed (exit code {proc.exitcode}).')
            result = queue.get()
            key = 'full' if with_refine else 'base'
            row.update(result, **{f'mem_{key}': result['mem'], f'peak_{key}': result['peak']})
        rows.append(row)

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


if __name__ == '__main__':
    main()
