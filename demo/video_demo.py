"""Segment and track the instances of a video with a VIS model; write the drawn video and JSON.

    python demo/video_demo.py INPUT CONFIG --weights CKPT --out OUT.mp4|DIR \
        [--show] [--score-thr 0.3] [--json OUT.json] [--device cpu] [--draw-coarse]

INPUT is a video file (.mp4, .avi, ...), a folder of frames (read in natural order of the
file names) or one image. CONFIG is a config file or the name of a config shipped with
mmvmt (e.g. vmt_tiny_r18_1xb2-toy_vis). The whole video is one input: VMT sees all frames
at once (its backbone runs in chunks), so track ids hold for the whole video.
"""
import argparse
import os.path as osp

from mmvmt.apis import VISInferencer
from mmvmt.apis.video_input import VIDEO_EXTENSIONS
from mmvmt.utils import register_all_modules
from mmvmt.utils.checkpoint_file import CheckpointFileError
from mmvmt.utils.output_paths import OutputPathError, check_output_path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='VIS demo on a video or a folder of frames')
    parser.add_argument('input', help='a video file, a folder of frames, or an image')
    parser.add_argument('config', help='a config file or the name of a shipped config')
    parser.add_argument('--weights', help='checkpoint file (without it: random weights)')
    parser.add_argument('--out', help='output video file (.mp4, ...) or folder of images')
    parser.add_argument('--json', help='write the YouTube-VIS results JSON here')
    parser.add_argument('--show', action='store_true', help='show the frames in a window')
    parser.add_argument('--wait-time', type=float, default=0.04,
                        help='seconds each frame is shown with --show')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='instances with a lower score are not drawn')
    parser.add_argument('--draw-coarse', action='store_true',
                        help="outline the base detector's coarse masks too (VMT)")
    parser.add_argument('--fps', type=float, help='frame rate of the written video '
                        '(default: the input video\'s, else 10)')
    parser.add_argument('--video-id', type=int, default=1, help='video_id in the JSON')
    parser.add_argument('--device', help='e.g. cpu, cuda:0 (default: what is available)')
    args = parser.parse_args(argv)
    if not (args.out or args.json or args.show):
        parser.error('nothing to do: give --out, --json and/or --show')
    try:
        check_outputs(args)
    except OutputPathError as err:
        parser.error(str(err))
    return args


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that are an input or lie in the folder of frames.

    Raises:
        OutputPathError: Naming the option and the rule it breaks.
    """
    inputs = [args.input, args.config, args.weights]
    # Drawn frames are named after the input frames: the folder of an input image (or of
    # input frames) is never an output folder, else the drawing replaces the input.
    is_video = args.input.lower().endswith(VIDEO_EXTENSIONS)
    folder = args.input if osp.isdir(args.input) else \
        None if is_video else osp.dirname(osp.abspath(args.input))
    frames_dir = {folder: 'the folder of the input frames'} if folder else {}
    if args.out:
        is_dir = not args.out.lower().endswith(VIDEO_EXTENSIONS)
        check_output_path(args.out, inputs=inputs, protected_dirs=frames_dir, is_dir=is_dir,
                          option='--out')
    if args.json:
        check_output_path(args.json, inputs=inputs, protected_dirs=frames_dir,
                          option='--json')


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    try:
        inferencer = VISInferencer(args.config, weights=args.weights, device=args.device)
    except CheckpointFileError as err:
        raise SystemExit(f'video_demo: {err}')
    result = inferencer(args.input, out=args.out, out_json=args.json, show=args.show,
                        wait_time=args.wait_time, pred_score_thr=args.score_thr,
                        draw_coarse=args.draw_coarse, fps=args.fps, video_id=args.video_id)
    shown = sum(r['score'] > args.score_thr for r in result['results'])
    print(f'{len(result["predictions"])} frames, {len(result["results"])} tracks '
          f'({shown} with score > {args.score_thr})')
    if args.out:
        print(f'drawn video: {args.out}')
    if args.json:
        print(f'results JSON: {args.json}')
    return result


if __name__ == '__main__':
    main()
