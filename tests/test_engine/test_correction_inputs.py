"""check_correction_input: a file the correction will read, checked in full up front."""
import json

import pytest

from mmvmt.engine import AnnotationCorrector, check_correction_input
from mmvmt.structures import YTVISFormatError


def test_a_good_file_passes(coarse_file):
    in_file, img_root = coarse_file
    check_correction_input(AnnotationCorrector(), str(in_file), str(img_root))


def test_a_malformed_polygon_names_file_and_entry(coarse_file):
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    official['annotations'][1]['segmentations'][2] = [['x', 1, 2, 3, 4, 5]]
    in_file.write_text(json.dumps(official))
    with pytest.raises(YTVISFormatError, match=rf'{in_file}: annotations\[1\] .*'
                       r'segmentations\[2\]'):
        check_correction_input(AnnotationCorrector(), str(in_file), str(img_root))


def test_missing_frames_are_counted_and_named(coarse_file):
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    video = official['videos'][0]
    video['file_names'][1] = 'nowhere/00001.jpg'
    official['videos'][1]['file_names'][0] = 'nowhere/00000.jpg'
    in_file.write_text(json.dumps(official))
    with pytest.raises(FileNotFoundError, match=rf'{in_file}: 2 frame files are missing '
                       rf'under {img_root}, e.g. video {video["id"]}: .*nowhere/00001.jpg'):
        check_correction_input(AnnotationCorrector(), str(in_file), str(img_root))


def test_not_json_names_the_file(tmp_path):
    path = tmp_path / 'truncated.json'
    path.write_text('{"videos": [')
    with pytest.raises(YTVISFormatError, match=f'{path}: not a valid JSON file'):
        check_correction_input(AnnotationCorrector(), str(path), str(tmp_path))
