"""tools/analysis_tools/apply_review.py: the command line (the merge is tested in
tests/test_engine/test_reviewed_annotations.py)."""
import json
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'apply_review.py')


def run(*args):
    proc = subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_merge_bad_decisions_and_outputs_onto_inputs(ytvis, tmp_path):
    coarse = tmp_path / 'coarse.json'
    coarse.write_text(json.dumps(ytvis.official()))
    decisions = tmp_path / 'd.json'
    decisions.write_text(json.dumps(dict(format='mmvmt-review-decisions', version=1,
                                         tracks={'7': 'accept', '9': 'reject'})))
    code, out, err = run(coarse, coarse, decisions, '--out', tmp_path / 'm.json')
    assert code == 0, err
    assert '1 tracks accepted, 1 rejected, 0 mixed' in out
    assert json.loads((tmp_path / 'm.json').read_text()) == ytvis.official()
    assert (tmp_path / 'm.provenance.json').is_file()
    for out_path, match in ((coarse, 'this is the input file'),
                            (tmp_path / 'm.json', 'never overwritten')):
        code, _, err = run(coarse, coarse, decisions, '--out', out_path)
        assert code == 2 and match in err.splitlines()[-1]
    decisions.write_text(json.dumps(dict(format='mmvmt-review-decisions', version=1,
                                         tracks={'8': 'accept'})))
    code, _, err = run(coarse, coarse, decisions, '--out', tmp_path / 'm2.json')
    assert code == 1 and err.strip().count('\n') == 0 and "tracks['8']: unknown track" in err
