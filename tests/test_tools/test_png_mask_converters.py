"""tools/dataset_converters/ytvis_to_png_masks.py and png_masks_to_ytvis.py: the CLIs."""
import json
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'dataset_converters')


def run(tool, *args):
    proc = subprocess.run([sys.executable, osp.join(TOOLS, tool), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_export_then_import_gives_the_file_back(ytvis, tmp_path):
    ann = tmp_path / 'ann' / 'val.json'
    ann.parent.mkdir()
    official = ytvis.official()
    official['annotations'][0]['segmentations'] = [
        ytvis.compressed_rle(ytvis.box_mask(2, 2, 8, 8)), None,
        ytvis.compressed_rle(ytvis.box_mask(4, 4, 9, 10))]
    official['annotations'].pop(1)
    ann.write_text(json.dumps(official))
    code, out, err = run('ytvis_to_png_masks.py', ann, '--out', tmp_path / 'png')
    assert code == 0, err
    assert '5 PNGs of 2 videos, 1 tracks' in out
    code, out, err = run('png_masks_to_ytvis.py', tmp_path / 'png', '--out', tmp_path / 'b.json')
    assert code == 0, err
    back = json.loads((tmp_path / 'b.json').read_text())
    assert back['annotations'][0]['segmentations'] == official['annotations'][0]['segmentations']


def test_output_in_the_input_folder_or_existing_is_one_line_exit_2(ytvis, tmp_path):
    ann = tmp_path / 'ann' / 'val.json'
    ann.parent.mkdir()
    ann.write_text(json.dumps(ytvis.official()))
    code, _, err = run('ytvis_to_png_masks.py', ann, '--out', tmp_path / 'ann' / 'png')
    assert code == 2 and 'lies inside' in err.splitlines()[-1]
    code, _, err = run('ytvis_to_png_masks.py', tmp_path / 'nope.json', '--out', tmp_path / 'p')
    assert code == 2 and 'no such file' in err.splitlines()[-1]
    assert run('ytvis_to_png_masks.py', ann, '--out', tmp_path / 'png')[0] == 0
    code, _, err = run('png_masks_to_ytvis.py', tmp_path / 'png', '--out', ann)
    assert code == 2 and 'never overwritten' in err.splitlines()[-1]
    code, _, err = run('png_masks_to_ytvis.py', tmp_path / 'png', '--out',
                       tmp_path / 'png' / 'x.json')
    assert code == 2 and 'lies inside' in err.splitlines()[-1]


def test_bad_png_is_one_line_exit_1(ytvis, tmp_path):
    ann = tmp_path / 'ann' / 'val.json'
    ann.parent.mkdir()
    ann.write_text(json.dumps(ytvis.official()))
    assert run('ytvis_to_png_masks.py', ann, '--out', tmp_path / 'png')[0] == 0
    (tmp_path / 'png' / 'vid_a' / '00000.png').unlink()
    code, _, err = run('png_masks_to_ytvis.py', tmp_path / 'png', '--out', tmp_path / 'b.json')
    assert code == 1 and err.strip().count('\n') == 0 and '00000.png: missing' in err
    assert not (tmp_path / 'b.json').exists()
