"""Coverage-guided fuzzing of the YouTube-VIS readers and the metric, with pycocotools as oracle.

Usage::

    python tools/fuzz_readers.py [--time 600] [--corpus tests/data/fuzz_corpus]
        [--work-dir work_dirs/fuzz_readers]

atheris (libFuzzer for Python) mutates byte strings, steered by the lines of mmvmt that each
input reaches. The first byte of an input picks what the rest is read as:

* ``0``: a compressed RLE: frame height, width, then the ``counts`` string;
* ``1``: an uncompressed RLE or polygons, as JSON text, for a frame size given first;
* ``2``: a whole ground-truth file (JSON text), read, converted to CocoVID and evaluated
  against its own tracks as results;
* ``3``: run lengths for a frame size given first (the last run fills the frame, so most
  inputs are masks that a check on the total passes), written as a compressed RLE whose
  counts may take more characters than they need (as a hand-made encoder may write them).
  Coverage cannot tell how pycocotools reads a string, so this target puts the fuzzer where
  the two parsers can disagree instead of leaving it to find an exact total by chance.

Every input must be refused with :class:`~mmvmt.structures.YTVISFormatError` or be read
correctly. A *finding* is either a crash (any other exception) or a disagreement: a mask our
reader accepts that pycocotools' decoder reads differently (mask or area), the class of bug
where the format check passes one mask and the metric scores another. Findings are written
to ``--work-dir/findings/`` (one input per distinct exception site or disagreement kind);
copy them into ``tests/data/fuzz_corpus/`` once fixed: ``tests/test_structures/test_fuzz.py``
replays that folder (with :func:`check_input`) in ``make test``. The corpus folder also
seeds the fuzzer, and inputs that reach new code are added to ``--work-dir/corpus/``.

atheris is an optional dependency (``requirements/optional.txt``)::

    pip install atheris

At the end the tool prints the executions, the coverage libFuzzer reports (``cov``: code
edges reached; ``ft``: features) and the distinct findings.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import traceback
from typing import Any, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.structures import (YTVISFormatError, check_segmentation, fill_runs, load_json,
                              read_ytvis_annotations, ytvis_to_cocovid)
from mmvmt.utils.output_paths import OutputPathError, check_output_path

MAX_SIDE = 64  # frames of the RLE / polygon targets: small, so one input takes microseconds


class Finding(Exception):
    """A disagreement between our reading of a mask and pycocotools'."""


def differential(segm: Any, height: int, width: int) -> Optional[str]:
    """Check one segmentation as the readers do and compare with pycocotools' reading.

    Args:
        segm: Polygons, an uncompressed or a compressed RLE.
        height (int): H.
        width (int): W.

    Returns:
        str | None: None if refused (with ``YTVISFormatError``), else a short description
        of what was read (for logs).

    Raises:
        Finding: If pycocotools decodes the accepted mask differently from our run lengths.
    """
    try:
        rle, counts = check_segmentation(segm, height, width, 'fuzz', 'segmentation')
    except YTVISFormatError:
        return None  # pycocotools is not asked: it reads past its buffers on such input
    # Our mask, straight from the run lengths we checked (column-major, 0s first).
    bounds = np.cumsum(counts)
    ours = fill_runs(bounds[0:-1:2], bounds[1::2], height * width).reshape(width, height).T
    area = int(mask_utils.area(rle))
    try:
        theirs = mask_utils.decode(rle)
    except ValueError as e:  # its check: the counts it read do not add up to H * W
        raise Finding(f'pycocotools refuses a mask we accept ({e})') from None
    if theirs.shape != ours.shape or not np.array_equal(theirs, ours):
        raise Finding(f'pycocotools decodes another mask ({int(theirs.sum())} px, ours '
                      f'{int(ours.sum())} px)')
    if area != int(ours.sum()):
        raise Finding(f'pycocotools area {area}, ours {int(ours.sum())}')
    return f'{int(ours.sum())} px'


def read_input(data: bytes) -> Tuple[str, Any]:
    """Split a fuzzer input into its target and payload (see the module docstring)."""
    if not data:
        return 'rle', (1, 1, b'')
    target = data[0] % 4
    if target == 3 and len(data) >= 3:
        height, width = 1 + data[1] % MAX_SIDE, 1 + data[2] % MAX_SIDE
        return 'rle', (height, width, _padded_counts(data[3:], height * width))
    if target == 0 and len(data) >= 3:
        return 'rle', (1 + data[1] % MAX_SIDE, 1 + data[2] % MAX_SIDE, data[3:])
    if target == 1 and len(data) >= 3:
        return 'segm', (1 + data[1] % MAX_SIDE, 1 + data[2] % MAX_SIDE, data[3:])
    return 'json', data[1:]


def _padded_counts(data: bytes, num_pixels: int) -> bytes:
    """Byte pairs (run length, extra characters) to a compressed RLE string of the runs."""
    runs, pads = [], []
    for length, pad in zip(data[0::2], data[1::2]):
        if sum(runs) + length > num_pixels:
            break
        runs.append(length)
        pads.append(pad % 8)
    runs.append(num_pixels - sum(runs))
    pads.append(0)
    out = bytearray()
    for i, (run, pad) in enumerate(zip(runs, pads)):
        x = run - runs[i - 2] if i > 2 else run  # delta coded as pycocotools' rleToString
        digits = [x & 0x1f]
        while not (-16 <= x < 16):  # the last 5-bit digit holds the sign in its 0x10 bit
            x >>= 5
            digits.append(x & 0x1f)
        digits += [(-1 if x < 0 else 0) & 0x1f] * pad  # sign extension: the same number
        out += bytes(48 + (d | (0x20 if k + 1 < len(digits) else 0))
                     for k, d in enumerate(digits))
    return bytes(out)


def check_input(data: bytes) -> Optional[str]:
    """Run one input through its target; return what was found, None if nothing.

    Returns:
        str | None: A one-line signature of the finding (``'crash: <type> at
        <file>:<function>'`` or ``'disagreement: ...'``), the same for inputs that hit the
        same bug.
    """
    try:
        target, payload = read_input(data)
        if target == 'rle':
            height, width, counts = payload
            # pycocotools encodes str counts as UTF-8; a str is what a JSON file gives us.
            differential(dict(size=[height, width],
                              counts=counts.decode('latin-1')), height, width)
        elif target == 'segm':
            height, width, text = payload
            try:
                segm = json.loads(text)
            except (ValueError, RecursionError):
                return None
            if isinstance(segm, (list, dict)):
                differential(segm, height, width)
        else:
            _check_file(payload)
    except Finding as e:
        return f'disagreement: {str(e).split(" (")[0]}'
    except YTVISFormatError:
        return None
    except Exception as e:  # noqa: BLE001 -- any other exception is what we look for
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return f'crash: {type(e).__name__} at {osp.basename(frame.filename)}:{frame.name}'
    return None


def _check_file(text: bytes) -> None:
    """Read a GT file as the dataset and the metric do; score its tracks against itself."""
    with tempfile.NamedTemporaryFile(suffix='.json', dir=_TMP) as f:
        f.write(text)
        f.flush()
        gt = load_json(f.name, source='gt.json')
    index = read_ytvis_annotations(gt, 'gt.json', ('segmentations_refined', 'segmentations'))
    if isinstance(gt, dict) and all(v.file_names for v in index.videos.values()):
        ytvis_to_cocovid(gt, 'gt.json')
    for track in index.tracks:
        video = index.videos[track.video_id]
        for segm in track.segmentations:
            if segm is not None:
                differential(segm, video.height, video.width)
    results = [dict(video_id=t.video_id, category_id=t.category_id, score=0.5,
                    segmentations=[None if s is None else check_segmentation(
                        s, index.videos[t.video_id].height, index.videos[t.video_id].width)[0]
                                   for s in t.segmentations])
               for t in index.tracks[:8]]
    evaluate_tube_ap(gt, results, gt_source='gt.json', results_source='results')


_TMP = '/dev/shm' if osp.isdir('/dev/shm') else None


def seeds():
    """A few valid inputs of each target, so the fuzzer starts from the format."""
    mask = np.zeros((6, 8), np.uint8)
    mask[1:4, 2:6] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    yield b'\x00\x06\x08' + rle['counts']
    yield b'\x00\x40\x40' + mask_utils.encode(np.asfortranarray(
        np.tri(64, 64, dtype=np.uint8)))['counts']
    yield b'\x03\x06\x08' + bytes([9, 0, 3, 0, 5, 0, 3, 1, 5, 0])
    yield b'\x01\x06\x08' + json.dumps([[1, 1, 5, 1, 5, 4.5], [2, 2, 3, 2, 3, 3]]).encode()
    yield b'\x01\x06\x08' + json.dumps(dict(size=[6, 8], counts=[9, 3, 5, 3, 28])).encode()
    gt = dict(videos=[dict(id=1, height=6, width=8, file_names=['v/0.jpg', 'v/1.jpg'])],
              categories=[dict(id=1, name='a'), dict(id=2, name='b')],
              annotations=[dict(id=1, video_id=1, category_id=1, iscrowd=0,
                                segmentations=[dict(size=[6, 8],
                                                    counts=rle['counts'].decode()), None],
                                areas=[12, None], bboxes=[[2, 1, 4, 3], None]),
                           dict(id=2, video_id=1, category_id=2,
                                segmentations=[[[1, 1, 5, 1, 5, 4]],
                                               dict(size=[6, 8], counts=[9, 3, 36])])])
    yield b'\x02' + json.dumps(gt).encode()


def _fuzz_child(corpus_dirs, findings_dir: str, stats_file: str, libfuzzer_args) -> None:
    import atheris  # noqa: F401 (optional dependency; see the module docstring)
    seen, counter = set(), [0]
    for name in os.listdir(findings_dir):
        if name.endswith('.txt'):
            with open(osp.join(findings_dir, name)) as f:
                seen.add(f.readline().strip())

    def one_input(data: bytes) -> None:
        counter[0] += 1
        finding = check_input(data)
        if finding is not None and finding not in seen:
            seen.add(finding)
            digest = hashlib.sha1(data).hexdigest()[:16]
            with open(osp.join(findings_dir, digest), 'wb') as f:
                f.write(data)
            with open(osp.join(findings_dir, digest + '.txt'), 'w') as f:
                f.write(finding + '\n')
            print(f'FINDING {digest}: {finding}', flush=True)
        if counter[0] % 2000 == 0:
            with open(stats_file, 'w') as f:
                json.dump(dict(executions=counter[0], findings=sorted(seen)), f)

    # Coverage of every function loaded so far (mmvmt's readers and metric among them).
    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *libfuzzer_args, *corpus_dirs], one_input)
    atheris.Fuzz()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--time', type=int, default=600, help='seconds of fuzzing (>= 1)')
    parser.add_argument('--corpus', default='tests/data/fuzz_corpus',
                        help='committed findings and seeds, read only')
    parser.add_argument('--work-dir', default='work_dirs/fuzz_readers',
                        help='for the growing corpus, the findings and the stats')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.time < 1:
        parser.error(f'--time must be >= 1 second, got {args.time}')
    if not osp.isdir(args.corpus):
        parser.error(f'--corpus {args.corpus} is not a folder')
    try:  # libFuzzer writes into the first corpus folder: never the committed one
        check_output_path(args.work_dir, protected_dirs=[args.corpus], is_dir=True,
                          option='--work-dir')
    except OutputPathError as e:
        parser.error(str(e))
    grown, findings = osp.join(args.work_dir, 'corpus'), osp.join(args.work_dir, 'findings')
    stats_file = osp.join(args.work_dir, 'stats.json')
    if args.child:
        _fuzz_child([grown, args.corpus], findings, stats_file,
                    [f'-max_total_time={args.time}', '-timeout=10', '-rss_limit_mb=3072',
                     '-max_len=4096', '-print_final_stats=1',
                     f'-artifact_prefix={findings}{os.sep}'])
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print('fuzz_readers: atheris is not installed; run `pip install atheris` (see '
              'requirements/optional.txt)', file=sys.stderr)
        return 2
    os.makedirs(grown, exist_ok=True)
    os.makedirs(findings, exist_ok=True)
    for data in seeds():
        with open(osp.join(grown, 'seed-' + hashlib.sha1(data).hexdigest()[:12]), 'wb') as f:
            f.write(data)
    # libFuzzer exits the process at the end of the budget: run it in a child and report.
    proc = subprocess.run([sys.executable, osp.abspath(__file__), '--child', '--time',
                           str(args.time), '--corpus', args.corpus, '--work-dir',
                           args.work_dir], stderr=subprocess.PIPE, text=True)
    log = proc.stderr
    with open(osp.join(args.work_dir, 'libfuzzer.log'), 'w') as f:
        f.write(log)
    runs = re.findall(r'stat::number_of_executed_units:\s*(\d+)', log)
    cov = re.findall(r'cov: (\d+) ft: (\d+)', log)
    found = sorted(open(osp.join(findings, n)).readline().strip()
                   for n in os.listdir(findings) if n.endswith('.txt'))
    print(f'executions: {runs[-1] if runs else "?"} in {args.time} s; coverage: '
          f'{"cov %s ft %s" % cov[-1] if cov else "?"}; corpus: {len(os.listdir(grown))} '
          f'inputs; distinct findings: {len(found)}')
    for line in found:
        print(f'  {line}')
    return 0 if proc.returncode in (0, 1) else proc.returncode


if __name__ == '__main__':
    sys.exit(main())
