"""tools/analysis_tools/review_corrections.py: the command line (the report is tested in
tests/test_visualization/test_review_report.py)."""
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'review_corrections.py')


def run(*args):
    proc = subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_report_then_outputs_onto_inputs_are_one_line_exit_2(review_case):
    files = (review_case['coarse'], review_case['corrected'], '--img-root', review_case['img'])
    out = review_case['dir'] / 'report'
    code, stdout, err = run(*files, '--out', out)
    assert code == 0, err
    assert '2 of 3 tracks changed, 5 thumbnails' in stdout
    assert (out / 'index.html').is_file() and (out / 'thumbs' / '1' / '9_0.jpg').is_file()
    for target, match in ((out, 'holds a report'),
                          (osp.join(review_case['img'], 'r'), 'the folder of the input frames'),
                          (osp.join(osp.dirname(review_case['coarse']), 'r'),
                           'the folder of the coarse file'),
                          (review_case['coarse'], 'this is the input file')):
        code, _, err = run(*files, '--out', target)
        assert code == 2 and match in err.splitlines()[-1], err
    code, _, err = run(*files[:3], review_case['dir'] / 'nope', '--out', out)
    assert code == 2 and 'no such folder' in err.splitlines()[-1]
