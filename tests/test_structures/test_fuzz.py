"""Fuzz test of the YouTube-VIS format reader and the Tube-Boundary AP (issue 11, item 6).

A seeded generator mutates valid ground truth and results: values replaced by wrong types,
NaN, infinities, huge or negative numbers, unicode and empty containers; keys deleted; list
entries removed, duplicated or added; numbers nudged; RLE strings and polygons damaged; and
the JSON text itself truncated, spliced or given invalid bytes. 5000 inputs go through files,
1000 as loaded objects (as the mmengine metric passes them). Every mutated input must
either be refused with :class:`YTVISFormatError` or evaluate to sane numbers -- the same
numbers as the plain reference evaluator where that one applies -- and never crash or raise
anything else. The dataset conversion (``ytvis_to_cocovid``) reads every mutated GT too.

Random mutation hardly finds a mask that the check reads one way and pycocotools another
(issue 23): the coverage-guided fuzzer ``tools/fuzz_readers.py`` searches for those, with
pycocotools as the oracle, and what it finds is committed to ``tests/data/fuzz_corpus/``,
which the last tests here replay through the same oracle.
"""
import copy
import importlib.util
import json
import os
import os.path as osp
import random
from collections import Counter

import numpy as np
import pytest
from plain_tube_ap import plain_evaluate
from ytvis_fakes import random_dataset

import mmvmt.structures.rle as rle_module

from mmvmt.evaluation.functional import evaluate_tube_ap
from mmvmt.structures import YTVISFormatError, load_json, ytvis_to_cocovid

NUM_CASES = 6000
IN_MEMORY_EVERY = 6  # every 6th input is passed as loaded objects, the others as files
SIZES = ((6, 9), (11, 7), (17, 23))
WEIRD = [None, True, False, 0, -1, 1, 2, 3, 0.5, -0.0, 1e308, -1e308, float('nan'),
         float('inf'), float('-inf'), 10 ** 30, -10 ** 30, 10 ** 400, '', '0', 'x',
         'é☃\u0000\ud7ff', '\U0001f600' * 3, [], {}, [0], [None], [1, 2, 3, 4],
         [[1, 2, 3, 4, 5]], [[1e9, 1e9, -1e9, 5, 7, 7]], [[0, 0, 2, 0, 2, 2] * 50],
         {'size': [1, 1], 'counts': '1'}, {'size': [6, 9], 'counts': [54]},
         {'size': [6, 9], 'counts': 'ñ'}, {'a': None}]
BYTES = [b'\xff', b'\x00', b'\xc3', b'NaN', b'-Infinity', b'1e999', b'-', b'[', b']', b'{',
         b'}', b'"', b',', b'9' * 30, b'\\u0000', b'\xe2\x98\x83', b'null', b'true']


def _containers(obj, path=()):
    """Every (path, value) below ``obj`` (the root included)."""
    yield path, obj
    items = obj.items() if isinstance(obj, dict) else \
        enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        yield from _containers(value, path + (key, ))


def _parent(obj, path):
    for key in path[:-1]:
        obj = obj[key]
    return obj


def mutate_tree(obj, rng):
    """One random structural mutation of a JSON-like object, in place (returns the root)."""
    paths = list(_containers(obj))
    path, value = paths[rng.randrange(len(paths))]
    if not path:  # the root itself
        return rng.choice([[], {}, None, 'x', [obj], 7]) if rng.random() < 0.5 else obj
    parent, key = _parent(obj, path), path[-1]
    op = rng.randrange(8)
    if op == 0:
        parent[key] = copy.deepcopy(rng.choice(WEIRD))
    elif op == 1:
        del parent[key]
    elif op == 2 and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(value))  # a duplicate entry (or id)
    elif op == 3 and isinstance(value, (int, float)) and not isinstance(value, bool):
        parent[key] = rng.choice([value + 1, value - 1, -value, value * 1000, value / 3,
                                  float(value), value + 0.5])
    elif op == 4 and isinstance(value, str) and value:
        i = rng.randrange(len(value))
        parent[key] = rng.choice([value[:i], value[:i] + chr(rng.randrange(32, 0x2600))
                                  + value[i + 1:], value + rng.choice('0O_oé~'), value * 2])
    elif op == 5 and isinstance(value, list):
        parent[key] = value[:rng.randrange(len(value) + 1)] + (
            [copy.deepcopy(rng.choice(WEIRD))] if rng.random() < 0.5 else [])
    elif op == 6 and isinstance(value, dict) and value:
        del value[rng.choice(list(value))]
    else:
        parent[key] = rng.choice([str(value)[:20], [value], {'v': value}])
    return obj


def mutate_values(gt, results, rng):
    """One mutation that keeps the format valid: other scores, categories, areas, crowd
    flags, null frames, dropped or repeated entries (the numbers must then stay right)."""
    cat_ids = [c['id'] for c in gt['categories']]
    anns = gt['annotations']
    op = rng.randrange(7)
    if op == 0 and results:
        rng.choice(results)['score'] = rng.choice([0.0, 1.0, rng.random(), 0.5, 1e-300])
    elif op == 1 and results:
        rng.choice(results)['category_id'] = rng.choice(cat_ids)
    elif op == 2 and anns:
        ann = rng.choice(anns)
        ann['areas'] = [None if a is None else rng.choice([0, 1.5, 20000.0, 1e9])
                        for a in ann['areas']]
    elif op == 3 and anns:
        rng.choice(anns)['iscrowd'] = rng.choice([0, 1])
    elif op == 4 and results:
        segms = rng.choice(results)['segmentations']
        segms[rng.randrange(len(segms))] = None
    elif op == 5 and (anns or results):
        entries = anns if anns and rng.random() < 0.5 else results
        if entries:
            del entries[rng.randrange(len(entries))]
    elif results:
        results.append(copy.deepcopy(rng.choice(results)))


def mutate_text(text, rng):
    """One random byte-level mutation of a JSON text."""
    i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
    op = rng.randrange(4)
    if op == 0:
        return text[:i]
    if op == 1:
        return text[:i] + text[j:]
    if op == 2:
        return text[:i] + rng.choice(BYTES) + text[i:]
    return text[:j] + text[i:j] + text[j:]


def sane(out):
    for iou_type, result in out.items():
        stats = np.array(list(result['stats'].values()), dtype=float)
        assert stats.shape == (12, ) and np.all(np.isfinite(stats)), (iou_type, stats)
        assert np.all((stats == -1) | ((stats >= 0) & (stats <= 1))), (iou_type, stats)
        assert np.all(result['precision'] <= 1) and np.all(result['recall'] <= 1)


def comparable(gt, results):
    """Whether the plain evaluator has the same semantics on these (valid) inputs."""
    try:
        # The plain evaluator stores GT ids in float arrays, 0 meaning "unmatched".
        return all(a['id'] != 0 and abs(a['id']) < 2 ** 53 and isinstance(a.get('areas'), list)
                   and a.get('iscrowd', 0) in (0, 1)
                   and all(not isinstance(s, list) or all(len(p) >= 6 for p in s)
                           for s in a['segmentations'])
                   for a in gt['annotations'])
    except (KeyError, TypeError):
        return False


def run_case(gt, results, rng, nproc=1):
    """Evaluate one (possibly broken) pair; 'refused', 'evaluated' or 'checked'."""
    try:
        ytvis_to_cocovid(load_json(gt), source='gt')
    except YTVISFormatError:
        pass
    iou_types = ('boundary', 'segm') if rng.random() < 0.5 else ('segm', )
    try:
        out = evaluate_tube_ap(gt, results, iou_types=iou_types, nproc=nproc)
    except YTVISFormatError:
        return 'refused'
    sane(out)
    gt, results = load_json(gt), load_json(results)
    if rng.random() < 0.15 and comparable(gt, results):
        for iou_type in iou_types:
            np.testing.assert_allclose(list(out[iou_type]['stats'].values()),
                                       plain_evaluate(gt, results, iou_type), atol=1e-9)
        return 'checked'
    return 'evaluated'


def test_mutated_inputs_evaluate_or_raise_the_format_error(tmp_path):
    rng = random.Random(11)
    bases = [random_dataset(seed, num_videos=2, num_categories=2, max_frames=3, sizes=SIZES)
             for seed in range(6)]
    outcomes, failures = Counter(), []
    for case in range(NUM_CASES):
        gt, results = copy.deepcopy(bases[case % len(bases)])
        for _ in range(rng.choice([0, 1, 2, 4])):
            mutate_values(gt, results, rng)
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            if rng.random() < 0.6:
                gt = mutate_tree(gt, rng)
            else:
                results = mutate_tree(results, rng)
        if case % IN_MEMORY_EVERY:
            texts = [json.dumps(x).encode() for x in (gt, results)]
            if rng.random() < 0.3:
                target = rng.randrange(2)
                texts[target] = mutate_text(texts[target], rng)
            gt, results = tmp_path / 'gt.json', tmp_path / 'res.json'
            gt.write_bytes(texts[0])
            results.write_bytes(texts[1])
            gt, results = str(gt), str(results)
            outcomes['files'] += 1
        elif isinstance(gt, str) or isinstance(results, str):
            outcomes['skipped (a str object would be read as a file name)'] += 1
            continue
        try:
            # Now and then in worker processes: their errors must reach the parent intact.
            outcomes[run_case(gt, results, rng, 2 if case % 250 == 1 else 1)] += 1
        except Exception as e:  # noqa: BLE001  anything but the format error is a failure
            failures.append(f'case {case}: {type(e).__name__}: {e}'[:300])
    print(f'\n{NUM_CASES} mutated inputs: {dict(outcomes)}')
    assert not failures, f'{len(failures)} failures, e.g.:\n' + '\n'.join(failures[:10])
    # At least 5000 files; both outcomes; the comparison with the plain evaluator.
    assert outcomes['files'] >= 5000
    assert outcomes['refused'] > NUM_CASES / 4
    assert outcomes['evaluated'] + outcomes['checked'] > NUM_CASES / 10
    assert outcomes['checked'] > 50
    assert sum(outcomes.values()) - outcomes['files'] == NUM_CASES


ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CORPUS = osp.join(ROOT, 'tests', 'data', 'fuzz_corpus')
_spec = importlib.util.spec_from_file_location('fuzz_readers',
                                               osp.join(ROOT, 'tools', 'fuzz_readers.py'))
fuzz_readers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz_readers)


def corpus():
    """The committed findings of the coverage-guided fuzzer and its seeds."""
    for name in sorted(os.listdir(CORPUS)):
        with open(osp.join(CORPUS, name), 'rb') as f:
            yield name, f.read()
    for i, data in enumerate(fuzz_readers.seeds()):
        yield f'seed {i}', data


def test_the_fuzz_corpus_replays_without_findings():
    names = [name for name, data in corpus() if fuzz_readers.check_input(data) is not None]
    assert names == []


def test_the_oracle_finds_the_disagreements_of_the_old_parser(monkeypatch):
    # The parser before issue 23 read counts of up to 12 characters (64-bit exact), which
    # pycocotools' 32-bit parser reads otherwise: the committed findings show it.
    monkeypatch.setattr(rle_module, 'MAX_COUNT_DIGITS', 12)
    found = {name: fuzz_readers.check_input(data) for name, data in corpus()
             if name.startswith('disagreement-')}
    assert len(found) >= 2
    assert all(f is not None and f.startswith('disagreement: pycocotools')
               for f in found.values()), found


@pytest.mark.parametrize('data, target', [(b'', 'rle'), (b'\x00\x05', 'json'),
                                          (b'\x04ab{}', 'rle'), (b'\x05ab[]', 'segm'),
                                          (b'\x06{}', 'json'), (b'\x07ab\x01\x00', 'rle')])
def test_each_fuzz_input_reaches_its_target(data, target):
    assert fuzz_readers.read_input(data)[0] == target
    assert fuzz_readers.check_input(data) is None
